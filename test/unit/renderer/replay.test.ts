import { describe, expect, it } from 'vitest';
import { buildReplayOption, replayChartHeight, replayTable, sideName } from '../../../renderer/charts/replay.js';
import type { ReplayResult, ReplaySide } from '../../../shared/domain/replay.js';

const side = (policy: ReplaySide['policy'], t2Pct: number, brakes: number): ReplaySide => ({
  label: policy,
  policy,
  t1Pct: 80,
  t2Pct,
  rows: [{ id: 'C', peakPct: 101.23, secondsOver100: 12, brakes, pctGpuTimeCapped: 5, energyKWh: 10.04 }],
  workloads: [],
  caps: 1,
  releases: 1,
});

const result: ReplayResult = {
  file: 'x.headroom',
  kind: 'sim',
  fromMs: 0,
  toMs: 30_000,
  base: side('polca', 89, 1),
  replay: side('polca', 95, 0),
  series: {
    tMs: [0, 10_000, 20_000],
    rows: [{ id: 'C', budgetKW: [400, 280, 280], recordedKW: [300, null, 250], baseKW: [300, 260, 250], replayKW: [300, 270, 275], baseCapped: [0, 320, 320], replayCapped: [0, 0, 100] }],
    brakes: [{ tMs: 10_000, row: 'C', side: 'base' }],
  },
  diff: ['POLCA T1 = 80 %, T2 = 95 %: 0 brakes instead of 1'],
  reproduction: { maxErrKW: 0, maxErrPct: 0 },
};

describe('Replay with… chart and table', () => {
  it('one panel per row and one for capped GPUs; recorded gaps stay gaps; the budget is a step line; brakes are marks on their side', () => {
    const o = buildReplayOption(result) as { grid: unknown[]; series: Array<{ name: string; data: Array<[number, number | null]>; step?: string; markLine?: { data: unknown[] } }> };
    expect(o.grid).toHaveLength(2);
    const byName = new Map(o.series.map((s) => [s.name, s]));
    expect(byName.get('Row C · recorded')!.data).toEqual([[0, 300], [10_000, null], [20_000, 250]]);
    expect(byName.get('Row C · budget')!.step).toBe('end');
    expect(byName.get('Row C · as recorded (re-run)')!.markLine!.data).toEqual([{ xAxis: 10_000, name: 'brake (as recorded)' }]);
    expect(byName.get('Row C · replayed')!.markLine!.data).toEqual([]);
    expect(byName.get('GPUs capped · replayed')!.data).toEqual([[0, 0], [10_000, 0], [20_000, 100]]);
    expect(replayChartHeight(result)).toBeGreaterThan(2 * 150);
  });
  it('the table puts recorded and replayed side by side and flags what changed', () => {
    const [c] = replayTable(result);
    expect(c!.id).toBe('C');
    expect(c!.cells.find((x) => x.label === 'brakes')).toEqual({ label: 'brakes', base: '1', replay: '0', changed: true });
    expect(c!.cells.find((x) => x.label === 'peak')!.changed).toBe(false);
    expect(sideName(result.replay)).toBe('POLCA T1 80 % · T2 95 %');
    expect(sideName(side('none', 89, 0))).toBe('no caps (brake only)');
  });
});

describe('a fleet replay’s band', () => {
  it('is drawn as the low end plus the width stacked on it, and only where the result has one', () => {
    const row = { ...result.series.rows[0]!, replayLowKW: [290, 250, 260], replayHighKW: [310, 290, 300] };
    const fleet: ReplayResult = { ...result, kind: 'fleet', series: { ...result.series, rows: [row] } };
    const o = buildReplayOption(fleet) as { series: Array<{ name: string; stack?: string; data: Array<[number, number]> }> };
    const low = o.series.find((s) => s.name === 'Row C · replayed band low')!;
    const width = o.series.find((s) => s.name === 'Row C · replayed band width')!;
    expect(low.stack).toBe(width.stack);
    expect(low.data.map((p) => p[1])).toEqual([290, 250, 260]);
    expect(width.data.map((p) => p[1])).toEqual([20, 40, 40]);
    const plain = buildReplayOption(result) as { series: Array<{ name: string }> };
    expect(plain.series.some((s) => s.name.includes('band'))).toBe(false);
  });
});
