import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { GpuControl } from '../../shared/domain/control.js';
import { attempt } from '../api/index.js';
import { createPoller } from '../composables/poll.js';

/** At most this many GPUs per `control:gpus` request (a rack holds far fewer). */
const MAX_GPUS = 512;

/**
 * What is requested of and in effect on the GPUs a view shows (`control:gpus`): re-read every 2 s while subscribed,
 * and whenever the view shows other GPUs or the control state changes (`show`).
 */
export const useGpuControlStore = defineStore('gpuControl', () => {
  const gpus = shallowRef<readonly number[]>([]);
  const byGpu = shallowRef<Map<number, GpuControl>>(new Map());
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    const ids = gpus.value;
    if (!ids.length) return;
    const r = await attempt('control:gpus', { gpus: ids.slice(0, MAX_GPUS) });
    if (r.ok) {
      byGpu.value = new Map(r.value.map((c) => [c.gpu, c]));
      error.value = null;
    } else error.value = r.error;
  }
  const poller = createPoller(load, 2_000);

  /** The GPUs to follow; re-read at once while subscribed (the first subscriber reads them anyway). */
  function show(ids: readonly number[]): void {
    gpus.value = ids;
    if (poller.active) void poller.refresh();
  }

  return { byGpu, error, show, subscribe: poller.subscribe };
});
