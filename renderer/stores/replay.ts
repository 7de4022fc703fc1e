import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { ReplayInfo, ReplayJob, ReplayPolicy } from '../../shared/domain/replay.js';
import { attempt } from '../api/index.js';
import { createPoller } from '../composables/poll.js';

export interface ReplayForm {
  policy: ReplayPolicy;
  t1Pct: number;
  t2Pct: number;
}

/**
 * Replay with…: what the console's recording allows (`replay:info`), the form (policy, T1, T2: the recorded
 * configuration otherwise), the job in progress (polled every 250 ms while it runs) and its result.
 */
export const useReplayStore = defineStore('replay', () => {
  const info = shallowRef<ReplayInfo | null>(null);
  const form = ref<ReplayForm>({ policy: 'polca', t1Pct: 80, t2Pct: 89 });
  const job = shallowRef<ReplayJob | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    const r = await attempt('replay:info', {});
    if (!r.ok) {
      error.value = r.error;
      return;
    }
    info.value = markRaw(r.value);
    if (r.value.available && !job.value) form.value = { policy: r.value.policy, t1Pct: r.value.config.polca.t1Pct, t2Pct: r.value.config.polca.t2Pct };
  }

  const poller = createPoller(async () => {
    const j = job.value;
    if (!j || j.state !== 'running') return;
    const r = await attempt('replay:status', { id: j.id });
    if (r.ok) job.value = markRaw(r.value);
    else error.value = r.error;
    if (job.value?.state !== 'running') stopPolling();
  }, 250);
  let unsubscribe: (() => void) | null = null;
  function stopPolling(): void {
    unsubscribe?.();
    unsubscribe = null;
  }

  async function run(): Promise<void> {
    const i = info.value;
    if (!i?.available || job.value?.state === 'running') return;
    error.value = null;
    const f = form.value;
    const config = { ...i.config, polca: { ...i.config.polca, t1Pct: f.t1Pct, t2Pct: f.t2Pct } };
    const r = await attempt('replay:start', { policy: f.policy, config });
    if (!r.ok) {
      error.value = r.error;
      return;
    }
    job.value = markRaw(r.value);
    unsubscribe ??= poller.subscribe();
  }

  return { info, form, job, error, load, run };
});
