import type { DrillSide } from '../../shared/domain/drills.js';
import type { RowControl } from '../../shared/domain/control.js';
import { thermalSlowdown } from './observeSite.js';

/**
 * A drill's tally and score, pure: fed one tick at a time with what the engine holds (row power and budget in force,
 * rack inlets, GPU temperatures, flags, utilisation and clocks), it counts what the debrief reports on the drill's
 * scored rows. The same tally serves the automatic run (batch) and an operator's (the live console).
 *
 * Score (0–100) = 100 − the penalties, each capped; their order says what matters most — an overload (it trips
 * something) over hot air (it ages hardware) over throttling and brakes (they cost work abruptly) over work given up
 * in an orderly way (the price of safety):
 *   overBudget  1 per second any scored row is measured above its budget in force                (≤ 100)
 *   hotInlet    0.25 per °C·minute of the hottest scored rack above 32 °C (ASHRAE A1 allowable)  (≤ 30)
 *   throttling  1 per 10 GPU-seconds in HW thermal slowdown                                     (≤ 20)
 *   brakes      5 per brake engagement                                                          (≤ 15)
 *   sloImpact   0.5 per % of work lost against the same window without the drill                (≤ 20)
 *   detect      0.2 per second beyond 30 s to detection (none: the full 10)                    (≤ 10)
 * A response that keeps every row under budget and its air in the envelope without a brake, throttling or lost work
 * scores 100; a row left over its budget for 100 s (breakers and UPS overload curves run out in minutes) scores 0.
 * Ticks without fresh readings (a telemetry blackout) count no over-budget seconds: the power then is assumed.
 */
export const DRILL_SCORE = {
  overBudgetPerS: 1,
  overBudgetMax: 100,
  hotInletC: 32,
  perCMinHot: 0.25,
  hotInletMax: 30,
  perBrake: 5,
  brakesMax: 15,
  per10ThrottledGpuS: 1,
  throttlingMax: 20,
  perPctWorkLost: 0.5,
  sloMax: 20,
  detectGraceS: 30,
  detectPerS: 0.2,
  detectMax: 10,
} as const;

export interface DrillTickInput {
  nowMs: number;
  /** No fresh readings this tick: row power is assumed (every GPU at its limit), not measured. */
  stale: boolean;
  stepS: number;
  /** Row power (W) as control sees it, and the budget in force (kW). */
  rowW: ArrayLike<number>;
  rowBudgetKW: ArrayLike<number>;
  rackInletC: ArrayLike<number>;
  tempC: ArrayLike<number>;
  flags: ArrayLike<number>;
  util: ArrayLike<number>;
  clockMHz: ArrayLike<number>;
  /** Per GPU, its model's max clock (MHz). */
  maxClockMHz: ArrayLike<number>;
}

/** Where the scored rows are: row indices, their racks and their GPUs. */
export interface DrillScope {
  rows: readonly number[];
  racks: readonly number[];
  gpus: Int32Array;
}

export class DrillTally {
  overBudgetS = 0;
  maxInletC = -Infinity;
  maxGpuC = -Infinity;
  throttledGpuS = 0;
  /** °C·minutes of the hottest scored rack's inlet above DRILL_SCORE.hotInletC. */
  hotInletCMin = 0;
  /** GPU-seconds of work at full clock (utilisation × clock / max clock). */
  workGpuS = 0;
  detectMs: number | null = null;
  actionMs: number | null = null;
  brakes = 0;
  /** Each row's controller state when the drill started (actions count from there). */
  startControl: readonly RowControl[] | null = null;

  constructor(
    readonly scope: DrillScope,
    readonly startMs: number,
  ) {}

  tick(x: DrillTickInput): void {
    const s = this.scope;
    let over = false;
    for (const r of s.rows) if (x.rowW[r]! / 1000 > x.rowBudgetKW[r]! + 1e-9) over = true;
    if (over && !x.stale) this.overBudgetS += x.stepS;
    let hottest = -Infinity;
    for (const k of s.racks) {
      const c = x.rackInletC[k]!;
      if (c > hottest) hottest = c;
    }
    if (hottest > this.maxInletC) this.maxInletC = hottest;
    if (hottest > DRILL_SCORE.hotInletC) this.hotInletCMin += ((hottest - DRILL_SCORE.hotInletC) * x.stepS) / 60;
    let throttled = 0;
    let work = 0;
    const g = s.gpus;
    for (let i = 0; i < g.length; i++) {
      const j = g[i]!;
      const t = x.tempC[j]!;
      if (t > this.maxGpuC) this.maxGpuC = t;
      if (thermalSlowdown(x.flags[j]!)) throttled++;
      const u = x.util[j]!;
      if (u > 0) work += u * Math.min(1, x.clockMHz[j]! / x.maxClockMHz[j]!);
    }
    this.throttledGpuS += throttled * x.stepS;
    this.workGpuS += work * x.stepS;
  }

  /** The first detection (an alert firing on the scored rows, or an operator's ack), kept once. */
  detected(atMs: number): void {
    if (this.detectMs === null && atMs >= this.startMs) this.detectMs = atMs;
  }

  /** The first effective action (a cap, lock or brake commanded on the scored rows), kept once. */
  acted(atMs: number): void {
    if (this.actionMs === null && atMs >= this.startMs) this.actionMs = atMs;
  }

  /** The side, against the work the same window did without the drill (`baselineWorkGpuS`; null: not known). */
  side(responder: DrillSide['responder'], baselineWorkGpuS: number | null): DrillSide {
    const sec = (ms: number | null) => (ms === null ? null : Math.round((ms - this.startMs) / 100) / 10);
    const slo = baselineWorkGpuS && baselineWorkGpuS > 0 ? Math.max(0, 1 - this.workGpuS / baselineWorkGpuS) : 0;
    const detectS = sec(this.detectMs);
    const p = scorePenalties({ overBudgetS: this.overBudgetS, hotInletCMin: this.hotInletCMin, brakes: this.brakes, throttledGpuS: this.throttledGpuS, sloImpact: slo, detectS });
    const r1 = (v: number) => (Number.isFinite(v) ? Math.round(v * 10) / 10 : 0);
    return {
      responder,
      detectS,
      firstActionS: sec(this.actionMs),
      overBudgetS: r1(this.overBudgetS),
      maxInletC: r1(this.maxInletC),
      maxGpuC: r1(this.maxGpuC),
      brakes: this.brakes,
      throttledGpuS: Math.round(this.throttledGpuS),
      sloImpact: Math.round(slo * 10_000) / 10_000,
      score: Math.round(Math.max(0, 100 - Object.values(p).reduce((a, b) => a + b, 0)) * 10) / 10,
      penalties: p,
    };
  }
}

/** DRILL_SCORE's penalties for one side's figures (each rounded to 0.1). */
export function scorePenalties(f: { overBudgetS: number; hotInletCMin: number; brakes: number; throttledGpuS: number; sloImpact: number; detectS: number | null }): Record<string, number> {
  const k = DRILL_SCORE;
  const r1 = (v: number) => Math.round(v * 10) / 10;
  return {
    overBudget: r1(Math.min(k.overBudgetMax, f.overBudgetS * k.overBudgetPerS)),
    hotInlet: r1(Math.min(k.hotInletMax, f.hotInletCMin * k.perCMinHot)),
    throttling: r1(Math.min(k.throttlingMax, (f.throttledGpuS / 10) * k.per10ThrottledGpuS)),
    brakes: r1(Math.min(k.brakesMax, f.brakes * k.perBrake)),
    sloImpact: r1(Math.min(k.sloMax, f.sloImpact * 100 * k.perPctWorkLost)),
    detect: r1(f.detectS === null ? k.detectMax : Math.min(k.detectMax, Math.max(0, f.detectS - k.detectGraceS) * k.detectPerS)),
  };
}
