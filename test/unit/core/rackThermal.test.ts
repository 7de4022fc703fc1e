import { describe, expect, it } from 'vitest';
import { END_WEIGHT, NEIGHBOUR_SHARE, RACK_TAU_S, RECIRC_C, rackAirLayout, stepRackAir } from '../../../main/core/rackThermal.js';

/** One row of 5 racks of 40 kW nominal (and a second row of 1), stepped to steady state at the given rack powers (W). */
function settle(rackW: number[], rowInletC = [25, 22], offsetC = [0, 0, 0, 0, 0, 0]) {
  const rows = [
    { rackStart: 0, rackCount: 5 },
    { rackStart: 5, rackCount: 1 },
  ];
  const L = rackAirLayout(rows, [40, 40, 40, 40, 40, 40]);
  const n = rackW.length;
  const own = new Float64Array(n);
  const recirc = new Float64Array(n);
  const inlet = new Float64Array(n);
  for (let i = 0; i < 600; i++) stepRackAir(L, rackW, rowInletC, [0, 0, 0, 0, 0, 1], offsetC, 1, own, recirc, inlet);
  return Array.from(inlet);
}

describe('rack air (recirculation by own power, neighbours and place in the row)', () => {
  it('an idle row reads its row inlet plus each rack offset', () => {
    expect(settle([0, 0, 0, 0, 0, 0], [25, 22], [0.3, -0.2, 0, 0.1, 0, -0.4])).toEqual([25.3, 24.8, 25, 25.1, 25, 21.6].map((x) => expect.closeTo(x, 9)));
  });

  it('a middle rack at nominal power with idle neighbours rises RECIRC_C; an end rack END_WEIGHT times that', () => {
    const mid = settle([0, 0, 40_000, 0, 0, 0]);
    expect(mid[2]! - 25).toBeCloseTo(RECIRC_C, 6);
    // Its neighbours get their share of its recirculation; racks two away nothing.
    expect(mid[1]! - 25).toBeCloseTo(NEIGHBOUR_SHARE * RECIRC_C, 6);
    expect(mid[0]).toBeCloseTo(25, 9);
    const end = settle([40_000, 0, 0, 0, 0, 0]);
    expect(end[0]! - 25).toBeCloseTo(END_WEIGHT * RECIRC_C, 6);
    expect(END_WEIGHT).toBeGreaterThan(1);
  });

  it('inlet grows with the rack own power, linearly, and with its neighbours', () => {
    const half = settle([0, 0, 20_000, 0, 0, 0])[2]! - 25;
    const full = settle([0, 0, 40_000, 0, 0, 0])[2]! - 25;
    expect(full).toBeCloseTo(2 * half, 9);
    const withNeighbours = settle([0, 40_000, 40_000, 40_000, 0, 0])[2]! - 25;
    expect(withNeighbours).toBeCloseTo(RECIRC_C * (1 + 2 * NEIGHBOUR_SHARE), 6);
  });

  it('rows do not share air: the single rack of row 2 is no end rack and no neighbour of row 1', () => {
    const r = settle([40_000, 40_000, 40_000, 40_000, 40_000, 40_000]);
    expect(r[5]! - 22).toBeCloseTo(RECIRC_C, 6);
    // Row 1's last rack is an end: it recirculates END_WEIGHT × and gets a quarter of its one neighbour.
    expect(r[4]! - 25).toBeCloseTo(RECIRC_C * (END_WEIGHT + NEIGHBOUR_SHARE), 6);
  });

  it('moves toward its target with a lag, never past it', () => {
    const L = rackAirLayout([{ rackStart: 0, rackCount: 3 }], [40, 40, 40]);
    const own = new Float64Array(3);
    const recirc = new Float64Array(3);
    const inlet = new Float64Array(3);
    const seen: number[] = [];
    for (let i = 0; i < 12 * RACK_TAU_S; i++) {
      stepRackAir(L, [0, 40_000, 0], [25], [0, 0, 0], [0, 0, 0], 1, own, recirc, inlet);
      seen.push(inlet[1]!);
    }
    expect(seen[0]! - 25).toBeGreaterThan(0);
    expect(seen[0]! - 25).toBeLessThan(RECIRC_C / 10);
    // One time constant: 1 − 1/e of the way.
    expect((seen[RACK_TAU_S - 1]! - 25) / RECIRC_C).toBeCloseTo(1 - Math.exp(-1), 6);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThanOrEqual(seen[i - 1]!);
    expect(seen.at(-1)! - 25).toBeLessThanOrEqual(RECIRC_C + 1e-12);
    expect(seen.at(-1)! - 25).toBeCloseTo(RECIRC_C, 3);
  });
});
