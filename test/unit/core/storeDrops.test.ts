import { describe, expect, it } from 'vitest';
import { DropBursts, dropLine } from '../../../main/core/storeDrops.js';

describe('bursts of dropped ticks', () => {
  it('groups drops close in time and reports a burst once, when it has been quiet for the quiet interval', () => {
    const b = new DropBursts(10_000, 60_000);
    const reports = [];
    let total = 0;
    for (let t = 1000; t <= 30_000; t += 1000) {
      if (t >= 3000 && t <= 7000) total += 2; // 5 ticks × 2 drops
      const r = b.update(total, t);
      if (r) reports.push({ t, ...r });
      if (t === 5000) expect(b.current).toMatchObject({ fromMs: 3000, ticks: 6 });
    }
    expect(reports).toEqual([{ t: 17_000, fromMs: 3000, lastMs: 7000, ticks: 10, ended: true }]);
    expect(b.current).toBeNull();
    expect(dropLine(reports[0]!)).toBe(
      'store: 10 telemetry ticks dropped from 1970-01-01T00:00:03.000Z to 1970-01-01T00:00:07.000Z: the store writer fell behind, telemetry.db has a gap there',
    );
  });

  it('a burst that goes on is reported at most once per report interval, with the count so far', () => {
    const b = new DropBursts(10_000, 60_000);
    const reports = [];
    for (let t = 0; t <= 150_000; t += 1000) {
      const r = b.update(t / 1000 + 1, t);
      if (r) reports.push(r);
    }
    expect(reports.map((r) => [r.lastMs, r.ticks, r.ended])).toEqual([
      [60_000, 61, false],
      [120_000, 121, false],
    ]);
    expect(dropLine(reports[0]!)).toMatch(/^store: still dropping: 61 telemetry ticks so far/);
  });
});
