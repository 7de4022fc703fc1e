import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
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

  /** Planning a maintenance window: the devices taken out, and the picture with them out (a what-if, nothing armed). */
  const maintenance = ref<string[]>([]);
  const planned = shallowRef<PlantView | null>(null);
  const planError = ref<string | null>(null);
  async function plan(): Promise<void> {
    planError.value = null;
    if (maintenance.value.length === 0) {
      planned.value = null;
      return;
    }
    const r = await attempt('plant:contingency', { maintenance: [...maintenance.value] });
    if (r.ok) planned.value = markRaw(r.value);
    else planError.value = r.error;
  }
  /**
   * Put devices out of service on the simulator: a maintenance window (approved: `maintenance`, for `durationS`) or a
   * failure drill. Audited with the reason; the live analysis then runs on the plant as it is.
   */
  async function takeOut(devices: string[], reason: string, o: { maintenance: boolean; durationS?: number }): Promise<string | null> {
    const r = await attempt('sim:inject', { event: { kind: 'deviceFailure', devices, maintenance: o.maintenance, ...(o.durationS ? { durationS: o.durationS } : {}) }, reason });
    if (!r.ok) return r.error;
    await poller.refresh();
    return null;
  }
  /** Lift an armed response in force (its caps go; audited with the reason). Returns the refusal, or null. */
  async function lift(device: string, reason: string): Promise<string | null> {
    const r = await attempt('plant:lift', { device, reason });
    if (!r.ok) return r.error;
    await poller.refresh();
    return null;
  }
  return { view, byRow, maintenance, planned, planError, plan, takeOut, lift, refresh: () => poller.refresh(), subscribe: () => poller.subscribe() };
});
