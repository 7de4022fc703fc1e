import { describe, expect, it } from 'vitest';
import { armedLimits } from '../../../main/core/armed.js';
import { indexTopology, resolveTopology } from '../../../main/core/topology.js';

/** One rack of two 8-GPU H100 servers (lowest settable limit 200 W): server 0 low priority, server 1 high. */
const t = resolveTopology({
  site: { id: 't', name: 'test' },
  gpuModels: [],
  rows: [{ id: 'A', budgetKW: 100, coolingKW: 100, supplyC: 22, racks: 1, serversPerRack: 2, gpusPerServer: 8, gpuModel: 'H100-SXM', serverIdleW: 1500, serverActiveW: 2000 }],
});
const idx = indexTopology(t);
const priorities = Uint8Array.from({ length: 16 }, (_, g) => (g < 8 ? 0 : 1));
const at600 = new Float64Array(16).fill(600);

function limitsFor(cutKW: number, powerW: Float64Array = at600) {
  const limitW = new Float64Array(16);
  const takenKW = armedLimits(t, idx, [cutKW], priorities, powerW, limitW);
  return { takenKW, low: Array.from(limitW.subarray(0, 8)), high: Array.from(limitW.subarray(8)) };
}

describe('armed limits (core/armed.ts)', () => {
  it('takes from the low-priority GPUs first, each in proportion to what a cap can take from it', () => {
    const r = limitsFor(2);
    expect(r.takenKW).toBeCloseTo(2, 9);
    expect(r.low).toEqual(Array(8).fill(350));
    expect(r.high).toEqual(Array(8).fill(0));
  });

  it('the high-priority GPUs give only what the low-priority ones cannot', () => {
    const r = limitsFor(4);
    expect(r.takenKW).toBeCloseTo(4, 9);
    expect(r.low).toEqual(Array(8).fill(200));
    expect(r.high).toEqual(Array(8).fill(500));
  });

  it('never below the lowest settable limit: a plan larger than the room takes the room', () => {
    const r = limitsFor(10);
    expect(r.takenKW).toBeCloseTo(6.4, 9);
    expect([...r.low, ...r.high]).toEqual(Array(16).fill(200));
  });

  it('a GPU with no reading or at its lowest limit gets no limit; no plan, no limits', () => {
    const p = Float64Array.from(at600);
    p[0] = NaN;
    p[1] = 200;
    const r = limitsFor(1.2, p);
    expect(r.low.slice(0, 2)).toEqual([0, 0]);
    // The other six low GPUs share 1.2 kW: 200 W each.
    expect(r.low.slice(2)).toEqual(Array(6).fill(400));
    expect(limitsFor(0).low.concat(limitsFor(-1).high)).toEqual(Array(16).fill(0));
  });
});
