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
  serverCounts,
  sweepRuns,
} from '../../../renderer/charts/planner.js';

function point(servers: number, policy: PlannerPolicy, brakes: number): SweepPoint {
  return {
    servers,
    policy,
    brakes,
    pctTimeCapped: servers / 2,
    peakRowPct: 80 + servers / 4,
    p99RowPct: 75,
    secondsOver100: brakes * 3,
    high: { throughputRatio: policy === 'none' ? 1 : 0.995, p99LatencyRatio: 1.02 },
    low: { throughputRatio: 0.9, p99LatencyRatio: 1.4 },
  };
}

const policies: PlannerPolicy[] = ['none', 'polca', 'polca-no-priority'];
const result: SweepResult = {
  scenario: 'default',
  budgetKW: 313.8,
  provisionedServers: 40,
  durationS: 3600,
  seed: 7,
  // Out of order on purpose: builders sort.
  points: [44, 40, 48].flatMap((n) => policies.map((p) => point(n, p, p === 'polca' ? (n >= 48 ? 2 : 0) : n >= 44 ? 5 : 0))),
};

describe('capacity planner charts', () => {
  it('counts runs and server counts', () => {
    expect(sweepRuns(40, 60, 2)).toBe(33);
    expect(sweepRuns(40, 40, 5)).toBe(3);
    expect(sweepRuns(50, 40, 2)).toBe(0);
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
  });

  it('finds the most servers each policy ran without a brake', () => {
    const h = headlines(result);
    expect(h.find((x) => x.policy === 'polca')).toMatchObject({ maxServers: 44 });
    expect(h.find((x) => x.policy === 'polca')!.gainPct).toBeCloseTo(10);
    expect(h.find((x) => x.policy === 'none')).toMatchObject({ maxServers: 40, gainPct: 0 });
    const allBrake = { ...result, points: result.points.map((p) => ({ ...p, brakes: 1 })) };
    expect(headlines(allBrake).every((x) => x.maxServers === null)).toBe(true);
  });

  it('tabulates per server count and policy, with units', () => {
    const rows = plannerTable(result);
    expect(rows).toHaveLength(9);
    expect(rows.slice(0, 3).map((r) => [r.servers, r.policy, r.first])).toEqual([
      [40, 'polca', true],
      [40, 'polca-no-priority', false],
      [40, 'none', false],
    ]);
    expect(rows[0]!.cells).toEqual(['0', '20.0 %', '90.0 %', '75.0 %', '0 s', '99.5 %', '90.0 %', '×1.02', '×1.40']);
  });

  it('builds one panel per metric and one line per policy, with the provisioned count marked', () => {
    const opt = buildPlannerOption(result, 1200, 480) as { grid: unknown[]; series: Array<{ id: string; data: unknown[]; markLine?: { data: Array<Record<string, unknown>> } }>; legend: { data: string[] } };
    expect(opt.grid).toHaveLength(PLANNER_METRICS.length);
    expect(opt.series).toHaveLength(PLANNER_METRICS.length * POLICIES.length);
    expect(opt.legend.data).toEqual(['POLCA', 'POLCA, no priority', 'No capping']);
    const first = opt.series.find((s) => s.id === 'peak:polca')!;
    // Provisioned (40) is the sweep's edge here: only the 100 % reference is drawn.
    expect(first.markLine!.data).toEqual([expect.objectContaining({ yAxis: 100 })]);
    expect(opt.series.find((s) => s.id === 'peak:none')!.markLine).toBeUndefined();
    const wider = buildPlannerOption({ ...result, provisionedServers: 44 }, 1200, 480) as typeof opt;
    expect(wider.series.find((s) => s.id === 'brakes:polca')!.markLine!.data).toEqual([expect.objectContaining({ xAxis: 44 })]);
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
