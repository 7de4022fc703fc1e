import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The renderer is built once and served by Electron's app:// protocol and by `headroom serve`.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [vue()],
  build: { outDir: '../dist/renderer', emptyOutDir: true, chunkSizeWarningLimit: 2000, sourcemap: true },
});
