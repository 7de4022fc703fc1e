import { describe, expect, it } from 'vitest';
import { ReportBuilder, type PlantReportSource } from '../../../main/app/report.js';
import type { Engine } from '../../../main/engine/engine.js';
import { resolvePlant } from '../../../main/core/plant.js';
import { DEFAULT_ALERT_RULES } from '../../../shared/domain/alerts.js';
import { SampleFlag } from '../../../shared/domain/fleet.js';
import { defaultTopology } from '../../helpers.js';

/**
 * The report's honest row figures on synthetic ticks (no simulator): a fake engine whose row power, budgets and GPU
 * flags the test writes tick by tick. Default site: rows A–D, 320 GPUs a row (GPUs 0–319 are row A), plant model.
 */
const t = defaultTopology();
const STEP = 1000;

function fakeEngine() {
  const rows = t.rows.length;
  return {
    topology: t,
    nowMs: 1_000_000,
    step: STEP,
    rules: DEFAULT_ALERT_RULES,
    agg: { rowW: new Float64Array(rows), siteW: 0 },
    rowBudgetKW: Float64Array.from(t.rows, (r) => r.budgetKW),
    live: { flags: new Uint32Array(t.gpuCount), tempC: new Float64Array(t.gpuCount).fill(50), limitW: new Float64Array(t.gpuCount).fill(700) },
    rackInletC: new Float64Array(t.racks.length).fill(24),
  };
}

/** Run ticks: each gives row A's power (kW, others at 100 kW), whether row A's GPU 5 is stale, row A's budget. */
function run(ticks: Array<{ aKW: number; stale?: boolean; budgetA?: number }>, plant: PlantReportSource | null = null, each?: (i: number, e: ReturnType<typeof fakeEngine>) => void) {
  const e = fakeEngine();
  const b = new ReportBuilder(e as unknown as Engine, ticks.length, null, plant);
  ticks.forEach((k, i) => {
    e.nowMs += STEP;
    e.agg.rowW.fill(100_000);
    e.agg.rowW[0] = k.aKW * 1000;
    e.agg.siteW = e.agg.rowW.reduce((x, y) => x + y, 0);
    e.rowBudgetKW[0] = k.budgetA ?? 408;
    e.live.flags[5] = k.stale ? SampleFlag.stale : 0;
    each?.(i, e);
    b.record([]);
  });
  return b.build({ scenario: 'synthetic', seed: 0, durationS: ticks.length }, [], []);
}

const over = (n: number, stale = false) => Array.from({ length: n }, () => ({ aKW: 420, stale }));
const under = (n: number) => Array.from({ length: n }, () => ({ aKW: 300 }));

describe('report: measured against assumed', () => {
  it('longestOverS is the longest continuous stretch above 100 %, secondsOver100 their sum', () => {
    const r = run([...under(2), ...over(3), ...under(1), ...over(5), ...under(2), ...over(2)]);
    const a = r.rows[0]!;
    expect(a.longestOverS).toBe(5);
    expect(a.secondsOver100).toBe(10);
    expect(r.rows[1]!.longestOverS).toBe(0);
  });

  it('a stretch running to the end of the run counts', () => {
    expect(run([...under(1), ...over(2), ...under(1), ...over(4)]).rows[0]!.longestOverS).toBe(4);
  });

  it('stale ticks are assumed, not measured: out of peakKW, time over budget and the p99; they end a stretch', () => {
    // A at 300 kW measured; during 4 stale ticks the engine counts it at 450 kW (over its 408 kW budget).
    const ticks = [...under(3), ...over(2), ...Array.from({ length: 4 }, () => ({ aKW: 450, stale: true })), ...over(2), ...under(1)];
    const a = run(ticks).rows[0]!;
    expect(a.peakKW).toBe(420);
    expect(a.peakAssumedKW).toBe(450);
    expect(a.staleS).toBe(4);
    expect(a.peakPct).toBeCloseTo((420 / 408) * 100, 2);
    expect(a.secondsOver100).toBe(4);
    expect(a.longestOverS).toBe(2);
    expect(a.p99Pct).toBeLessThanOrEqual(a.peakPct);
  });

  it('only the row with a stale GPU is unmeasured; the site peak is measured, with the assumed one beside it', () => {
    const r = run([{ aKW: 300 }, { aKW: 500, stale: true }, { aKW: 320 }]);
    expect(r.rows[0]).toMatchObject({ peakKW: 320, peakAssumedKW: 500, staleS: 1 });
    expect(r.rows[1]).toMatchObject({ peakKW: 100, peakAssumedKW: 100, staleS: 0 });
    expect(r.site).toMatchObject({ peakKW: 620, peakAssumedKW: 800 });
    expect(r.warnings).toEqual([expect.stringContaining('Stale or invalid GPU readings')]);
    expect(r.warnings[0]).toContain('A 1 s');
    expect(r.warnings[0]).toContain('A (500 kW vs 320 kW)');
  });

  it('invalid readings count as unmeasured too', () => {
    const r = run([{ aKW: 300 }, { aKW: 500 }], null, (i, e) => {
      if (i === 1) e.live.flags[7] = SampleFlag.invalid;
    });
    expect(r.rows[0]).toMatchObject({ peakKW: 300, peakAssumedKW: 500, staleS: 1 });
  });

  it('a row never measured reports peakKW 0 and says so', () => {
    const r = run([{ aKW: 300, stale: true }, { aKW: 310, stale: true }]);
    expect(r.rows[0]).toMatchObject({ peakKW: 0, peakPct: 0, p99Pct: 0, peakAssumedKW: 310, staleS: 2 });
    expect(r.warnings.some((w) => w.startsWith('Row A: no reading of the run was measured'))).toBe(true);
  });

  it('no stale tick, no warning: peakKW equals peakAssumedKW', () => {
    const r = run([...under(3), ...over(1)]);
    expect(r.warnings).toEqual([]);
    for (const row of r.rows) expect(row.peakKW).toBe(row.peakAssumedKW);
  });
});

describe('report: unreachable budgets and the plant', () => {
  it('lists each stretch of an unreachable budget: row, time, budget against floor, servers to shed', () => {
    // Row A's floor: 40 servers × (1.5 + 2 kW + 8 GPUs at min(200 W, 70 + 630 × (210/1980)^1.3 W)).
    const gpuFloor = Math.min(200, 70 + 630 * Math.pow(210 / 1980, 1.3));
    const server = 3500 + 8 * gpuFloor;
    const floorKW = (40 * server) / 1000;
    const ticks = [...under(2), ...Array.from({ length: 3 }, () => ({ aKW: 150, budgetA: 150 })), { aKW: 120, budgetA: 120 }, ...under(2), { aKW: 160, budgetA: 160 }];
    const r = run(ticks);
    const shed = (budget: number) => Math.ceil((floorKW * 1000 - budget * 1000) / server);
    expect(r.warnings).toHaveLength(2);
    expect(r.warnings[0]).toBe(
      `Row A: budget unreachable from 2 s for 4 s: lowest budget in force 120 kW, below its floor of ${Number(floorKW.toFixed(2))} kW ` +
        `(non-GPU server power at full activity + every GPU busy at its minimum cap); shed ${shed(120)} of its 40 servers to fit`,
    );
    expect(r.warnings[1]).toMatch(new RegExp(`^Row A: budget unreachable from 8 s for 1 s \\(to the end of the run\\): lowest budget in force 160 kW, .*shed ${shed(160)} of its 40 servers`));
    expect(shed(120)).toBe(13);
  });

  it('overloadAllowanceUsedPct: the worst share of time-to-trip used by any device feeding the row, over the run', () => {
    const p = resolvePlant(t.plant!, t);
    const used = new Float64Array(p.ids.length);
    const plant: PlantReportSource = { tripAllowanceUsed: () => ({ ids: p.ids, used }), trippedDevices: () => [] };
    const at = (id: string) => p.ids.indexOf(id);
    const r = run(under(4), plant, (i) => {
      used.fill(0);
      if (i === 1) used[at('BW-D-A')] = 0.42; // row D's busway, then it cools off
      if (i === 2) used[at('SB1')] = 0.3; // the A-side switchboard feeds every row
    });
    expect(r.rows.map((x) => x.overloadAllowanceUsedPct)).toEqual([30, 30, 30, 42]);
    expect(run(under(2)).rows[0]!.overloadAllowanceUsedPct).toBeNull();
  });

  it('a device near or past its trip is a warning', () => {
    const p = resolvePlant(t.plant!, t);
    const used = new Float64Array(p.ids.length);
    used[p.ids.indexOf('BW-C-B')] = 0.75;
    const r = run(under(1), { tripAllowanceUsed: () => ({ ids: p.ids, used }), trippedDevices: () => ['BW-C-A'] });
    expect(r.warnings).toEqual(['Plant device BW-C-A tripped on overload (it stays out until reset)', 'Plant device BW-C-B: its overload used 75 % of its time to trip']);
  });
});
