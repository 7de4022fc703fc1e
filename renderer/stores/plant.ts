import { defineStore } from 'pinia';
import { computed, markRaw, shallowRef } from 'vue';
import type { PlantView } from '../../shared/domain/plant.js';
import { attempt } from '../api/index.js';
import { createPoller } from '../composables/poll.js';

/** The live N-1 picture of the site's plant (`plant:contingency`), re-read every 5 s while a view shows it. */
export const usePlantStore = defineStore('plant', () => {
  const view = shallowRef<PlantView | null>(null);
  const poller = createPoller(async () => {
    const r = await attempt('plant:contingency', {});
    if (r.ok) view.value = markRaw(r.value);
  }, 5000);
  const byRow = computed(() => new Map(view.value?.available ? view.value.worstByRow.map((w) => [w.row, w]) : []));
  return { view, byRow, subscribe: () => poller.subscribe() };
});
