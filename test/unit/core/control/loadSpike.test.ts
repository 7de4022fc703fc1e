import { describe, expect, it } from 'vitest';
import { PlaybookSchema } from '../../../../shared/domain/control.js';
import { envelopeTopW, loadSpikeHolds, recordSpikePower, type LoadSpikeTrigger, type SpikeHistory } from '../../../../main/core/control/loadSpike.js';
import { DEFAULT_PLAYBOOKS, initialPlaybookState, stepPlaybook, type PlaybookRowView } from '../../../../main/core/control/playbooks.js';

/**
 * The load-spike trigger on synthetic row power series (% of a 100 kW budget), through the default load-spike
 * playbook: a synchronous training job's iteration waves (a square wave) and its start-up ramp are no spike; a real
 * surge near the budget is, within a bounded delay.
 */

const pb = DEFAULT_PLAYBOOKS.find((p) => p.id === 'load-spike')!;
const OOB = { capLatencyS: 40, brakeLatencyS: 5 };
const BUDGET_KW = 100;
const view = (pct: number): PlaybookRowView => ({ budgetKW: BUDGET_KW, provisionedKW: BUDGET_KW, powerW: pct * BUDGET_KW * 10, stale: false, minMarginC: 30, hottestC: 59, inletC: 24 });

/** Deterministic noise in [-1, 1] per time (a hash: no state, the same for every step size). */
const noise = (tS: number) => {
  const x = Math.sin(Math.floor(tS * 10) * 12.9898) * 43758.5453;
  return 2 * (x - Math.floor(x)) - 1;
};

/** A training row: compute at `hi` %, communication dips at `lo` % (period, compute share), starting at `startS`. */
const training = (o: { lo: number; hi: number; periodS?: number; duty?: number; startS?: number; idle?: number; rampS?: number }) => (tS: number) => {
  const { periodS = 12, duty = 0.75, startS = 0, idle = 25, rampS = 8 } = o;
  if (tS < startS) return idle;
  const wave = (tS - startS) % periodS < periodS * duty ? o.hi : o.lo;
  // The start-up ramp: from idle to the wave over rampS (loading data, first iterations).
  return tS - startS < rampS ? idle + ((wave - idle) * (tS - startS)) / rampS : wave;
};

/** Step the default load-spike playbook through `pct(t)` for `durS` at `stepS`. */
function simulate(pct: (tS: number) => number, durS: number, stepS = 1) {
  let s = initialPlaybookState(pb);
  let first: number | null = null;
  let activeS = 0;
  for (let i = 0; i * stepS <= durS; i++) {
    const tS = i * stepS;
    s = stepPlaybook(pb, view(pct(tS)), s, Math.round(tS * 1000), OOB);
    if (s.active) {
      activeS += stepS;
      first ??= tS;
    }
  }
  return { first, share: activeS / durS };
}

describe('load-spike trigger: training waves and start-up ramps are no spike', () => {
  for (const stepS of [1, 0.1]) {
    it(`a training square wave (12 s, duty 0.75, rows at 60–83 %) and its start-up ramp: never, for an hour (step ${stepS} s)`, () => {
      expect(simulate(training({ lo: 60, hi: 83 }), 3600, stepS)).toEqual({ first: null, share: 0 });
      // A job starting mid-run on a warm, idle row; an iteration period that is no whole number of steps.
      expect(simulate(training({ lo: 60, hi: 83, startS: 600.35, periodS: 11.7 }), 3600, stepS).first).toBeNull();
    });
  }

  it('a training row peaking at 97 % (waves of 40 points within a second): the waves never rise above their own envelope', () => {
    expect(simulate(training({ lo: 57, hi: 97 }), 3600).first).toBeNull();
    // With the inference of a shared row on top (±3 points of noise) it is still no spike.
    expect(simulate((t) => training({ lo: 57, hi: 94 })(t) + 3 * noise(t), 3600).first).toBeNull();
  });

  it('the start-up ramp to 97 % falls within the warm-up: no spike before the row has 60 s of history', () => {
    expect(simulate(training({ lo: 57, hi: 97, rampS: 2 }), 600).first).toBeNull();
    // The same ramp on a warm row is a surge near the budget (a job starting at 300 s): the warm-up is what spares it.
    expect(simulate(training({ lo: 57, hi: 97, startS: 300, rampS: 2 }), 600).first).toBeGreaterThanOrEqual(300);
  });

  it('a rise from 40 % to 70 % in 5 s is no emergency; nor is a slow drift from 70 % to 95 % over 10 minutes', () => {
    expect(simulate((t) => (t < 300 ? 40 : t < 305 ? 40 + (t - 300) * 6 : 70) + 2 * noise(t), 900).first).toBeNull();
    expect(simulate((t) => 70 + Math.min(25, Math.max(0, t - 300) / 24) + 1.5 * noise(t), 1800).first).toBeNull();
  });

  it('a noisy inference row hovering near its budget (86 ± 3 %) is no spike: the noise stays within its envelope', () => {
    expect(simulate((t) => 86 + 3 * noise(t), 3600).first).toBeNull();
  });
});

describe('load-spike trigger: a real surge is a spike, within a bounded delay', () => {
  it('an inference row rising 25 points in 10 s to 90 %: caught during the rise, at its first reading above 85 %', () => {
    const surge = (t: number) => (t < 300 ? 65 : t < 310 ? 65 + (t - 300) * 2.5 : 90) + 2 * noise(t);
    const r = simulate(surge, 900);
    expect(r.first).not.toBeNull();
    const firstAbove = Array.from({ length: 900 }, (_, t) => t).find((t) => t >= 300 && surge(t) > 85)!;
    expect(r.first!).toBeLessThanOrEqual(310);
    expect(r.first!).toBe(firstAbove);
    // It ends once the surge is the row's normal (60 s after its level entered the envelope): a minute and a bit.
    expect(r.share * 900).toBeLessThan(90);
  });

  it('a loadSpike ×1.6 on an inference row at 70 % (idle floor 35 %): the row climbs to ~91 % over 15 s; caught within 15 s', () => {
    const level = (t: number) => (t < 600 ? 70 : 35 + 35 * (1 + 0.6 * Math.min(1, (t - 600) / 15)));
    const r = simulate((t) => level(t) + 2 * noise(t), 1200);
    expect(r.first).not.toBeNull();
    expect(r.first!).toBeGreaterThanOrEqual(600);
    expect(r.first!).toBeLessThanOrEqual(615);
  });

  it('a surge on top of a training row (its envelope at 83 %) to 95 % is a spike too', () => {
    const r = simulate((t) => training({ lo: 60, hi: 83 })(t) + (t >= 900 ? Math.min(12, (t - 900) * 2) : 0), 1200);
    expect(r.first).not.toBeNull();
    expect(r.first!).toBeGreaterThanOrEqual(900);
    expect(r.first!).toBeLessThanOrEqual(906);
  });
});

describe('load-spike trigger: its parts', () => {
  const tr = PlaybookSchema.parse({ id: 't', trigger: { kind: 'loadSpike', pctPerS: 0.5 }, stages: [{ action: { kind: 'brake' } }] }).trigger as LoadSpikeTrigger;
  const v = (kw: number, stale = false) => ({ budgetKW: 100, powerW: kw * 1000, stale });
  const feed = (readings: Array<[number, number]>, from: SpikeHistory = []) => readings.reduce((h, [t, kw]) => recordSpikePower(tr, h, v(kw), t), from);

  it('an old config ({ kind, pctPerS }) stays valid and gets the defaults: 10 s rise, 60 s baseline, 60 s warm-up, 85 %', () => {
    expect(tr).toEqual({ kind: 'loadSpike', pctPerS: 0.5, riseS: 10, baselineS: 60, warmupS: 60, nearPct: 85 });
  });

  it('history: the highest fresh reading per second; stale, unknown or negative readings are not kept; the input is not changed', () => {
    const h = feed([[0, 50], [400, 55], [900, 52], [1000, 40]]);
    expect(h).toEqual([[0, 55_000], [1000, 40_000]]);
    const before = structuredClone(h);
    expect(recordSpikePower(tr, h, v(120, true), 1500)).toBe(h);
    expect(recordSpikePower(tr, h, v(NaN), 1500)).toBe(h);
    expect(recordSpikePower(tr, h, v(-1), 1500)).toBe(h);
    expect(recordSpikePower(tr, h, v(45), 1500)).toEqual([[0, 55_000], [1000, 45_000]]);
    expect(h).toEqual(before);
  });

  it('history: kept for max(warm-up, rise + baseline) + 1 s', () => {
    const h = feed(Array.from({ length: 200 }, (_, i) => [i * 1000, i] as [number, number]));
    expect(h[0]![0]).toBe(199_000 - 71_000);
    expect(h).toHaveLength(72);
  });

  it('the envelope: the highest bucket within 60 s before the last 10 s (buckets that ended at least 10 s ago)', () => {
    /** One reading a second from 0 to `toS` s, at 10 kW except the `peaks`. */
    const series = (toS: number, peaks: Record<number, number>) => feed(Array.from({ length: toS + 1 }, (_, i) => [i * 1000, peaks[i] ?? 10] as [number, number]));
    expect(envelopeTopW(tr, series(90, { 20: 99, 29: 98 }), 90_000)).toBe(99_000); // buckets [20, 79] s
    expect(envelopeTopW(tr, series(91, { 20: 99, 29: 98 }), 91_000)).toBe(98_000); // [21, 80] s
    expect(envelopeTopW(tr, series(60, { 50: 97 }), 60_999)).toBe(10_000); // the [50, 51) s bucket ended 9.999 s ago
    expect(envelopeTopW(tr, series(61, { 50: 97 }), 61_000)).toBe(97_000);
    expect(envelopeTopW(tr, [], 40_000)).toBe(-Infinity);
  });

  it('warm-up: a spike counts only once the oldest kept reading is 60 s old', () => {
    const flat = feed(Array.from({ length: 60 }, (_, i) => [i * 1000, 70] as [number, number]));
    const at = (t: number) => loadSpikeHolds(tr, recordSpikePower(tr, flat, v(95), t), v(95), t, 70);
    expect(at(59_500)).toBe(false);
    expect(at(60_000)).toBe(true);
  });
});
