import { describe, expect, it } from 'vitest';
import type { RangeSeries } from '../../../shared/domain/fleet.js';
import { appendSnapshot, buildPowerOption, emptyHistory, historyFromRange, historyUpdate, mergeBackfill, niceCeil, powerTooltip } from '../../../renderer/charts/power.js';
import { makeSnapshot, makeTopology } from './fixtures.js';

describe('power over time', () => {
  const range: RangeSeries = {
    scope: 'row',
    resS: 10,
    ids: ['B', 'A'],
    tMs: [0, 10_000, 20_000],
    avgKW: [
      [10, null, 12],
      [100, 110, null],
    ],
    maxKW: [],
  };

  it('backfills rows by id and sums the site per bucket', () => {
    const h = historyFromRange(range, ['A', 'B']);
    expect(h.rows[0]).toEqual([100, 110, null]);
    expect(h.rows[1]).toEqual([10, null, 12]);
    expect(h.site).toEqual([110, 110, 12]);
  });

  it('drops leading buckets from before the first stored sample', () => {
    const h = historyFromRange({ ...range, tMs: [-10_000, ...range.tMs], avgKW: range.avgKW.map((c) => [null, ...c]) }, ['A', 'B']);
    expect(h.t).toEqual([0, 10_000, 20_000]);
  });

  it('appends only newer snapshots and merges the backfill in front of live points', () => {
    const t = makeTopology([2, 2]);
    const live = emptyHistory(2);
    const s = makeSnapshot(t, { rackW: 20_000 });
    s.tMs = 15_000;
    expect(appendSnapshot(live, s)).toBe(true);
    expect(appendSnapshot(live, s)).toBe(false);
    expect(live.rows[0]).toEqual([40]);
    const merged = mergeBackfill(historyFromRange(range, ['A', 'B']), live);
    expect(merged.t).toEqual([0, 10_000, 15_000]);
    expect(merged.site).toEqual([110, 110, 80]);
  });

  it('bounds the history', () => {
    const t = makeTopology([1]);
    const h = emptyHistory(1);
    for (let i = 0; i < 130; i++) appendSnapshot(h, { ...makeSnapshot(t), tMs: i }, 100);
    expect(h.t.length).toBeLessThanOrEqual(110);
    expect(h.t[h.t.length - 1]).toBe(129);
    expect(h.rows[0]!.length).toBe(h.t.length);
  });

  it('builds one panel per row plus the site, each with 80/90/100 % budget lines, and updates only the dataset', () => {
    const h = emptyHistory(2);
    const opt = buildPowerOption({ rows: [{ id: 'A', budgetKW: 400 }, { id: 'B', budgetKW: 300 }], siteBudgetKW: 700 }, 900, h) as {
      series: Array<{ markLine: { data: Array<{ yAxis: number }> } }>;
      grid: unknown[];
      animation: boolean;
    };
    expect(opt.animation).toBe(false);
    expect(opt.grid.length).toBe(3);
    expect(opt.series[1]!.markLine.data.map((d) => d.yAxis)).toEqual([320, 360, 400]);
    expect(Object.keys(historyUpdate(h).dataset.source)).toEqual(['t', 'site', 'row0', 'row1']);
  });

  it('tooltip reads dataset rows and lists panels in order with % of budget', () => {
    const panels = [
      { title: 'Site', budgetKW: 700, key: 'site' },
      { title: 'Row A', budgetKW: 400, key: 'row0' },
    ];
    const html = powerTooltip(
      [
        { seriesIndex: 1, axisValue: 0, value: [0, 650, 360], encode: { y: [2] } },
        { seriesIndex: 0, axisValue: 0, value: [0, 650, 360], encode: { y: [1] } },
      ],
      panels,
    );
    expect(html).toMatch(/Site: <b>650.0 kW<\/b> \(92.9 % of budget\).*Row A: <b>360.0 kW<\/b> \(90.0 % of budget\)/);
  });

  it('rounds axis tops to readable numbers', () => {
    expect(niceCeil(441)).toBe(500);
    expect(niceCeil(1170)).toBe(1200);
    expect(niceCeil(0)).toBe(1);
  });
});
