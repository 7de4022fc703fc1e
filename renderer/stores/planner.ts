import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { PlannerPolicy, SweepResult } from '../../shared/domain/planner.js';
import { attempt } from '../api/index.js';

export interface SweepForm {
  fromServers: number;
  toServers: number;
  step: number;
  durationS: number;
  /** Policies to compare (default all four); the sweep runs each at every server count. */
  policies: PlannerPolicy[];
  /** Demand profile: 'production' (calibrated, default) or 'bursty' (every server of a service in step). */
  demand: SweepResult['demand'];
}

/** The capacity planner's form, the sweep in progress and its last result (kept across tab switches). */
export const usePlannerStore = defineStore('planner', () => {
  const form = ref<SweepForm>({ fromServers: 40, toServers: 60, step: 2, durationS: 3600, policies: ['headroom', 'polca', 'polca-no-priority', 'none'], demand: 'production' });
  const running = ref(false);
  const startedAtMs = ref(0);
  const result = shallowRef<SweepResult | null>(null);
  /** Form the result was run with. */
  const ranWith = shallowRef<SweepForm | null>(null);
  const error = ref<string | null>(null);
  const tookMs = ref(0);

  async function run(): Promise<void> {
    if (running.value) return;
    const f = { ...form.value, policies: [...form.value.policies] };
    running.value = true;
    error.value = null;
    startedAtMs.value = Date.now();
    const r = await attempt('planner:sweep', f);
    running.value = false;
    tookMs.value = Date.now() - startedAtMs.value;
    if (r.ok) {
      result.value = markRaw(r.value);
      ranWith.value = f;
    } else error.value = r.error;
  }

  /** Stop the sweep in progress (operators); its `run` then ends with the cancellation as its error. */
  async function cancel(): Promise<void> {
    if (!running.value) return;
    const r = await attempt('planner:cancel', {});
    if (!r.ok) error.value = r.error;
  }

  return { form, running, startedAtMs, result, ranWith, error, tookMs, run, cancel };
});
