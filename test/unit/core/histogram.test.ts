import { describe, expect, it } from 'vitest';
import { LatencyHistogram } from '../../../main/core/histogram.js';

describe('latency histogram', () => {
  it('quantiles are within 3.2 % above the exact value', () => {
    const h = new LatencyHistogram();
    const xs = Array.from({ length: 10_000 }, (_, i) => 0.01 * Math.pow(1.001, i));
    xs.forEach((x) => h.record(x));
    for (const q of [0.5, 0.9, 0.99]) {
      const exact = xs[Math.ceil(q * xs.length) - 1]!;
      const got = h.quantile(q);
      expect(got).toBeGreaterThanOrEqual(exact);
      expect(got / exact).toBeLessThan(1.032);
    }
    expect(h.mean()).toBeCloseTo(xs.reduce((a, b) => a + b, 0) / xs.length, 9);
  });

  it('ignores NaN and negative values, honours weights, and is NaN when empty', () => {
    const h = new LatencyHistogram();
    expect(Number.isNaN(h.quantile(0.5))).toBe(true);
    h.record(NaN);
    h.record(-1);
    h.record(2, 3);
    h.record(100);
    expect(h.total).toBe(4);
    expect(h.quantile(0.5)).toBeGreaterThanOrEqual(2);
    expect(h.quantile(0.5)).toBeLessThan(2.1);
    expect(h.quantile(1)).toBeGreaterThanOrEqual(100);
  });
});
