import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { SiteForecast } from '../../shared/domain/placement.js';
import { attempt } from '../api/index.js';
import { createPoller } from '../composables/poll.js';

/** How often the floor's forecast is fitted again while shown (wall time). */
const EVERY_MS = 60_000;

/**
 * The floor's "predicted pressure" colouring (`profiles:forecast`): every rack's pressure at the peaks its profile
 * learned from the last hour predicts, fitted off the engine's thread; re-fitted every minute while the floor shows it.
 */
export const useForecastStore = defineStore('forecast', () => {
  const forecast = shallowRef<SiteForecast | null>(null);
  /** Per rack (topology index), the pressure %; NaN where unknown. */
  const pressure = shallowRef<Float64Array>(new Float64Array(0));
  const error = ref<string | null>(null);
  const running = ref(false);

  async function load(): Promise<void> {
    running.value = true;
    const r = await attempt('profiles:forecast', { windowS: 3600 });
    running.value = false;
    if (!r.ok) {
      error.value = r.error;
      return;
    }
    error.value = null;
    forecast.value = markRaw(r.value);
    pressure.value = Float64Array.from(r.value.racks, (x) => x.pressurePct ?? NaN);
  }
  const poller = createPoller(load, EVERY_MS);
  return { forecast, pressure, error, running, subscribe: poller.subscribe, refresh: poller.refresh };
});
