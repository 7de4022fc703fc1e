import { describe, expect, it } from 'vitest';
import type { RangeSeries } from '../../../shared/domain/fleet.js';
import type { EventWindow } from '../../../shared/domain/history.js';
import { budgetChanges, budgetSeries, budgetTitle, buildPowerOption, niceCeil, powerTooltip, powerUpdate, type PowerPanel } from '../../../renderer/charts/power.js';
import {
  addBudgetStep,
  addLive,
  bucketsFromRange,
  budgetAt,
  budgetStepsFromEvents,
  dropLiveThrough,
  emptyLive,
  joinRanges,
  mergeSeries,
  pctOfBudget,
  spliceTail,
  stepLine,
  sumBudgets,
  type BudgetSteps,
} from '../../../renderer/charts/powerSeries.js';
import { buildPanels, livePowerKW, panelData, scopeEntities } from '../../../renderer/charts/powerPanels.js';
import { makeSnapshot, makeTopology } from './fixtures.js';

const range = (tMs: number[], avgKW: Array<Array<number | null>>, ids = ['A', 'B']): RangeSeries => ({ scope: 'row', resS: 10, ids, tMs, avgKW, maxKW: [] });

/** Row C's budget: 408 kW until a feed-loss drill at 1,000 s cuts it to 285.6 kW. */
const drillWindow: EventWindow = {
  fromMs: 600_000,
  toMs: 1_800_000,
  events: [
    { tMs: 900_000, seq: 7, kind: 'stage', subject: 'C', body: { stage: 't1' } },
    { tMs: 1_000_000, seq: 9, kind: 'budget', subject: 'C', body: { budgetKW: 285.59999999999997 } },
  ],
  budgetsBefore: [
    { tMs: 0, seq: 0, kind: 'budget', subject: 'A', body: { budgetKW: 408 } },
    { tMs: 0, seq: 2, kind: 'budget', subject: 'C', body: { budgetKW: 408 } },
  ],
  truncated: false,
};

describe('budgets as steps over time', () => {
  it('starts each row at the budget in force before the window and steps at each change', () => {
    const [a, b, c] = budgetStepsFromEvents(drillWindow, ['A', 'B', 'C'], [400, 300, 999]);
    expect(a).toEqual({ tMs: [600_000], kW: [408] });
    // B: no stored budget at all: the current one is the only one known.
    expect(b).toEqual({ tMs: [600_000], kW: [300] });
    expect(c).toEqual({ tMs: [600_000, 1_000_000], kW: [408, 285.6] });
  });

  it('draws the budget as a step line: each value holds until the next change, carried to the frame’s end', () => {
    const c = budgetStepsFromEvents(drillWindow, ['C'], [0])[0]!;
    expect(stepLine(c, 600_000, 1_800_000)).toEqual([
      [600_000, 408],
      [1_000_000, 285.6],
      [1_800_000, 285.6],
    ]);
    // 80 % of it, and a frame that starts after the drill: only today's budget, no step.
    expect(stepLine(c, 600_000, 1_800_000, 0.8).map((p) => p[1])).toEqual([326.4, 228.48, 228.48]);
    expect(stepLine(c, 1_200_000, 1_800_000)).toEqual([
      [1_200_000, 285.6],
      [1_800_000, 285.6],
    ]);
    expect(stepLine({ tMs: [], kW: [] }, 0, 1)).toEqual([]);
    // A frame opening before the run's first budget: that budget is no step.
    expect(stepLine({ tMs: [1000, 5000], kW: [408, 285.6] }, 0, 9000)).toEqual([
      [0, 408],
      [5000, 285.6],
      [9000, 285.6],
    ]);
  });

  it('the chart’s budget series are ECharts step lines, one per threshold, with the drill’s step in them', () => {
    const panels: PowerPanel[] = [{ id: 'row:C', title: 'Row C', key: 'row2', color: '#fff', budget: budgetStepsFromEvents(drillWindow, ['C'], [0])[0]! }];
    const frame = { fromMs: 600_000, toMs: 1_800_000 };
    const opt = buildPowerOption(panels, 400, { t: [], cols: {} }, frame) as { series: Array<{ id: string; step?: string; data?: Array<[number, number]> }> };
    const budgets = opt.series.filter((s) => s.id.startsWith('budget:'));
    expect(budgets.map((s) => [s.id, s.step])).toEqual([
      ['budget:row:C:100', 'end'],
      ['budget:row:C:90', 'end'],
      ['budget:row:C:80', 'end'],
    ]);
    expect(budgets[0]!.data!.map((p) => p[1])).toEqual([408, 285.6, 285.6]);
    expect(budgetSeries(panels, frame)[1]!.data[1]).toEqual([1_000_000, 257.04]);
    expect(budgetTitle(panels[0]!.budget, frame)).toBe('budget 408.0 kW → 285.6 kW');
    expect(budgetTitle(panels[0]!.budget, { fromMs: 1_100_000, toMs: 1_800_000 })).toBe('budget 285.6 kW');
    expect(budgetChanges(panels, frame)).toEqual([{ panelId: 'row:C', title: 'Row C', fromKW: 408, toKW: 285.6, atMs: 1_000_000 }]);
    expect(budgetChanges(panels, { fromMs: 1_000_000, toMs: 1_800_000 })).toEqual([]);
  });

  it('knows the budget in force at any instant, and ignores repeats and the rounding of snapshots', () => {
    const s: BudgetSteps = { tMs: [], kW: [] };
    expect(budgetAt(s, 5)).toBeNull();
    expect(addBudgetStep(s, 100, 408)).toBe(true);
    expect(addBudgetStep(s, 150, 408.00000001)).toBe(false);
    expect(addBudgetStep(s, 200, 285.6)).toBe(true);
    expect(addBudgetStep(s, 190, 100)).toBe(false);
    expect(addBudgetStep(s, 300, 408)).toBe(true);
    expect(s).toEqual({ tMs: [100, 200, 300], kW: [408, 285.6, 408] });
    expect([50, 100, 199, 200, 299, 300, 1e9].map((t) => budgetAt(s, t))).toEqual([408, 408, 408, 285.6, 285.6, 408, 408]);
  });

  it('sums row budgets into the site’s, stepping wherever a row steps', () => {
    const site = sumBudgets([
      { tMs: [0], kW: [400] },
      { tMs: [0, 1000], kW: [300, 210] },
    ]);
    expect(site).toEqual({ tMs: [0, 1000], kW: [700, 610] });
  });
});

describe('% of budget against the budget in force', () => {
  const c = budgetStepsFromEvents(drillWindow, ['C'], [0])[0]!;

  it('the same power is a different share before and after the feed was cut', () => {
    expect(pctOfBudget(285.6, c, 990_000)).toBeCloseTo(70, 6);
    expect(pctOfBudget(285.6, c, 1_000_000)).toBeCloseTo(100, 6);
    expect(pctOfBudget(null, c, 1_000_000)).toBeNull();
    expect(pctOfBudget(10, { tMs: [], kW: [] }, 0)).toBeNull();
  });

  it('the tooltip divides by the budget in force at the pointer’s instant, not today’s', () => {
    const panels = [
      { title: 'Site', key: 'site', budget: { tMs: [0], kW: [1000] } },
      { title: 'Row C', key: 'row2', budget: c },
    ];
    const at = (t: number) =>
      powerTooltip(
        [
          { seriesIndex: 1, axisValue: t, value: [t, 650, 306], encode: { y: [2] } },
          { seriesIndex: 0, axisValue: t, value: [t, 650, 306], encode: { y: [1] } },
          // A budget line under the pointer: not a panel, left out.
          { seriesIndex: 5, axisValue: t, value: [t, 408] },
        ],
        panels,
      );
    expect(at(900_000)).toMatch(/Site: <b>650.0 kW<\/b> \(65.0 % of 1.00 MW\).*Row C: <b>306.0 kW<\/b> \(75.0 % of 408.0 kW\)/);
    expect(at(1_200_000)).toMatch(/Row C: <b>306.0 kW<\/b> \(107.1 % of 285.6 kW\)/);
    expect(at(1_200_000)).not.toMatch(/408/);
  });
});

describe('stored history and live data as one series', () => {
  it('reads stored buckets by id, dropping buckets before the run and those not written yet', () => {
    const b = bucketsFromRange(range([0, 10_000, 20_000, 30_000, 40_000], [[null, 10, null, 12, null], [null, 100, 110, null, null]], ['B', 'A']), ['A', 'B']);
    expect(b.t).toEqual([10_000, 20_000, 30_000]);
    expect(b.cols).toEqual([
      [100, 110, null],
      [10, null, 12],
    ]);
  });

  it('live snapshots continue the stored series on the same buckets: no gap where they meet', () => {
    const stored = bucketsFromRange(range([0, 10_000, 20_000, 30_000], [[100, 101, 102, null], [50, 51, 52, null]]), ['A', 'B']);
    const live = emptyLive(10_000, 2);
    // The store has not written 30 s yet (its bucket is still open); snapshots from 34 s on are averaged per bucket.
    addLive(live, 34_000, [110, 60]);
    addLive(live, 36_000, [120, NaN]);
    addLive(live, 41_000, [130, 70]);
    expect(addLive(live, 39_000, [1, 1])).toBe(false);
    const m = mergeSeries(stored, live);
    expect(m.t).toEqual([0, 10_000, 20_000, 30_000, 40_000]);
    expect(m.cols[0]).toEqual([100, 101, 102, 115, 130]);
    expect(m.cols[1]).toEqual([50, 51, 52, 60, 70]);
    expect(m.cols.flat()).not.toContain(null);
  });

  it('buckets the store has not written are not points (the line runs on); the next tail read fills them in', () => {
    const stored = bucketsFromRange(range([0, 10_000], [[100, 101], [50, 51]]), ['A', 'B']);
    const live = emptyLive(10_000, 2);
    addLive(live, 42_000, [130, 70]);
    const m = mergeSeries(stored, live);
    expect(m.t).toEqual([0, 10_000, 40_000]);
    expect(m.cols[0]).toEqual([100, 101, 130]);
    // The tail read brings the complete buckets; the live average of 40 s yields to the stored one.
    const tail = bucketsFromRange(range([10_000, 20_000, 30_000, 40_000], [[101, 102, 103, 125], [51, 52, 53, 66]]), ['A', 'B']);
    const after = spliceTail(stored, tail);
    dropLiveThrough(live, after.t[after.t.length - 1]!);
    const m2 = mergeSeries(after, live);
    expect(m2.t).toEqual([0, 10_000, 20_000, 30_000, 40_000]);
    expect(m2.cols[0]).toEqual([100, 101, 102, 103, 125]);
    expect(live.t).toEqual([]);
  });

  it('keeps real gaps inside the stored history', () => {
    const b = bucketsFromRange(range([0, 10_000, 20_000], [[1, null, 3], [1, null, 3]]), ['A', 'B']);
    expect(mergeSeries(b, emptyLive(10_000, 2)).cols[0]).toEqual([1, null, 3]);
  });

  it('joins a row and its racks read over the same window', () => {
    const rows = range([0, 10_000], [[100, 110]], ['C']);
    const racks = range([0, 10_000], [[10, 11], [20, 21]], ['C01', 'C02']);
    expect(bucketsFromRange(joinRanges(rows, racks), ['C', 'C01', 'C02']).cols).toEqual([
      [100, 110],
      [10, 11],
      [20, 21],
    ]);
  });
});

describe('panels by scope', () => {
  const t = makeTopology([2, 3]);
  const budgets: BudgetSteps[] = [
    { tMs: [0], kW: [80] },
    { tMs: [0, 500], kW: [120, 84] },
  ];

  it('row scope: the site (sum of row budgets) and every row', () => {
    expect(scopeEntities(t, 'row', 0)).toEqual({ rows: ['A', 'B'], racks: [] });
    const panels = buildPanels(t, 'row', 0, budgets);
    expect(panels.map((p) => [p.id, p.key])).toEqual([
      ['site', 'site'],
      ['row:A', 'row0'],
      ['row:B', 'row1'],
    ]);
    expect(panels[0]!.budget).toEqual({ tMs: [0, 500], kW: [200, 164] });
    const data = panelData('row', { resMs: 10_000, t: [0, 10_000], cols: [[1, null], [2, 3]] });
    expect(data.cols).toEqual({ row0: [1, null], row1: [2, 3], site: [3, 3] });
    const s = makeSnapshot(t, { rackW: 20_000 });
    expect(livePowerKW(t, s, 'row', 0)).toEqual([40, 60]);
  });

  it('rack scope: the row with its budget steps, then its racks at their fixed budgets', () => {
    expect(scopeEntities(t, 'rack', 1)).toEqual({ rows: ['B'], racks: ['B1', 'B2', 'B3'] });
    const panels = buildPanels(t, 'rack', 1, budgets);
    expect(panels.map((p) => p.id)).toEqual(['row:B', 'rack:B1', 'rack:B2', 'rack:B3']);
    expect(panels[0]!.budget).toBe(budgets[1]);
    expect(budgetAt(panels[2]!.budget, 123_456)).toBe(40);
    expect(panelData('rack', { resMs: 10_000, t: [0], cols: [[9], [1], [2], [3]] }).cols).toEqual({ row: [9], rack0: [1], rack1: [2], rack2: [3] });
    const s = makeSnapshot(t, { rackW: 20_000 });
    expect(livePowerKW(t, s, 'rack', 1)).toEqual([60, 20, 20, 20]);
  });
});

describe('the chart option', () => {
  const panels: PowerPanel[] = [
    { id: 'site', title: 'Site', key: 'site', color: '#fff', budget: { tMs: [0], kW: [700] } },
    { id: 'row:A', title: 'Row A', key: 'row0', color: '#fff', budget: { tMs: [0], kW: [400] } },
  ];
  const data = { t: [0, 10_000], cols: { site: [600, 610], row0: [300, 310] } };

  it('power series first (the tooltip maps series index to panel), then three budget lines per panel', () => {
    const opt = buildPowerOption(panels, 900, data, { fromMs: 0, toMs: 20_000 }) as { series: Array<{ id: string }>; grid: unknown[]; animation: boolean; xAxis: Array<{ min: number; max: number }> };
    expect(opt.animation).toBe(false);
    expect(opt.grid.length).toBe(2);
    expect(opt.series.map((s) => s.id)).toEqual(['power:site', 'power:row:A', 'budget:site:100', 'budget:site:90', 'budget:site:80', 'budget:row:A:100', 'budget:row:A:90', 'budget:row:A:80']);
    expect(opt.xAxis[0]).toMatchObject({ min: 0, max: 20_000 });
  });

  it('an update carries the data, the budget steps and the moving frame, never the whole option', () => {
    const u = powerUpdate(panels, data, { fromMs: 5_000, toMs: 25_000 }, 900) as { dataset: { source: Record<string, unknown> }; series: Array<{ id: string }>; xAxis: unknown[]; grid?: unknown };
    expect(Object.keys(u.dataset.source)).toEqual(['t', 'site', 'row0']);
    expect(u.series.length).toBe(6);
    expect(u.xAxis).toEqual([
      { min: 5_000, max: 25_000 },
      { min: 5_000, max: 25_000 },
    ]);
    expect(u.grid).toBeUndefined();
  });

  it('rounds axis tops to readable numbers', () => {
    expect(niceCeil(441)).toBe(500);
    expect(niceCeil(1170)).toBe(1200);
    expect(niceCeil(0)).toBe(1);
  });
});
