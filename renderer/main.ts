import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import FirstScreen from './components/FirstScreen.vue';
import { createApi, setApi } from './api/index.js';
import { desktopState } from './api/desktop.js';
import { startSession } from './stores/session.js';
import { installBench } from './bench.js';
import './styles.css';

const client = createApi();
setApi(client);

/** The desktop asks first how to run (its first screen); a browser, or a desktop already running, opens the console. */
async function boot(): Promise<void> {
  const desk = await desktopState();
  if (desk?.phase === 'choose') {
    createApp(FirstScreen, { state: desk }).use(createPinia()).mount('#app');
    return;
  }
  const app = createApp(App);
  app.use(createPinia());
  startSession(client);
  app.mount('#app');
}
void boot();

// Light or dark follows the operating system (styles.css). Charts take their colours when built, so a change of theme
// reloads the console (its state lives in the engine; the view comes back as the operator left the session).
window.matchMedia?.('(prefers-color-scheme: light)').addEventListener('change', () => window.location.reload());

// The heatmap bench hook (bench/heatmap.ts) is installed only when asked for with `?bench=1`.
if (new URLSearchParams(window.location.search).get('bench') === '1') installBench();
