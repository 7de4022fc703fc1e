import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { WorkflowsOverview } from '../../shared/domain/workflows.js';
import { attempt } from '../api/index.js';
import { createPoller } from '../composables/poll.js';
import { workflowFloor } from '../charts/workflowFloor.js';
import { useTopologyStore } from './topology.js';

/**
 * The Workflows view (`workflows:overview`): the plans for the load now, re-read every 5 s and when the budget slider
 * moves; and the floor's "Workflow" colouring from where this hour's plans run (`floor`).
 */
export const useWorkflowsStore = defineStore('workflows', () => {
  const budgetPct = ref(100);
  const overview = shallowRef<WorkflowsOverview | null>(null);
  const error = ref<string | null>(null);

  async function load(): Promise<void> {
    const r = await attempt('workflows:overview', { budgetPct: budgetPct.value });
    if (!r.ok) {
      error.value = r.error;
      return;
    }
    error.value = null;
    overview.value = markRaw(r.value);
  }
  const topo = useTopologyStore();
  const floor = computed(() => workflowFloor(overview.value?.placement ?? null, topo.topology?.racks.length ?? 0, overview.value?.cards.map((c) => c.workflow) ?? []));
  const poller = createPoller(load, 5_000);
  return { budgetPct, overview, error, floor, subscribe: poller.subscribe, refresh: poller.refresh };
});
