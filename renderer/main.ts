import { createApp } from 'vue';
import { createPinia } from 'pinia';
import App from './App.vue';
import { createApi, setApi } from './api/index.js';
import { startSession } from './stores/session.js';
import { installBench } from './bench.js';
import './styles.css';

const client = createApi();
setApi(client);

const app = createApp(App);
app.use(createPinia());
startSession(client);
app.mount('#app');

// Light or dark follows the operating system (styles.css). Charts take their colours when built, so a change of theme
// reloads the console (its state lives in the engine; the view comes back as the operator left the session).
window.matchMedia?.('(prefers-color-scheme: light)').addEventListener('change', () => window.location.reload());

// The heatmap bench hook (bench/heatmap.ts) is installed only when asked for with `?bench=1`.
if (new URLSearchParams(window.location.search).get('bench') === '1') installBench();
