import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { PolicyConfig } from '../../shared/domain/control.js';
import { attempt } from '../api/index.js';

/** The control policy in force (`policy:get`) and its change by an admin (`policy:set`, validated by the engine). */
export const usePolicyStore = defineStore('policy', () => {
  const policy = shallowRef<PolicyConfig | null>(null);
  const loadError = ref<string | null>(null);

  async function load(): Promise<void> {
    const r = await attempt('policy:get', {});
    if (r.ok) {
      policy.value = r.value;
      loadError.value = null;
    } else loadError.value = r.error;
  }

  /** Applies a new policy as the admin wrote it: the engine validates it, and its refusal names the field. */
  async function apply(config: unknown, reason: string) {
    const r = await attempt('policy:set', { config, reason });
    if (r.ok) policy.value = r.value;
    return r;
  }

  return { policy, loadError, load, apply };
});
