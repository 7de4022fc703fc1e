import { describe, expect, it } from 'vitest';
import type { PlannerPolicy, SweepPoint, SweepResult } from '../../../shared/domain/planner.js';
import {
  PLANNER_METRICS,
  POLICIES,
  buildPlannerOption,
  headlines,
  metricSeries,
  panelLayout,
  plannerTable,
  plannerTooltip,
  scenarioText,
  serverCounts,
  sweepRuns,
  sweptPolicies,
} from '../../../renderer/charts/planner.js';

function point(servers: number, policy: PlannerPolicy, brakes: number, seed = 7): SweepPoint {
  return {
    servers,
    seed,
    policy,
    brakes,
    pctTimeCapped: servers / 2,
    peakRowPct: 80 + servers / 4,
    p99RowPct: 75,
    secondsOver100: brakes * 3,
    longestOverS: brakes,
    high: { throughputRatio: policy === 'none' ? 1 : 0.995, p99LatencyRatio: 1.02 },
    low: { throughputRatio: 0.9, p99LatencyRatio: 1.4 },
    tokensPerS: servers * 100,
    tokensPerSPerKW: (servers * 100) / 313.8,
  };
}

/** Brakes per policy and count: Headroom none at all, POLCA from 48, the others from 44. */
const brakesOf = (n: number, p: PlannerPolicy): number => (p === 'headroom' ? 0 : p === 'polca' ? (n >= 48 ? 2 : 0) : n >= 44 ? 5 : 0);
const policies: PlannerPolicy[] = ['none', 'polca', 'headroom', 'polca-no-priority'];
const result: SweepResult = {
  scenario: 'default',
  budgetKW: 313.8,
  provisionedServers: 40,
  durationS: 3600,
  seed: 7,
  demand: 'production',
  seeds: [7],
  // Out of order on purpose: builders sort.
  points: [44, 40, 48].flatMap((n) => policies.map((p) => point(n, p, brakesOf(n, p)))),
  summary: [],
  reference: { servers: 40, tokensPerSPerKW: 12.7 },
};

describe('capacity planner charts', () => {
  it('counts runs and server counts', () => {
    // Four policies by default; the count follows the policies requested.
    expect(sweepRuns(40, 60, 2)).toBe(44);
    expect(sweepRuns(40, 60, 2, 3)).toBe(33);
    expect(sweepRuns(40, 40, 5, 1)).toBe(1);
    expect(sweepRuns(50, 40, 2)).toBe(0);
    expect(sweepRuns(40, 60, 2, 0)).toBe(0);
    expect(serverCounts(result)).toEqual([40, 44, 48]);
  });

  it('gives each policy its series per metric, ascending in servers', () => {
    const brakes = metricSeries(result, PLANNER_METRICS.find((m) => m.id === 'brakes')!);
    expect(brakes.polca).toEqual([
      [40, 0],
      [44, 0],
      [48, 2],
    ]);
    const thr = metricSeries(result, PLANNER_METRICS.find((m) => m.id === 'highThr')!);
    expect(thr.polca[0]![1]).toBeCloseTo(99.5);
    expect(thr.none[0]![1]).toBe(100);
    expect(brakes.headroom).toEqual([
      [40, 0],
      [44, 0],
      [48, 0],
    ]);
  });

  it('finds the most servers each policy ran without a brake', () => {
    const h = headlines(result);
    expect(h.find((x) => x.policy === 'polca')).toMatchObject({ maxServers: 44 });
    expect(h.find((x) => x.policy === 'polca')!.gainPct).toBeCloseTo(10);
    expect(h.find((x) => x.policy === 'none')).toMatchObject({ maxServers: 40, gainPct: 0 });
    expect(h.find((x) => x.policy === 'headroom')).toMatchObject({ label: 'Headroom', maxServers: 48 });
    expect(h.find((x) => x.policy === 'headroom')!.gainPct).toBeCloseTo(20);
    const allBrake = { ...result, points: result.points.map((p) => ({ ...p, brakes: 1 })) };
    expect(headlines(allBrake).every((x) => x.maxServers === null)).toBe(true);
  });

  it('tabulates per server count and policy, with units', () => {
    const rows = plannerTable(result);
    expect(rows).toHaveLength(12);
    expect(rows.slice(0, 5).map((r) => [r.servers, r.policy, r.policyLabel, r.first, r.span])).toEqual([
      [40, 'headroom', 'Headroom', true, 4],
      [40, 'polca', 'POLCA', false, 4],
      [40, 'polca-no-priority', 'POLCA, no priority', false, 4],
      [40, 'none', 'No capping', false, 4],
      [44, 'headroom', 'Headroom', true, 4],
    ]);
    expect(rows[1]!.cells).toEqual(['0', '20.0 %', '90.0 %', '75.0 %', '0 s', '99.5 %', '90.0 %', '×1.02', '×1.40']);
  });

  it('builds one panel per metric and one line per policy, with the provisioned count marked', () => {
    const opt = buildPlannerOption(result, 1200, 480) as { grid: unknown[]; series: Array<{ id: string; data: unknown[]; markLine?: { data: Array<Record<string, unknown>> } }>; legend: { data: string[] } };
    expect(opt.grid).toHaveLength(PLANNER_METRICS.length);
    expect(opt.series).toHaveLength(PLANNER_METRICS.length * POLICIES.length);
    expect(opt.legend.data).toEqual(['Headroom', 'POLCA', 'POLCA, no priority', 'No capping']);
    // Reference lines ride on the first policy's series of each panel (Headroom's).
    const first = opt.series.find((s) => s.id === 'peak:headroom')!;
    // Provisioned (40) is the sweep's edge here: only the 100 % reference is drawn.
    expect(first.markLine!.data).toEqual([expect.objectContaining({ yAxis: 100 })]);
    expect(opt.series.find((s) => s.id === 'peak:none')!.markLine).toBeUndefined();
    const wider = buildPlannerOption({ ...result, provisionedServers: 44 }, 1200, 480) as typeof opt;
    expect(wider.series.find((s) => s.id === 'brakes:headroom')!.markLine!.data).toEqual([expect.objectContaining({ xAxis: 44 })]);
  });

  it('draws Headroom as its own series in every panel, in a colour no other policy uses', () => {
    type S = { id: string; name: string; data: Array<[number, number]>; lineStyle: { color: string } };
    const opt = buildPlannerOption(result, 1200, 480) as { series: S[] };
    const ours = opt.series.filter((s) => s.id.endsWith(':headroom'));
    expect(ours.map((s) => s.id)).toEqual(PLANNER_METRICS.map((m) => `${m.id}:headroom`));
    expect(ours.every((s) => s.name === 'Headroom')).toBe(true);
    expect(ours.find((s) => s.id === 'brakes:headroom')!.data).toEqual([
      [40, 0],
      [44, 0],
      [48, 0],
    ]);
    const colours = new Set(POLICIES.map((p) => p.color));
    expect(colours.size).toBe(POLICIES.length);
    // Drawn over the baselines (same values must not hide it).
    expect((ours[0] as S & { z: number }).z).toBeGreaterThan((opt.series.find((s) => s.id === 'brakes:none') as S & { z: number }).z);
    const headroomColour = POLICIES.find((p) => p.id === 'headroom')!.color;
    expect(opt.series.filter((s) => s.lineStyle.color === headroomColour).every((s) => s.id.endsWith(':headroom'))).toBe(true);
  });

  it('names the demand once: the scenario line loses its demand suffix', () => {
    expect(scenarioText({ ...result, scenario: 'one row; bursty demand', demand: 'bursty' })).toBe('one row');
    expect(scenarioText({ ...result, scenario: 'one row; bursty demand', demand: 'production' })).toBe('one row; bursty demand');
  });

  it('charts only the policies a sweep ran (a subset may be requested)', () => {
    const two: SweepResult = { ...result, points: result.points.filter((p) => p.policy === 'headroom' || p.policy === 'polca') };
    expect(sweptPolicies(two).map((p) => p.id)).toEqual(['headroom', 'polca']);
    const opt = buildPlannerOption(two, 1200, 480) as { series: Array<{ id: string }>; legend: { data: string[] } };
    expect(opt.legend.data).toEqual(['Headroom', 'POLCA']);
    expect(opt.series).toHaveLength(PLANNER_METRICS.length * 2);
    expect(headlines(two).map((h) => h.policy)).toEqual(['headroom', 'polca']);
    expect(plannerTable(two).filter((r) => r.first).map((r) => r.span)).toEqual([2, 2, 2]);
  });

  it('charts the first seed of a multi-seed result (the CLI’s --seeds), never a mix', () => {
    const later = result.points.map((p) => ({ ...point(p.servers, p.policy, 9, 8) }));
    const seeded: SweepResult = { ...result, seeds: [7, 8], points: [...later, ...result.points] };
    const brakes = metricSeries(seeded, PLANNER_METRICS.find((m) => m.id === 'brakes')!);
    expect(brakes.polca).toEqual([
      [40, 0],
      [44, 0],
      [48, 2],
    ]);
    expect(plannerTable(seeded)).toHaveLength(12);
    expect(headlines(seeded).find((h) => h.policy === 'headroom')).toMatchObject({ maxServers: 48 });
  });

  it('lays panels out in columns without overlap', () => {
    const l = panelLayout(8, 1200, 480, 4);
    expect(l).toHaveLength(8);
    expect(l[1]!.left).toBeGreaterThan(l[0]!.left + l[0]!.width);
    expect(l[4]!.top).toBeGreaterThan(l[0]!.top + l[0]!.height);
  });

  it('formats the tooltip in the metric’s unit', () => {
    const html = plannerTooltip([
      { seriesId: 'highP99:polca', seriesName: 'POLCA', value: [44, 1.234] },
      { seriesId: 'highP99:none', seriesName: 'No capping', value: [44, 1] },
    ]);
    expect(html).toContain('High-priority p99 latency · 44 servers');
    expect(html).toContain('POLCA: <b>×1.23</b>');
    expect(html).toContain('No capping: <b>×1.00</b>');
  });
});
