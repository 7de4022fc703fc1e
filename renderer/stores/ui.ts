import { defineStore } from 'pinia';
import { ref } from 'vue';
import type { GpuMetric, RackMetric } from '../charts/scales.js';

export type View = 'floor' | 'rack' | 'power' | 'audit' | 'planner' | 'policy' | 'sources' | 'replay' | 'plant' | 'grid' | 'workflows';
export type Granularity = 'rack' | 'gpu';
/** What a click on the every-GPU picture selects. */
export type GpuPick = 'gpu' | 'server' | 'rack';

/** What the operator is looking at. */
export const useUiStore = defineStore('ui', () => {
  const view = ref<View>('floor');
  const selectedRack = ref<number | null>(null);
  const granularity = ref<Granularity>('rack');
  const rackMetric = ref<RackMetric>('budgetPct');
  const gpuMetric = ref<GpuMetric>('gpuTempC');
  const gpuPick = ref<GpuPick>('gpu');
  /** Incremented to ask the alerts panel to take keyboard focus. */
  const focusAlerts = ref(0);

  function openRack(rack: number): void {
    selectedRack.value = rack;
    view.value = 'rack';
  }

  return { view, selectedRack, granularity, rackMetric, gpuMetric, gpuPick, focusAlerts, openRack };
});
