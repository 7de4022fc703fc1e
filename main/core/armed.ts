import type { Topology } from '../../shared/domain/topology.js';
import type { TopologyIndex } from './topology.js';

/**
 * Armed responses: the caps the N-1 analysis (core/contingency.ts) prepared for a single failure, turned into one
 * power limit per GPU at the moment the failure happens. Pure, typed arrays.
 *
 * Rules:
 *   - a plan is the power to shed per rack (kW), as the analysis computed it: lowest priority first, under the device
 *     that would overload;
 *   - within a rack, the low-priority GPUs give first, each in proportion to what a cap can take from it now (its
 *     power above the model's lowest settable limit); the high-priority GPUs give only the rest;
 *   - a GPU's limit is its power now less its share, never below the model's lowest limit; a GPU with nothing to give
 *     gets no limit (0), so an armed plan never raises a GPU's power.
 */

/** What a cap can take from each GPU now (W): power above its model's lowest limit; 0 where there is no reading. */
export function capRoomW(t: Topology, idx: TopologyIndex, powerW: ArrayLike<number>, out = new Float64Array(t.gpuCount)): Float64Array {
  for (let g = 0; g < t.gpuCount; g++) {
    const p = powerW[g]!;
    out[g] = Number.isFinite(p) ? Math.max(0, p - t.models[idx.gpuModel[g]!]!.minLimitW) : 0;
  }
  return out;
}

/**
 * Per-GPU power limits (W, 0 = none) that shed `rackCutKW` per rack from GPUs drawing `powerW` now, low priority
 * (`priorities[g]` = 0) first. Returns the power the limits take in all (kW), at most the plan's where GPUs have it.
 */
export function armedLimits(t: Topology, idx: TopologyIndex, rackCutKW: ArrayLike<number>, priorities: Uint8Array, powerW: ArrayLike<number>, limitW: Float64Array): number {
  limitW.fill(0);
  const room = capRoomW(t, idx, powerW);
  let takenW = 0;
  for (let r = 0; r < t.racks.length; r++) {
    let needW = (rackCutKW[r] ?? 0) * 1000;
    if (!(needW > 0)) continue;
    const rack = t.racks[r]!;
    const servers = t.servers.slice(rack.serverStart, rack.serverStart + rack.serverCount);
    for (const prio of [0, 1]) {
      if (needW <= 0) break;
      let avail = 0;
      for (const s of servers) for (let g = s.gpuStart; g < s.gpuStart + s.gpuCount; g++) if (priorities[g] === prio) avail += room[g]!;
      if (avail <= 0) continue;
      const share = Math.min(1, needW / avail);
      for (const s of servers)
        for (let g = s.gpuStart; g < s.gpuStart + s.gpuCount; g++) {
          if (priorities[g] !== prio || room[g]! <= 0) continue;
          const cut = room[g]! * share;
          // At least the lowest settable limit: the cut is at most the GPU's room above it.
          limitW[g] = powerW[g]! - cut;
          takenW += cut;
        }
      needW -= avail * share;
    }
  }
  return takenW / 1000;
}
