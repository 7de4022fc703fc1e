import { defineConfig } from 'vite';
import vue from '@vitejs/plugin-vue';

// The renderer is built once and served by Electron's app:// protocol and by `headroom serve`.
export default defineConfig({
  root: 'renderer',
  base: './',
  plugins: [vue()],
  build: {
    outDir: '../dist/renderer',
    emptyOutDir: true,
    chunkSizeWarningLimit: 2000,
    sourcemap: true,
    rollupOptions: {
      // zod's sources carry `@__PURE__` notes in places Rollup cannot use; it drops them harmlessly. Other warnings stay.
      onwarn(warning, warn) {
        if (warning.code === 'INVALID_ANNOTATION' && warning.id?.includes('/node_modules/zod/')) return;
        warn(warning);
      },
    },
  },
});
