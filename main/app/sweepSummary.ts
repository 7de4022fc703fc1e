import type { SweepPoint, SweepResult, SweepSummary } from '../../shared/domain/planner.js';
import { poissonRate } from '../core/rateInterval.js';

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const r4 = (x: number) => Math.round(x * 10_000) / 10_000;

/**
 * Per server count and policy, over every seed of a sweep: brakes per 100 row-hours with their 95 % interval
 * (core/rateInterval.ts), brake-free seeds, the worst seed's service figures and the mean useful work per kW of
 * budget, also ÷ `referencePerKW` (the unconstrained provisioned row). One row a point, so row-hours = seeds × hours.
 */
export function summarizeSweep(points: readonly SweepPoint[], durationS: number, referencePerKW: number): SweepSummary[] {
  const groups = new Map<string, SweepPoint[]>();
  for (const p of points) {
    const key = `${p.servers}|${p.policy}`;
    const g = groups.get(key);
    if (g) g.push(p);
    else groups.set(key, [p]);
  }
  return [...groups.values()].map((g) => {
    const rowHours = (g.length * durationS) / 3600;
    const brakes = g.reduce((a, p) => a + p.brakes, 0);
    const rate = poissonRate(brakes, rowHours, 100);
    const perKW = g.reduce((a, p) => a + p.tokensPerSPerKW, 0) / g.length;
    const round = (x: number | null) => (x === null ? null : r3(x));
    return {
      servers: g[0]!.servers,
      policy: g[0]!.policy,
      seeds: g.length,
      rowHours: r3(rowHours),
      brakes,
      brakesPer100RowHours: round(rate.rate),
      brakesCi95: [round(rate.lo), round(rate.hi)],
      brakeFreeSeeds: g.filter((p) => p.brakes === 0).length,
      worstHighP99LatencyRatio: Math.max(...g.map((p) => p.high.p99LatencyRatio)),
      minHighThroughputRatio: Math.min(...g.map((p) => p.high.throughputRatio)),
      minLowThroughputRatio: Math.min(...g.map((p) => p.low.throughputRatio)),
      meanHighP99LatencyRatio: r4(g.reduce((a, p) => a + p.high.p99LatencyRatio, 0) / g.length),
      tokensPerSPerKW: r3(perKW),
      workVsProvisioned: referencePerKW > 0 ? r4(perKW / referencePerKW) : null,
    };
  });
}

/** The terminal line of `headroom sim --sweep`: per policy, the largest server count every seed ran brake-free. */
export function sweepSummaryLine(result: SweepResult, wallS: number, out?: string): string {
  const policies = [...new Set(result.points.map((p) => p.policy))];
  const counts = [...new Set(result.points.map((p) => p.servers))];
  const clean = policies.map((policy) => {
    let upTo = 0;
    for (const servers of counts) {
      const s = result.summary.find((x) => x.servers === servers && x.policy === policy);
      if (!s || s.brakes > 0) break;
      upTo = servers;
    }
    return `${policy} ${upTo || '—'}`;
  });
  const seeds = result.seeds.length > 1 ? ` × ${result.seeds.length} seeds` : '';
  return (
    `swept ${counts.length} server counts × ${policies.length} policies (+ unconstrained)${seeds} of ${result.durationS} s, ${result.demand} demand, in ${wallS.toFixed(1)} s; ` +
    `without a brake up to (servers on ${result.budgetKW} kW, ${result.provisionedServers} provisioned): ${clean.join(', ')}${out ? `; → ${out}` : ''}`
  );
}
