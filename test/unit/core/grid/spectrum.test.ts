import { describe, expect, it } from 'vitest';
import { bandStats, maxRamp, swings, welch } from '../../../../main/core/grid/spectrum.js';
import { gridFigures } from '../../../../main/core/grid/figures.js';
import { EXAMPLE_UTILITY } from '../../../../shared/domain/grid.js';

const FS = 100;
const series = (seconds: number, f: (t: number) => number) => Float64Array.from({ length: seconds * FS }, (_, i) => f(i / FS));

describe('what a utility judges in a power series', () => {
  it("Welch's PSD keeps the variance (Parseval) and puts a 1 Hz swing in the 0.1–20 Hz band", () => {
    const x = series(600, (t) => 5 + 0.3 * Math.sin(2 * Math.PI * 1 * t));
    const p = welch(x, FS, 4096);
    expect(p.df).toBeCloseTo(100 / 4096, 9);
    expect(p.segments).toBe(28);
    const b = bandStats(p, 0.1, 20);
    // A sine of amplitude A has variance A²/2: all of it in band, RMS A/√2.
    expect(b.total).toBeCloseTo(0.045, 3);
    expect(b.sharePct).toBeGreaterThan(99.9);
    expect(b.rms).toBeCloseTo(0.3 / Math.SQRT2, 3);
    // The peak sits at 1 Hz.
    let k = 1;
    for (let i = 1; i < p.psd.length; i++) if (p.psd[i]! > p.psd[k]!) k = i;
    expect(k * p.df).toBeCloseTo(1, 1);
  });

  it('a slow swing (0.05 Hz) and a fast one (30 Hz) fall outside 0.1–20 Hz: the share sees only the band', () => {
    const slow = bandStats(welch(series(600, (t) => Math.sin(2 * Math.PI * 0.05 * t)), FS), 0.1, 20);
    expect(slow.sharePct).toBeLessThan(5);
    const fast = bandStats(welch(series(600, (t) => Math.sin(2 * Math.PI * 30 * t)), FS), 0.1, 20);
    expect(fast.sharePct).toBeLessThan(1);
    // Both together, equal amplitudes, plus an in-band 2 Hz one: a third of the energy in band.
    const mix = bandStats(welch(series(600, (t) => Math.sin(2 * Math.PI * 0.05 * t) + Math.sin(2 * Math.PI * 2 * t) + Math.sin(2 * Math.PI * 30 * t)), FS), 0.1, 20);
    expect(mix.sharePct).toBeGreaterThan(30);
    expect(mix.sharePct).toBeLessThan(36);
  });

  it('a flat series has no fluctuation energy; a short one uses a shorter segment; a bad segment is refused', () => {
    expect(bandStats(welch(new Float64Array(10_000).fill(3), FS), 0.1, 20)).toEqual({ band: 0, total: 0, sharePct: 0, rms: 0 });
    expect(welch(series(20, (t) => Math.sin(t)), FS, 4096).df).toBeCloseTo(100 / 1024, 9);
    expect(() => welch(new Float64Array(100), FS, 1000)).toThrow(/power of two/);
  });

  it('ramp: the steepest change over the window; a step counts over the whole window', () => {
    expect(maxRamp(series(60, (t) => 0.3 * t), FS, 1)).toBeCloseTo(0.3, 9);
    expect(maxRamp(series(60, (t) => (t >= 30 ? 1 : 0)), FS, 1)).toBeCloseTo(1, 9);
    expect(maxRamp(series(60, (t) => (t >= 30 ? 1 : 0)), FS, 2)).toBeCloseTo(0.5, 9);
  });

  it('swings: the worst max − min over any sliding window and the median over consecutive ones', () => {
    // A 2 s square wave of ±0.25 with one 1.0 dip lasting 3 s: typical swing 0.5, worst 1.25.
    const x = series(120, (t) => (t >= 60 && t < 63 ? -1 : Math.floor(t) % 2 === 0 ? 0.25 : -0.25));
    const s = swings(x, FS, 10);
    expect(s.median).toBeCloseTo(0.5, 9);
    expect(s.worst).toBeCloseTo(1.25, 9);
    expect(swings(new Float64Array(500).fill(2), FS, 1)).toEqual({ worst: 0, median: 0 });
    // Shorter than the window: the whole series is the window.
    expect(swings(Float64Array.from([1, 3, 2]), FS, 10)).toEqual({ worst: 2, median: 2 });
  });
});

describe('the figures against a requirement', () => {
  it('a swinging site crosses the band limit; a flat one with a tiny in-band ripple does not, though all its fluctuation is in band', () => {
    const swinging = gridFigures(Float32Array.from(series(300, (t) => 1.2 + 0.3 * Math.sign(Math.sin(Math.PI * t)))), FS, EXAMPLE_UTILITY);
    expect(swinging.bandEnergyPct).toBeGreaterThan(90);
    expect(swinging.within).toEqual({ ramp: false, dynamicRange: false, band: false });
    const flat = gridFigures(Float32Array.from(series(300, (t) => 1.2 + 0.003 * Math.sin(2 * Math.PI * t))), FS, EXAMPLE_UTILITY);
    expect(flat.bandEnergyPct).toBeGreaterThan(90);
    expect(flat.bandRmsMW).toBeLessThan(EXAMPLE_UTILITY.band.minRmsMW);
    expect(flat.within).toEqual({ ramp: true, dynamicRange: true, band: true });
    expect(flat.meanMW).toBeCloseTo(1.2, 3);
  });
});

describe('limits at their edge, and what the figures report', () => {
  it('a value exactly at a limit is within it; peak, mean and the share’s one decimal', () => {
    // A 1 s ramp of exactly 0.15 MW, once, in an otherwise flat 60 s: ramp 0.15 MW/s and swing 0.15 MW, both at the limit.
    const x = Float32Array.from(series(60, (t) => (t < 30 ? 1 : t < 31 ? 1 + 0.15 * (t - 30) : 1.15)));
    const f = gridFigures(x, FS, { ...EXAMPLE_UTILITY, rampMWps: maxRamp(x, FS, 1), dynamicRangeMW: swings(x, FS, 10).worst });
    expect(f.within.ramp).toBe(true);
    expect(f.within.dynamicRange).toBe(true);
    expect(f.peakMW).toBeCloseTo(1.15, 4);
    expect(f.meanMW).toBeCloseTo((30 * 1 + 1 * 1.075 + 29 * 1.15) / 60, 3);
    expect(Math.round(f.bandEnergyPct * 10)).toBe(f.bandEnergyPct * 10);
    // A band at exactly its share limit passes; its RMS exactly at the floor is judged.
    const sine = Float32Array.from(series(300, (t) => 1 + 0.3 * Math.sin(2 * Math.PI * t)));
    const s = gridFigures(sine, FS, EXAMPLE_UTILITY);
    expect(gridFigures(sine, FS, { ...EXAMPLE_UTILITY, band: { ...EXAMPLE_UTILITY.band, maxSharePct: s.bandEnergyPct + 0.04 } }).within.band).toBe(true);
    expect(gridFigures(sine, FS, { ...EXAMPLE_UTILITY, band: { ...EXAMPLE_UTILITY.band, maxSharePct: 50, minRmsMW: s.bandRmsMW } }).within.band).toBe(false);
  });

  it('one-sided PSD: a signal at the Nyquist frequency keeps its variance in the last bin; Hann leaves a sine in ≤ 3 bins', () => {
    const nyq = Float64Array.from({ length: 8192 }, (_, i) => (i % 2 ? 1 : -1));
    const p = welch(nyq, FS, 4096);
    expect(p.psd[p.psd.length - 1]! * p.df).toBeGreaterThan(0.3);
    expect(bandStats(p, 0, 100).total).toBeCloseTo(1, 1);
    const sine = welch(series(600, (t) => Math.sin(2 * Math.PI * 5.0048828125 * t)), FS, 4096);
    const k = Math.round(5.0048828125 / sine.df);
    const near = sine.psd[k - 1]! + sine.psd[k]! + sine.psd[k + 1]!;
    let all = 0;
    for (let i = 1; i < sine.psd.length; i++) all += sine.psd[i]!;
    expect(near / all).toBeGreaterThan(0.99);
  });
});
