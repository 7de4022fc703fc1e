import { describe, expect, it } from 'vitest';
import { forecast, place } from '../../../main/core/placement.js';
import type { SiteProfiles } from '../../../main/core/profiles.js';
import { defaultTopologySpec, resolveTopology } from '../../../main/core/topology.js';

/**
 * The advisor's arithmetic on hand-made profiles (the default site: H100s, 700 W max, 70 W idle, 89 °C slowdown,
 * servers of 8 GPUs with 2,000 W of non-GPU active power): every row at 200 kW p99; every rack's inlet 20 °C + 0.1 °C
 * per kW of its own power at a p95 of 20 kW, its row's aisle + 0.01 °C per kW the row gains; every server's GPUs
 * 14 °C + 0.03 °C/W above the inlet. Only rack B05's four servers are idle.
 */
const t = resolveTopology(defaultTopologySpec(1));
const B05 = t.racks.findIndex((r) => r.id === 'B05');

function profiles(o: { inletA?: number; rowP99KW?: number } = {}): SiteProfiles {
  return {
    fromMs: 0,
    toMs: 3_600_000,
    ticks: 360,
    strideS: 10,
    racks: t.racks.map((r) => ({
      rack: r.id,
      row: t.rows[r.row]!.id,
      inlet: { a: o.inletA ?? 20, b: 0.1, bStdErr: 0.01, sigma: 0.3, n: 360, from: 'rack' as const },
      hotterThanRowC: r.id === 'B05' ? 1.2 : 0,
      power: { p50KW: 15, p95KW: 20, p99KW: 22, maxKW: 25 },
    })),
    servers: t.servers.map((s, i) => ({ server: i, rack: t.racks[s.rack]!.id, rise: { c: 14, rPerW: 0.03, rStdErr: 0.001, sigma: 0.5, n: 360 } })),
    rows: t.rows.map((r) => ({ row: r.id, budgetKW: r.budgetKW, power: { p50KW: 150, p95KW: 190, p99KW: o.rowP99KW ?? 200, maxKW: 210 }, aisle: { a: 20, b: 0.01, bStdErr: 0.001, sigma: 0.2, n: 360 } })),
    serverUtil: t.servers.map((s) => (s.rack === B05 ? 0 : 0.8)),
  };
}

describe('placement advisor: its arithmetic', () => {
  it('one server of training GPUs: the row peak, the inlet and the GPUs it would reach, and why', () => {
    const p = place(t, profiles(), { gpus: 8, kind: 'iaas', profile: 'training' });
    expect(p.ranked.map((c) => c.server)).toEqual(['B05-S1', 'B05-S2', 'B05-S3', 'B05-S4']);
    // Adds 8 × (700 − 70) W + 2,000 W = 7.04 kW at the row's peak.
    const c = p.chosen[0]!;
    expect(c).toMatchObject({ server: 'B05-S1', rack: 'B05', row: 'B', feasible: true, rowPctBefore: 49, rowPctAfter: 50.7, inletBeforeC: 22, inletAfterC: 22.8, inletSigmaC: 0.3, gpuAfterC: 57.8 });
    // Headroom: the inlet's (27 − 22.77) / 5 = 0.85 is the least (power (80 − 50.7) / 20 = 1.46, GPUs (84 − 57.8) / 15 = 1.75).
    expect(c.score).toBe(0.845);
    expect(c.reason).toBe('row B peak 49 → 50.7 % of 408 kW; rack B05 inlet 22 → 22.8 °C (±0.3); runs 1.2 °C hotter than its row at the same power; GPUs ~57.8 °C at 100 % of TDP');
    expect(p.placedGpus).toBe(8);
    expect(p.summary.advisor).toEqual({ worstRowPct: 50.7, hottestInletC: 22.8, feasible: true });
  });

  it('inference runs at 85 % of TDP at its peak, with the non-GPU parts at 80 %', () => {
    const c = place(t, profiles(), { gpus: 8, kind: 'iaas', profile: 'inference' }).chosen[0]!;
    // 8 × (595 − 70) + 1,600 = 5.8 kW: (200 + 5.8) / 408 = 50.4 %; GPUs 20 + 0.1 × 25.8 + 0.058 + 14 + 0.03 × 595.
    expect(c.rowPctAfter).toBe(50.4);
    expect(c.gpuAfterC).toBe(54.5);
    expect(c.reason).toMatch(/GPUs ~54\.5 °C at 85 % of TDP$/);
  });

  it('IaaS keeps rows under 80 % of the budget (only caps act on VMs), SaaS under 90 %', () => {
    // Cool air (inlets near 13 °C): the power share decides.
    const iaas = place(t, profiles({ inletA: 10 }), { gpus: 8, kind: 'iaas', profile: 'training' }).chosen[0]!;
    const saas = place(t, profiles({ inletA: 10 }), { gpus: 8, kind: 'saas', profile: 'training' }).chosen[0]!;
    expect(iaas.score).toBe(1.463);
    expect(saas.score).toBe(1.963);
  });

  it('picks accumulate in the row and the rack; past the budget or 32 °C is infeasible; a rack without a fit is unknown', () => {
    const p = place(t, profiles(), { gpus: 32, kind: 'iaas', profile: 'training' });
    expect(p.chosen.map((c) => c.rowPctAfter)).toEqual([50.7, 52.5, 54.2, 55.9]);
    expect(p.chosen.map((c) => c.inletAfterC)).toEqual([22.8, 23.5, 24.3, 25.1]);
    const full = place(t, profiles({ rowP99KW: 402 }), { gpus: 8, kind: 'iaas', profile: 'training' }).chosen[0]!;
    expect(full.feasible).toBe(false);
    expect(full.reason).toMatch(/INFEASIBLE: row over its budget$/);
    const hot = place(t, profiles({ inletA: 29.5 }), { gpus: 8, kind: 'iaas', profile: 'training' }).chosen[0]!;
    expect(hot.inletAfterC).toBe(32.3);
    expect(hot.feasible).toBe(false);
    expect(hot.reason).toMatch(/INFEASIBLE: inlet unknown or past 32 °C$/);
    const none = profiles();
    none.racks[B05] = { ...none.racks[B05]!, inlet: null };
    const u = place(t, none, { gpus: 8, kind: 'iaas', profile: 'training' }).chosen[0]!;
    expect(u).toMatchObject({ feasible: false, inletAfterC: null, gpuAfterC: null });
    expect(u.reason).toContain('rack B05: no thermal profile (no inlet history)');
  });

  it('only servers idle over the window are candidates (mean utilisation under 5 %)', () => {
    const p = profiles();
    p.serverUtil = p.serverUtil.map((u, s) => (t.servers[s]!.rack === B05 ? (s % 2 ? 0.049 : 0.05) : u));
    expect(place(t, p, { gpus: 8, kind: 'iaas', profile: 'training' }).ranked.map((c) => c.server)).toEqual(['B05-S2', 'B05-S4']);
  });
});

describe("the floor's predicted pressure: each rack at its profile's peaks", () => {
  it('the worse of its row at p99 and its heat (inlet at its p95, busy GPUs at their limit), and which one sets it', () => {
    const f = forecast(t, profiles());
    const a01 = f.find((x) => x.rack === 'A01')!;
    // Inlet 20 + 0.1 × 20 = 22 °C; busy GPUs 22 + 14 + 0.03 × 700 = 57 °C (slowdown 89: 32 °C short of it, clear);
    // row B at 200 of 408 kW = 49 %, under the 60 % where power starts to press.
    expect(a01).toMatchObject({ rowP99Pct: 49, inletC: 22, gpuC: 57, pressurePct: 0, by: null });
    // B05's servers idle: its GPUs at idle power (22 + 14 + 0.03 × 70 = 38.1 °C).
    expect(f.find((x) => x.rack === 'B05')!.gpuC).toBe(38.1);
    // The row at 70 % of its budget: half of the 60 → 80 % ramp.
    const hot = forecast(t, profiles({ rowP99KW: 0.7 * 408 }));
    expect(hot.find((x) => x.rack === 'B01')).toMatchObject({ rowP99Pct: 70, pressurePct: 50, by: 'power' });
    // Warm air: inlet 31 °C is half of the 27 → 35 °C ramp; its GPUs (66 °C) press less (from 69 °C).
    const warm = forecast(t, profiles({ inletA: 29 }));
    expect(warm.find((x) => x.rack === 'B01')).toMatchObject({ inletC: 31, gpuC: 66, pressurePct: 50, by: 'air' });
    // Cool air, hot GPUs (14 °C more rise): 22 + 28 + 21 = 71 °C, 2 of the 15 °C ramp from 69 °C.
    const p = profiles();
    p.servers = p.servers.map((x) => ({ ...x, rise: { ...x.rise!, c: 28 } }));
    expect(forecast(t, p).find((x) => x.rack === 'B01')).toMatchObject({ inletC: 22, gpuC: 71, pressurePct: 13.3, by: 'gpu' });
  });

  it('a rack without an inlet profile is unknown, not clear; without a rise fit its air alone judges', () => {
    const p = profiles();
    p.racks[0] = { ...p.racks[0]!, inlet: null };
    for (let s = t.racks[1]!.serverStart; s < t.racks[1]!.serverStart + t.racks[1]!.serverCount; s++) p.servers[s] = { ...p.servers[s]!, rise: null };
    const f = forecast(t, p);
    expect(f[0]).toMatchObject({ pressurePct: null, by: null, inletC: null, gpuC: null });
    expect(f[1]).toMatchObject({ pressurePct: 0, gpuC: null, inletC: 22 });
  });
});
