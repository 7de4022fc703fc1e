import { describe, expect, it } from 'vitest';
import { LinearFit, MIN_SAMPLES, Profiler } from '../../../main/core/profiles.js';
import { place } from '../../../main/core/placement.js';
import { createRng } from '../../../main/sim/rng.js';
import { defaultTopologySpec, resolveTopology } from '../../../main/core/topology.js';

const t = resolveTopology(defaultTopologySpec(1));

describe('least squares from running sums', () => {
  it('recovers a known line under noise, with a standard error that covers the truth', () => {
    const rng = createRng(7);
    const f = new LinearFit();
    for (let i = 0; i < 5000; i++) {
      const x = 10 + 30 * rng();
      f.add(x, 22 + 0.05 * x + (rng() - 0.5) * 0.4);
    }
    const r = f.result()!;
    expect(r.b).toBeCloseTo(0.05, 2);
    expect(r.a).toBeCloseTo(22, 1);
    expect(Math.abs(r.b - 0.05)).toBeLessThan(4 * r.bStdErr);
    // Uniform noise of width 0.4: σ = 0.4 / √12.
    expect(r.sigma).toBeCloseTo(0.4 / Math.sqrt(12), 2);
  });

  it('no fit from too few samples, from a flat x, or from non-finite values', () => {
    const few = new LinearFit();
    for (let i = 0; i < MIN_SAMPLES - 1; i++) few.add(i, i);
    expect(few.result()).toBeNull();
    const flat = new LinearFit();
    for (let i = 0; i < 100; i++) flat.add(5, i);
    expect(flat.result()).toBeNull();
    const nan = new LinearFit();
    for (let i = 0; i < 100; i++) nan.add(NaN, i);
    expect(nan.n).toBe(0);
  });
});

/** Ticks of synthetic rack power and inlets: rack 3 (A04) runs `hot` °C over its row at the same power; racks of row D idle. */
function learn(hot: number, ticks = 600) {
  const rng = createRng(3);
  const p = new Profiler(t);
  const powerW = new Float64Array(t.racks.length);
  const inletC = new Float64Array(t.racks.length);
  const gpuW = new Float64Array(t.gpuCount);
  const gpuC = new Float64Array(t.gpuCount);
  const util = new Float64Array(t.gpuCount);
  for (let i = 0; i < ticks; i++) {
    t.racks.forEach((rack, k) => {
      const idle = t.rows[rack.row]!.id === 'D';
      const kw = idle ? 8 : 20 + 15 * rng();
      powerW[k] = kw * 1000;
      inletC[k] = 22 + 0.04 * kw + (k === 3 ? hot : 0) + (rng() - 0.5) * 0.2;
    });
    t.servers.forEach((sv) => {
      const idle = t.rows[t.racks[sv.rack]!.row]!.id === 'D';
      for (let g = sv.gpuStart; g < sv.gpuStart + sv.gpuCount; g++) {
        gpuW[g] = idle ? 70 : 200 + 450 * rng();
        gpuC[g] = inletC[sv.rack]! + 14 + 0.032 * gpuW[g]!;
        util[g] = idle ? 0 : 0.7;
      }
    });
    p.rackTick(1000 * i, powerW, inletC);
    p.gpuTick(gpuW, gpuC, util, inletC);
  }
  return p.result(1);
}

describe('profiles', () => {
  it("a rack's inlet slope, its place against its row, and its servers' rise per watt", () => {
    const r = learn(3);
    const a04 = r.racks.find((x) => x.rack === 'A04')!;
    expect(a04.inlet!.from).toBe('rack');
    expect(a04.inlet!.b).toBeCloseTo(0.04, 2);
    // "This rack runs 3 °C hotter than its row at the same power" (the row's mean includes A04 itself: 3 × 9/10).
    expect(a04.hotterThanRowC!).toBeCloseTo(2.7, 1);
    expect(r.racks.find((x) => x.rack === 'A05')!.hotterThanRowC!).toBeCloseTo(-0.3, 1);
    const s0 = r.servers[0]!.rise!;
    expect(s0.rPerW).toBeCloseTo(0.032, 3);
    expect(s0.c).toBeCloseTo(14, 1);
    expect(r.rows.find((x) => x.row === 'A')!.power!.maxKW).toBeGreaterThan(r.rows.find((x) => x.row === 'A')!.power!.p50KW);
  });

  it("an idle rack's slope is its row's, through its own mean; idle servers are placement candidates", () => {
    const r = learn(0);
    const d01 = r.racks.find((x) => x.rack === 'D01')!;
    // Row D idled: its racks never varied, and the pooled row never did either: no fit at all.
    expect(d01.inlet).toBeNull();
    const a01 = r.racks.find((x) => x.rack === 'A01')!;
    expect(a01.inlet!.from).toBe('rack');
    const dServers = t.servers.map((sv, s) => ({ s, row: t.rows[t.racks[sv.rack]!.row]!.id })).filter((x) => x.row === 'D');
    for (const { s } of dServers) expect(r.serverUtil[s]).toBe(0);
    expect(r.serverUtil[0]).toBeCloseTo(0.7, 6);
  });
});

describe('placement advisor', () => {
  it('only idle servers are candidates; no inlet profile ranks infeasible', () => {
    const r = learn(0);
    const p = place(t, r, { gpus: 16, kind: 'iaas', profile: 'training' });
    expect(p.ranked.every((c) => c.row === 'D')).toBe(true);
    expect(p.ranked.every((c) => !c.feasible && /no thermal profile/.test(c.reason))).toBe(true);
  });

  it('prefers the row with power headroom and the cooler rack; every pick counts the ones before it; beats first fit', () => {
    const r = learn(3);
    // Free servers: make A04 (hot rack) and row B's racks idle candidates by utilisation.
    const util = r.serverUtil.map(() => 1);
    t.servers.forEach((sv, s) => {
      const rack = t.racks[sv.rack]!.id;
      if (rack === 'A04' || rack === 'B05' || rack === 'B06') util[s] = 0;
    });
    const profiles = { ...r, serverUtil: util };
    // Row A near its budget: p99 at 90 % of 408 kW.
    profiles.rows = r.rows.map((x) => (x.row === 'A' ? { ...x, power: { ...x.power!, p99KW: 367 } } : x));
    const p = place(t, profiles, { gpus: 32, kind: 'iaas', profile: 'training' });
    expect(p.ranked[0]!.row).toBe('B');
    expect(p.chosen.every((c) => c.row === 'B')).toBe(true);
    expect(p.ranked.filter((c) => c.rack === 'A04').every((c) => c.score < p.ranked[0]!.score)).toBe(true);
    // First fit takes the first free servers in topology order: A04's, on the full, hot row A.
    expect(p.firstFit.every((c) => c.rack === 'A04')).toBe(true);
    expect(p.summary.advisor.worstRowPct).toBeLessThan(p.summary.firstFit.worstRowPct);
    // Picks accumulate: the fourth server on rack B05 sees the first three's power in its row.
    const b = p.chosen.map((c) => c.rowPctAfter);
    for (let i = 1; i < b.length; i++) expect(b[i]!).toBeGreaterThan(b[i - 1]!);
    expect(p.placedGpus).toBe(32);
    // A placement that would push a row over its budget is infeasible.
    const full = { ...profiles, rows: profiles.rows.map((x) => (x.row === 'B' ? { ...x, power: { ...x.power!, p99KW: 405 } } : x)) };
    const q = place(t, full, { gpus: 8, kind: 'iaas', profile: 'training' });
    expect(q.ranked.filter((c) => c.row === 'B').every((c) => !c.feasible && /over its budget/.test(c.reason))).toBe(true);
  });
});
