import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { PlacementAdvice, PlacementRequest } from '../../shared/domain/placement.js';
import { attempt } from '../api/index.js';

export interface PlacementForm extends PlacementRequest {
  /** History to learn from (s). */
  windowS: number;
}

/** The placement advisor's form, the query in progress and its last answer (kept across tab switches). */
export const usePlacementStore = defineStore('placement', () => {
  const form = ref<PlacementForm>({ gpus: 64, kind: 'iaas', profile: 'training', windowS: 3600 });
  const running = ref(false);
  const advice = shallowRef<PlacementAdvice | null>(null);
  const askedWith = shallowRef<PlacementForm | null>(null);
  const error = ref<string | null>(null);
  /** The Planner view's question: 'sweep' (how many fit) or 'place' (where they go). */
  const mode = ref<'sweep' | 'place'>('sweep');

  async function ask(): Promise<void> {
    if (running.value) return;
    const f = { ...form.value };
    running.value = true;
    error.value = null;
    const r = await attempt('placement:query', f);
    running.value = false;
    if (r.ok) {
      advice.value = markRaw(r.value);
      askedWith.value = f;
    } else error.value = r.error;
  }

  return { form, running, advice, askedWith, error, mode, ask };
});
