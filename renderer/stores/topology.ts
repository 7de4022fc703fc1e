import { defineStore } from 'pinia';
import { computed, markRaw, shallowRef } from 'vue';
import type { Topology } from '../../shared/domain/topology.js';

/** Index arrays derived once per topology (typed arrays: never proxied by Vue). */
export interface TopologyIndex {
  gpuServer: Int32Array;
  gpuRack: Int32Array;
  gpuSlot: Int32Array;
  rackById: Map<string, number>;
}

export function indexTopology(t: Topology): TopologyIndex {
  const gpuServer = new Int32Array(t.gpuCount);
  const gpuRack = new Int32Array(t.gpuCount);
  const gpuSlot = new Int32Array(t.gpuCount);
  t.servers.forEach((s, si) => {
    for (let k = 0; k < s.gpuCount; k++) {
      gpuServer[s.gpuStart + k] = si;
      gpuRack[s.gpuStart + k] = s.rack;
      gpuSlot[s.gpuStart + k] = k;
    }
  });
  return { gpuServer, gpuRack, gpuSlot, rackById: new Map(t.racks.map((r, i) => [r.id, i])) };
}

export const useTopologyStore = defineStore('topology', () => {
  const topology = shallowRef<Topology | null>(null);
  const index = shallowRef<TopologyIndex | null>(null);

  function set(t: Topology): void {
    topology.value = markRaw(t);
    index.value = markRaw(indexTopology(t));
  }

  const siteBudgetKW = computed(() => topology.value?.rows.reduce((s, r) => s + r.budgetKW, 0) ?? 0);

  return { topology, index, set, siteBudgetKW };
});
