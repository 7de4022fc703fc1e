/** core/drillScore.ts: the tally counts only the scored rows, measured over-budget seconds, heat and work; the penalties follow DRILL_SCORE. */
import { describe, expect, it } from 'vitest';
import { DrillTally, DRILL_SCORE, scorePenalties } from '../../../main/core/drillScore.js';
import { ClockEvent } from '../../../shared/domain/fleet.js';

const scope = { rows: [1], racks: [2, 3], gpus: Int32Array.from([4, 5]) };
const tick = (o: Partial<Parameters<DrillTally['tick']>[0]> = {}) => ({
  nowMs: 0,
  stale: false,
  stepS: 1,
  rowW: [500_000, 90_000],
  rowBudgetKW: [100, 100],
  rackInletC: [40, 40, 25, 26],
  tempC: [90, 90, 90, 90, 70, 75],
  flags: new Uint32Array(6),
  util: [1, 1, 1, 1, 1, 0.5],
  clockMHz: [1980, 1980, 1980, 1980, 990, 1980],
  maxClockMHz: new Float64Array(6).fill(1980),
  ...o,
});

describe('drill tally and score', () => {
  it('counts only the scored rows, racks and GPUs', () => {
    const t = new DrillTally(scope, 0);
    t.tick(tick());
    // Row 0 is far over its budget, racks 0–1 hot, GPUs 0–3 at 90 °C: none of them is scored.
    expect([t.overBudgetS, t.maxInletC, t.maxGpuC]).toEqual([0, 26, 75]);
    // Work: GPU 4 at half clock (0.5), GPU 5 half busy at full clock (0.5).
    expect(t.workGpuS).toBeCloseTo(1, 9);
  });

  it('over-budget seconds are measured ones: a tick without fresh readings counts none', () => {
    const t = new DrillTally(scope, 0);
    t.tick(tick({ rowW: [0, 120_000] }));
    t.tick(tick({ rowW: [0, 120_000], stale: true }));
    t.tick(tick({ rowW: [0, 100_000] }));
    expect(t.overBudgetS).toBe(1);
  });

  it('hot air: °C·minutes of the hottest scored rack above 32 °C; thermal slowdown in GPU-seconds (not the brake)', () => {
    const t = new DrillTally(scope, 0);
    const flags = new Uint32Array(6);
    flags[4] = ClockEvent.hwThermal | ClockEvent.hwSlowdown;
    flags[5] = ClockEvent.hwPowerBrake | ClockEvent.hwSlowdown;
    for (let i = 0; i < 60; i++) t.tick(tick({ rackInletC: [0, 0, 36, 30], flags }));
    expect(t.hotInletCMin).toBeCloseTo(4, 9);
    expect(t.throttledGpuS).toBe(60);
  });

  it('penalties: each capped; 100 s over budget alone scores 0; a clean response scores 100', () => {
    const clean = { overBudgetS: 0, hotInletCMin: 0, brakes: 0, throttledGpuS: 0, sloImpact: 0, detectS: 10 };
    expect(Object.values(scorePenalties(clean)).every((v) => v === 0)).toBe(true);
    expect(scorePenalties({ ...clean, overBudgetS: 30 }).overBudget).toBe(30);
    expect(scorePenalties({ ...clean, overBudgetS: 1000 }).overBudget).toBe(DRILL_SCORE.overBudgetMax);
    expect(scorePenalties({ ...clean, brakes: 2 }).brakes).toBe(10);
    expect(scorePenalties({ ...clean, brakes: 9 }).brakes).toBe(15);
    expect(scorePenalties({ ...clean, sloImpact: 0.1 }).sloImpact).toBe(5);
    expect(scorePenalties({ ...clean, detectS: 80 }).detect).toBe(10);
    expect(scorePenalties({ ...clean, detectS: null }).detect).toBe(10);
    const t = new DrillTally(scope, 0);
    for (let i = 0; i < 100; i++) t.tick(tick({ rowW: [0, 150_000] }));
    t.detected(0);
    expect(t.side('nobody', t.workGpuS).score).toBe(0);
    const ok = new DrillTally(scope, 0);
    ok.tick(tick());
    ok.detected(5000);
    expect(ok.side('automatic', ok.workGpuS)).toMatchObject({ score: 100, detectS: 5, sloImpact: 0 });
    expect(ok.side('automatic', ok.workGpuS * 2).sloImpact).toBe(0.5);
  });

  it('detection and first action are kept once, and only from the drill\'s start', () => {
    const t = new DrillTally(scope, 10_000);
    t.detected(5000);
    t.detected(12_000);
    t.detected(15_000);
    t.acted(20_000);
    t.acted(30_000);
    expect(t.side('operator', null)).toMatchObject({ detectS: 2, firstActionS: 10 });
  });
});

describe('drill tally: steps, boundaries and rounding', () => {
  it('a 2 s step counts 2 s over budget, 2 GPU-seconds per throttled GPU, and work × 2; exactly at the budget is not over', () => {
    const t = new DrillTally(scope, 0);
    const flags = new Uint32Array(6);
    flags[4] = ClockEvent.hwThermal;
    t.tick(tick({ stepS: 2, rowW: [0, 100_000], flags }));
    expect(t.overBudgetS).toBe(0);
    t.tick(tick({ stepS: 2, rowW: [0, 100_001], flags }));
    expect(t.overBudgetS).toBe(2);
    expect(t.throttledGpuS).toBe(4);
    expect(t.workGpuS).toBeCloseTo(4, 9);
    // 36 °C for one 2 s step: 4 °C × 2 s = 8 °C·s = 0.1333 °C·min; exactly 32 °C adds nothing.
    t.tick(tick({ stepS: 2, rackInletC: [0, 0, 36, 30] }));
    t.tick(tick({ stepS: 2, rackInletC: [0, 0, 32, 30] }));
    expect(t.hotInletCMin).toBeCloseTo(8 / 60, 9);
    expect(t.maxInletC).toBe(36);
  });

  it('the hottest GPU and rack are the maxima over every tick; a GPU at zero utilisation does no work', () => {
    const t = new DrillTally(scope, 0);
    t.tick(tick({ tempC: [0, 0, 0, 0, 81, 70], rackInletC: [0, 0, 28, 27] }));
    t.tick(tick({ tempC: [0, 0, 0, 0, 79, 80], rackInletC: [0, 0, 25, 26], util: [0, 0, 0, 0, 0, 0] }));
    expect([t.maxGpuC, t.maxInletC, t.workGpuS]).toEqual([81, 28, 1]);
  });

  it('the side: seconds rounded to 0.1, detection at the very start counts 0 s, no baseline means no work lost', () => {
    const t = new DrillTally(scope, 10_000);
    t.detected(10_000);
    t.acted(12_345);
    const s = t.side('operator', 0);
    expect([s.detectS, s.firstActionS, s.sloImpact]).toEqual([0, 2.3, 0]);
    // Penalties of non-unit weights.
    expect(scorePenalties({ overBudgetS: 0, hotInletCMin: 8, brakes: 0, throttledGpuS: 55, sloImpact: 0.123, detectS: 42 })).toEqual({ overBudget: 0, hotInlet: 2, throttling: 5.5, brakes: 0, sloImpact: 6.2, detect: 2.4 });
  });
});
