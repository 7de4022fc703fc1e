/**
 * How the console names things in words, once for every face: alert subjects, the audit trail's target column, the
 * screen's labels and messages. Pure; imports only types from shared/.
 */
import type { Target } from './domain/control.js';
import type { Topology } from './domain/topology.js';

/** Index of the server holding GPU `g` (servers are contiguous in GPU order: binary search). -1 for no server. */
export function serverOfGpu(topology: Pick<Topology, 'servers'>, g: number): number {
  const servers = topology.servers;
  let lo = 0;
  let hi = servers.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (servers[mid]!.gpuStart <= g) lo = mid;
    else hi = mid - 1;
  }
  return hi < 0 ? -1 : lo;
}

/**
 * A GPU's name: its server's id, "-G" and its 1-based slot in the server ("A01-S3-G2"). Stored alert subjects carry
 * it, so the form must not change. A GPU index outside the topology (or without one) is named by its index ("17").
 */
export function gpuName(topology: Pick<Topology, 'servers' | 'gpuCount'> | null, gpuIndex: number): string {
  if (!topology || !Number.isInteger(gpuIndex) || gpuIndex < 0 || gpuIndex >= topology.gpuCount) return String(gpuIndex);
  const s = topology.servers[serverOfGpu(topology, gpuIndex)];
  return s ? `${s.id}-G${gpuIndex - s.gpuStart + 1}` : String(gpuIndex);
}

/** The server id in a GPU's name ("A01-S3-G2" → "A01-S3"), or null when the text is not a GPU's name. */
export function serverIdOfGpuName(name: string): string | null {
  const m = /^(.+)-G\d+$/.exec(name);
  return m ? m[1]! : null;
}

/**
 * "rack D03", "3 racks: D01, D02, D03", "6 racks: D01, D02, D03, D04, …": one item by name, several counted and
 * named up to `maxNames`. `nameOf` is called for the shown items only (a target may hold 20,000 GPUs).
 */
export function countedNames<T>(one: string, many: string, items: readonly T[], nameOf: (item: T) => string, maxNames = 4): string {
  if (items.length === 1) return `${one} ${nameOf(items[0]!)}`;
  const names = items.slice(0, maxNames).map(nameOf).join(', ');
  return `${items.length} ${many}: ${names}${items.length > maxNames ? ', …' : ''}`;
}

/**
 * What an override targets, for the audit trail's target column and the screen: "row D", "rack D03",
 * "2 racks: D03, D04", "server A01-S1", "GPU A01-S3-G2", "12 GPUs: A01-S1-G1, A01-S1-G2, A01-S1-G3, A01-S1-G4, …".
 * GPUs are named with `gpuName`; at most `maxNames` names are listed.
 */
export function describeTarget(target: Target, topology: Pick<Topology, 'servers' | 'gpuCount'> | null, maxNames = 4): string {
  switch (target.kind) {
    case 'row':
      return `row ${target.id}`;
    case 'racks':
      return countedNames('rack', 'racks', target.ids, String, maxNames);
    case 'servers':
      return countedNames('server', 'servers', target.ids, String, maxNames);
    case 'gpus':
      return countedNames('GPU', 'GPUs', target.ids, (g) => gpuName(topology, g), maxNames);
  }
}
