import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { GridWindow } from '../../shared/domain/grid.js';
import { attempt } from '../api/index.js';
import { createPoller } from '../composables/poll.js';

/** The grid view refreshes at 10 Hz. */
export const GRID_REFRESH_MS = 100;

/**
 * The grid view's data (`grid:window`): the newest `seconds` of site power at full resolution and the analysis
 * against the grid's limits, read every GRID_REFRESH_MS while the view is shown (never overlapping).
 */
export const useGridStore = defineStore('grid', () => {
  const seconds = ref(30);
  const window = shallowRef<GridWindow | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    const r = await attempt('grid:window', { seconds: seconds.value });
    if (!r.ok) {
      error.value = r.error;
      return;
    }
    error.value = null;
    window.value = markRaw(r.value);
  }
  const poller = createPoller(load, GRID_REFRESH_MS);
  return { seconds, window, error, subscribe: poller.subscribe, refresh: poller.refresh };
});
