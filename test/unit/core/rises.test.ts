import { describe, expect, it } from 'vitest';
import { quantileOf, RISE_BUCKET, RiseTracker, risesOver, worstRise } from '../../../main/core/rises.js';
import { poissonRate } from '../../../main/core/rateInterval.js';

/** The definition, by brute force: p[t] − min(p[t−w .. t]). */
function brute(xs: number[], w: number): number[] {
  return xs.map((v, t) => {
    let lo = v;
    for (let k = Math.max(0, t - w); k <= t; k++) lo = Math.min(lo, xs[k]!);
    return v - lo;
  });
}

describe('rises of a power series', () => {
  it('equal the brute-force definition on random series and windows', () => {
    let s = 7;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    for (let trial = 0; trial < 50; trial++) {
      const xs = Array.from({ length: 200 }, () => Math.round(rnd() * 100));
      const w = 1 + Math.floor(rnd() * 60);
      expect(Array.from(risesOver(xs, w))).toEqual(brute(xs, w));
      expect(worstRise(xs, w)).toBe(Math.max(...brute(xs, w)));
    }
  });

  it('a fall is no rise; a step up is seen for exactly the window', () => {
    expect(worstRise([90, 80, 70, 60], 3)).toBe(0);
    const step = [50, 50, 50, 80, 80, 80, 80, 80];
    expect(Array.from(risesOver(step, 2))).toEqual([0, 0, 0, 30, 30, 0, 0, 0]);
  });

  it('the tracker learns the same rises on line, skips unknown readings, and forgets beyond its capacity', () => {
    const xs = [50, 52, 70, 71, 60, 90, 91, 60, 61, 62];
    const tr = new RiseTracker(100, 3);
    for (const x of [...xs.slice(0, 5), NaN, Infinity, ...xs.slice(5)]) tr.push(x);
    expect(tr.size).toBe(xs.length);
    // Read at the upper edge of a 0.1-point bucket: never below the exact value, at most one bucket above.
    const near = (got: number, exact: number) => {
      expect(got).toBeGreaterThanOrEqual(exact - 1e-9);
      expect(got - exact).toBeLessThanOrEqual(RISE_BUCKET + 1e-9);
    };
    near(tr.worst(), Math.max(...brute(xs, 3)));
    for (const q of [0.1, 0.5, 0.9, 1]) near(tr.riseQuantile(q), quantileOf(brute(xs, 3), q));
    const small = new RiseTracker(3, 1);
    for (const x of [0, 100, 100, 100, 100]) small.push(x);
    // The 0 → 100 rise has left the ring: only flat samples remain.
    expect(small.worst()).toBe(0);
  });

  it('the tracker agrees with the exact rises on long random series, as samples come and go', () => {
    let s = 11;
    const rnd = () => ((s = (s * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
    const xs = Array.from({ length: 3000 }, () => 50 + 40 * rnd());
    const tr = new RiseTracker(500, 40);
    for (let i = 0; i < xs.length; i++) {
      tr.push(xs[i]!);
      if (i % 97 !== 0) continue;
      // The exact rises of the samples still held (their windows may reach before the ring: compute on the full series).
      const held = brute(xs.slice(0, i + 1), 40).slice(-500);
      for (const q of [0.5, 0.9, 1]) {
        const exact = quantileOf(held, q);
        expect(tr.riseQuantile(q)).toBeGreaterThanOrEqual(exact - 1e-9);
        expect(tr.riseQuantile(q) - exact).toBeLessThanOrEqual(RISE_BUCKET + 1e-9);
      }
    }
  });

  it('quantiles by nearest rank, NaN when empty', () => {
    expect(quantileOf([3, 1, 2, 4], 0.5)).toBe(2);
    expect(quantileOf([3, 1, 2, 4], 1)).toBe(4);
    expect(quantileOf([], 0.5)).toBeNaN();
  });
});

describe('brake rate with its 95 % interval (Garwood)', () => {
  it('matches the exact Poisson interval (tables) to 2 decimals', () => {
    // Exact Garwood bounds for k events (χ² quantiles / 2), from tables.
    const exact: Array<[number, number, number]> = [
      [1, 0.0253, 5.5716],
      [5, 1.6235, 11.6683],
      [20, 12.2165, 30.8875],
    ];
    for (const [k, lo, hi] of exact) {
      const r = poissonRate(k, 1);
      expect(r.rate).toBe(k);
      expect(r.lo!).toBeCloseTo(lo, 2);
      expect(r.hi!).toBeCloseTo(hi, 2);
    }
  });

  it('no event: the rate is 0 and the upper bound −ln 0.025 per exposure; scaled per 100 row-hours', () => {
    const r = poissonRate(0, 100, 100);
    expect(r.rate).toBe(0);
    expect(r.lo).toBe(0);
    expect(r.hi).toBeCloseTo(3.689, 3);
    expect(poissonRate(3, 0)).toEqual({ rate: null, lo: null, hi: null });
  });
});
