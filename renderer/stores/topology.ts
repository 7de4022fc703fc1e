import { defineStore } from 'pinia';
import { computed, markRaw, shallowRef } from 'vue';
import type { Topology } from '../../shared/domain/topology.js';
import { serverIdOfGpuName } from '../../shared/naming.js';

/** Index arrays derived once per topology (typed arrays: never proxied by Vue). */
export interface TopologyIndex {
  gpuServer: Int32Array;
  gpuRack: Int32Array;
  rackById: Map<string, number>;
  serverById: Map<string, number>;
}

/** Rack of an alert subject id naming a GPU ("A01-S3-G5"), or null. */
export function rackOfGpuName(t: Topology, idx: TopologyIndex, name: string): number | null {
  const server = serverIdOfGpuName(name);
  const s = server === null ? undefined : idx.serverById.get(server);
  return s === undefined ? null : t.servers[s]!.rack;
}

export function indexTopology(t: Topology): TopologyIndex {
  const gpuServer = new Int32Array(t.gpuCount);
  const gpuRack = new Int32Array(t.gpuCount);
  t.servers.forEach((s, si) => {
    for (let k = 0; k < s.gpuCount; k++) {
      gpuServer[s.gpuStart + k] = si;
      gpuRack[s.gpuStart + k] = s.rack;
    }
  });
  return {
    gpuServer,
    gpuRack,
    rackById: new Map(t.racks.map((r, i) => [r.id, i])),
    serverById: new Map(t.servers.map((s, i) => [s.id, i])),
  };
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
