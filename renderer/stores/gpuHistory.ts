import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { GpuHistory } from '../../shared/domain/history.js';
import { attempt } from '../api/index.js';
import { appendGpuHistory } from '../charts/gpuHistory.js';
import { createPoller } from '../composables/poll.js';
import { useSimNow } from '../composables/simNow.js';

/** How far back the Rack view shows a GPU. */
export const GPU_HISTORY_MS = 3600_000;

/**
 * The last hour of one GPU (`telemetry:gpu`: power, limit, temperature, clock at 1 Hz from the store) for the Rack
 * view. While subscribed it reads only what is new every 5 s and drops what fell out of the hour; `show` switches
 * GPU (an answer for a GPU no longer shown is dropped).
 */
export const useGpuHistoryStore = defineStore('gpuHistory', () => {
  const simNow = useSimNow();
  const gpu = ref<number | null>(null);
  const history = shallowRef<GpuHistory | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    const g = gpu.value;
    const now = simNow.value;
    if (g === null || !Number.isFinite(now)) return;
    const fromMs = now - GPU_HISTORY_MS;
    const cur = history.value?.gpu === g ? history.value : null;
    const last = cur?.tMs.length ? cur.tMs[cur.tMs.length - 1]! : null;
    if (cur && last !== null && now <= last) return;
    const r = await attempt('telemetry:gpu', { gpu: g, fromMs: cur && last !== null ? last + 1 : fromMs, toMs: now + 1 });
    if (gpu.value !== g) return;
    if (!r.ok) {
      error.value = r.error;
      return;
    }
    error.value = null;
    history.value = markRaw(cur ? appendGpuHistory(cur, r.value, fromMs) : r.value);
  }
  const poller = createPoller(load, 5_000);

  /** Follows GPU `g` (topology index); read at once while subscribed. */
  function show(g: number): void {
    if (g === gpu.value) return;
    gpu.value = g;
    history.value = null;
    error.value = null;
    if (poller.active) void poller.refresh();
  }

  /** The span the chart shows: the last hour up to the newest read, from the first stored second when the run is younger. */
  const frame = computed(() => {
    const h = history.value;
    if (!h) return null;
    const toMs = Math.max(h.fromMs + GPU_HISTORY_MS, h.toMs - 1);
    return { fromMs: Math.max(h.fromMs, h.tMs[0] ?? h.fromMs), toMs, clipped: (h.tMs[0] ?? h.fromMs) > h.fromMs + 60_000 };
  });

  return { gpu, history, frame, error, show, subscribe: poller.subscribe };
});
