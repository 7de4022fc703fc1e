import type { Scenario } from '../../shared/domain/scenario.js';
import type { Topology } from '../../shared/domain/topology.js';
import type { TopologyIndex } from '../core/topology.js';
import { InferenceServiceSim } from './inference.js';
import { createRng, deriveSeed } from './rng.js';
import { TrainingJobSim } from './training.js';
import type { Trace } from './traces.js';

/** A workload's servers as columns: where its GPUs are, what they do this step, and what its router reads. */
export interface Workload {
  sim: InferenceServiceSim | TrainingJobSim;
  servers: readonly number[];
  /** GPU range [gpuStart, gpuEnd) of each of the workload's servers. */
  gpuStart: Int32Array;
  gpuEnd: Int32Array;
  clockRatio: Float64Array;
  activity: Float64Array;
  memBound: Float64Array;
  rows: Set<number>;
  /** Per server: rack, row, its GPUs' slowdown temperature (°C), and scratch for its slack penalty (core/slack.ts). */
  rack: Int32Array;
  row: Int32Array;
  slowdownC: Float64Array;
  raw: Float64Array;
}

/** Servers of a placement (references already checked), in topology order. */
function claim(t: Topology, placement: { rows?: string[] | undefined; racks?: string[] | undefined; servers?: string[] | undefined }): number[] {
  const rackIdx = new Set<number>();
  for (const rowId of placement.rows ?? []) {
    const row = t.rows.find((x) => x.id === rowId)!;
    for (let i = 0; i < row.rackCount; i++) rackIdx.add(row.rackStart + i);
  }
  for (const rackId of placement.racks ?? []) rackIdx.add(t.racks.findIndex((x) => x.id === rackId));
  const out = new Set<number>();
  for (const ri of rackIdx) {
    const rack = t.racks[ri]!;
    for (let s = rack.serverStart; s < rack.serverStart + rack.serverCount; s++) out.add(s);
  }
  for (const id of placement.servers ?? []) out.add(t.servers.findIndex((x) => x.id === id));
  return [...out].sort((a, b) => a - b);
}

/**
 * The scenario's inference services and training jobs on their servers, each with its own seeded streams (requests,
 * routing, iterations), services first, in scenario order.
 */
export function buildWorkloads(t: Topology, index: TopologyIndex, scenario: Scenario, traces: Record<'code' | 'conv', Trace>, seed: number): Workload[] {
  const out: Workload[] = [];
  const add = (sim: InferenceServiceSim | TrainingJobSim, servers: number[]) => {
    const n = servers.length;
    const gpuStart = Int32Array.from(servers, (s) => t.servers[s]!.gpuStart);
    const rack = Int32Array.from(servers, (s) => index.serverRack[s]!);
    out.push({
      sim,
      servers,
      gpuStart,
      gpuEnd: Int32Array.from(servers, (s) => t.servers[s]!.gpuStart + t.servers[s]!.gpuCount),
      clockRatio: new Float64Array(n).fill(1),
      activity: new Float64Array(n),
      memBound: new Float64Array(n),
      rows: new Set(Array.from(rack, (k) => index.rackRow[k]!)),
      rack,
      row: Int32Array.from(rack, (k) => index.rackRow[k]!),
      slowdownC: Float64Array.from(gpuStart, (g) => t.models[index.gpuModel[g]!]!.slowdownC),
      raw: new Float64Array(n),
    });
  };
  for (const svc of scenario.services) {
    const servers = claim(t, svc.placement);
    add(new InferenceServiceSim(svc, traces[svc.trace], servers, createRng(deriveSeed(seed, `svc:${svc.id}`)), scenario.demand, createRng(deriveSeed(seed, `route:${svc.id}`))), servers);
  }
  for (const job of scenario.training) {
    const servers = claim(t, job.placement);
    add(new TrainingJobSim(job, servers, createRng(deriveSeed(seed, `job:${job.id}`)), scenario.demand), servers);
  }
  return out;
}
