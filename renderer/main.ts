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

// The heatmap bench hook (bench/heatmap.ts) is installed only when asked for with `?bench=1`.
if (new URLSearchParams(window.location.search).get('bench') === '1') installBench();
