// `npm start`: build, rebuild the native addon for Electron's ABI, launch the desktop app.
// When Electron cannot run here (no binary, no display), say why and point to the headless mode.
import { execFileSync, spawn } from 'node:child_process';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const headless = 'Run the console headless instead: `npx headroom serve` and open the printed URL in a browser.';

let electronPath;
try {
  electronPath = require('electron');
} catch (e) {
  console.error(`Headroom: the Electron binary is not installed (${e.message.split('\n')[0]}).\n${headless}`);
  process.exit(1);
}
if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
  console.error(`Headroom: no display found (DISPLAY/WAYLAND_DISPLAY unset), so the desktop window cannot open.\n${headless}`);
  process.exit(1);
}
execFileSync('npm', ['run', 'build'], { stdio: 'inherit' });
try {
  execFileSync('npx', ['electron-builder', 'install-app-deps'], { stdio: 'inherit' });
} catch {
  console.error(`Headroom: could not rebuild better-sqlite3 for Electron.\n${headless}`);
  process.exit(1);
}
const child = spawn(electronPath, ['.'], { stdio: 'inherit' });
child.on('exit', (code) => process.exit(code ?? 1));
child.on('error', (e) => {
  console.error(`Headroom: Electron failed to start: ${e.message}\n${headless}`);
  process.exit(1);
});
