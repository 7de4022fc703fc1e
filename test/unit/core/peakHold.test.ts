/** core/peakHold.ts: the highest reading of each element over the last half-window to window, NaN-safe. */
import { describe, expect, it } from 'vitest';
import { PeakHold } from '../../../main/core/peakHold.js';

describe('PeakHold', () => {
  it('holds each element at its highest reading of the last 30–60 s of a 60 s window, then lets it go', () => {
    const h = new PeakHold(2, 60_000);
    h.observe([5, 1], 0);
    h.observe([2, 3], 10_000);
    expect([...h.max()]).toEqual([5, 3]);
    // A new bucket at 30 s: the first one's peaks are still held.
    h.observe([1, 1], 30_000);
    expect([...h.max()]).toEqual([5, 3]);
    h.observe([4, 0], 59_000);
    expect([...h.max()]).toEqual([5, 3]);
    // At 60 s the first bucket (0–30 s) is dropped whole: the 30–60 s peaks remain.
    h.observe([0, 0], 60_000);
    expect([...h.max()]).toEqual([4, 1]);
    h.observe([0, 0], 90_000);
    expect([...h.max()]).toEqual([0, 0]);
  });

  it('forgets everything after a gap longer than the window (not only the older half)', () => {
    const h = new PeakHold(1, 60_000);
    h.observe([9], 0);
    h.observe([1], 45_000);
    h.observe([2], 200_000);
    expect([...h.max()]).toEqual([2]);
  });

  it('a stale (NaN) reading keeps the held value; an element never read is NaN', () => {
    const h = new PeakHold(2, 60_000);
    h.observe([7, NaN], 0);
    h.observe([NaN, NaN], 1_000);
    const m = h.max();
    expect(m[0]).toBe(7);
    expect(m[1]).toBeNaN();
    h.observe([NaN, 3], 31_000);
    expect([...h.max()]).toEqual([7, 3]);
    // Later readings below the held peak do not lower it; a higher one raises it.
    h.observe([6, 8], 32_000);
    expect([...h.max()]).toEqual([7, 8]);
  });
});
