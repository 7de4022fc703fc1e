import { describe, expect, it } from 'vitest';
import { PolcaConfigSchema } from '../../../../shared/domain/control.js';
import { initialPolcaState, rowPct, stepPolca, type PolcaRowState } from '../../../../main/core/control/polca.js';

/** POLCA's rules at their boundaries, step by step (the property in polca.test.ts covers random traces). */
const cfg = PolcaConfigSchema.parse({});
const LAT = 40;
const step = (s: PolcaRowState, pct: number, tS: number, o: { stale?: boolean; caps?: boolean; lat?: number } = {}) =>
  stepPolca(cfg, { budgetKW: 100, powerW: pct * 1000, stale: o.stale ?? false }, s, tS * 1000, { capLatencyS: o.lat ?? LAT, capsEnabled: o.caps ?? true });
const run = (s: PolcaRowState, pct: number, fromS: number, toS: number) => {
  for (let t = fromS; t <= toS; t++) s = step(s, pct, t);
  return s;
};
/** The first second in [fromS, toS] at which `done` holds. */
const firstWhen = (s: PolcaRowState, pct: number, fromS: number, toS: number, done: (s: PolcaRowState) => boolean) => {
  for (let t = fromS; t <= toS; t++) {
    s = step(s, pct, t);
    if (done(s)) return t;
  }
  return NaN;
};

describe('POLCA rules at their boundaries', () => {
  it('rowPct: power over budget in %, unreadable is Infinity', () => {
    expect(rowPct({ budgetKW: 100, powerW: 50_000 })).toBe(50);
    expect(rowPct({ budgetKW: 100, powerW: 0 })).toBe(0);
    for (const v of [{ budgetKW: 0, powerW: 0 }, { budgetKW: 0, powerW: 1 }, { budgetKW: -5, powerW: 1000 }, { budgetKW: 100, powerW: -1 }, { budgetKW: 100, powerW: NaN }, { budgetKW: NaN, powerW: 1 }, { budgetKW: -0, powerW: 1000 }]) {
      expect(rowPct(v), JSON.stringify(v)).toBe(Infinity);
    }
  });

  it('thresholds are strict: exactly T1, T2 or the brake level does not engage it', () => {
    expect(step(initialPolcaState(0), cfg.t1Pct, 1).stage).toBe('normal');
    expect(step(initialPolcaState(0), cfg.t1Pct + 0.01, 1).stage).toBe('t1');
    expect(step(initialPolcaState(0), cfg.t2Pct, 1).stage).toBe('t1');
    expect(step(initialPolcaState(0), cfg.brakePct, 1).stage).toBe('t2');
    expect(step(initialPolcaState(0), cfg.brakePct + 0.01, 1).stage).toBe('brake');
  });

  it('the high-priority half of T2 engages only above T2, once the low locks have landed', () => {
    let s = step(initialPolcaState(0), 90, 0);
    s = run(s, cfg.t2Pct, 1, 100); // at T2 exactly: not above
    expect(Number.isNaN(s.highSinceMs)).toBe(true);
    s = step(s, 90, 101);
    expect(s.highSinceMs).toBe(101_000);
    let u = step(initialPolcaState(0), 90, 0);
    u = run(u, 85, 1, 100); // below T2 after the landing
    expect(Number.isNaN(u.highSinceMs)).toBe(true);
    expect(Number.isNaN(step(step(initialPolcaState(0), 90, 0), 90, LAT - 1).highSinceMs)).toBe(true);
  });

  it('the brake engages every lock not yet engaged (and keeps the engage time of those that were)', () => {
    let s = step(initialPolcaState(0), 85, 0);
    s = step(s, 110, 5);
    expect([s.t1SinceMs, s.t2SinceMs, s.highSinceMs, s.brakeSinceMs]).toEqual([0, 5000, 5000, 5000]);
    expect([s.stage, s.sinceMs]).toEqual(['brake', 5000]);
    const t = step(initialPolcaState(0), 110, 3);
    expect([t.t1SinceMs, t.t2SinceMs, t.highSinceMs]).toEqual([3000, 3000, 3000]);
    // Without caps the brake alone engages, and locks engaged before are dropped.
    const u = step(s, 110, 6, { caps: false });
    expect([u.t1SinceMs, u.t2SinceMs, u.highSinceMs]).toEqual([NaN, NaN, NaN]);
    expect(u.brakeSinceMs).toBe(5000);
    const v = step(initialPolcaState(0), 110, 3, { caps: false });
    expect([v.t1SinceMs, v.t2SinceMs, v.highSinceMs, v.stage]).toEqual([NaN, NaN, NaN, 'brake']);
  });

  it('"below" means strictly below the release point (threshold − hysteresis), for the locks and the brake', () => {
    let s = step(initialPolcaState(0), 85, 0);
    s = run(s, cfg.t1Pct - cfg.releaseHysteresisPct, 1, 300);
    expect(s.stage).toBe('t1');
    expect(Number.isNaN(s.t1BelowSinceMs)).toBe(true);
    let b = step(initialPolcaState(0), 110, 0, { lat: 1 });
    b = run(b, cfg.brakePct - cfg.releaseHysteresisPct, 1, 300);
    expect(b.stage).toBe('brake');
    expect(Number.isNaN(b.brakeBelowSinceMs)).toBe(true);
  });

  it('the lock hold counts from the lock landing: released exactly latency + minHoldS after the engage', () => {
    const s = step(initialPolcaState(0), 85, 0);
    expect(firstWhen(s, 50, 1, 300, (x) => x.stage === 'normal')).toBe(LAT + cfg.minHoldS);
  });

  it('the brake waits for the LAST lock to land (T2 low, then T2 high engaged later)', () => {
    let s = step(initialPolcaState(0), 90, 0); // T1 + T2 low at 0
    s = step(s, 95, LAT); // landed and still above T2: T2 high at 40 s
    expect(s.highSinceMs).toBe(LAT * 1000);
    s = step(s, 110, LAT + 1); // brake at 41 s
    expect(firstWhen(s, 50, LAT + 2, 300, (x) => x.stage !== 'brake')).toBe(2 * LAT);
  });

  it('levels release in order: T2 low not while T2 high is on, T1 not while T2 is on', () => {
    // T2 low at 0 (held from 70 s), T2 high at 40 s (held from 110 s); power low from 41 s.
    let s = step(initialPolcaState(0), 90, 0);
    s = step(s, 95, LAT);
    s = run(s, 50, LAT + 1, 109);
    expect([Number.isNaN(s.t2SinceMs), Number.isNaN(s.highSinceMs)]).toEqual([false, false]);
    s = step(s, 50, 110);
    expect(s.stage).toBe('normal');
    // T1 at 0 (held from 70 s), T2 low at 20 s (held from 90 s); power low from 21 s.
    let u = step(initialPolcaState(0), 85, 0);
    u = step(u, 90, 20);
    u = run(u, 50, 21, 89);
    expect(u.stage).toBe('t2');
    expect(Number.isNaN(u.t1SinceMs)).toBe(false);
    expect(step(u, 50, 90).stage).toBe('normal');
  });

  it('with caps disabled the brake releases after brakeReleaseS below (no lock to wait for)', () => {
    const s = step(initialPolcaState(0), 110, 0, { caps: false });
    let t = 1;
    let x = s;
    for (; t < 100 && x.stage === 'brake'; t++) x = step(x, 50, t, { caps: false });
    expect(t - 1).toBe(1 + cfg.brakeReleaseS);
    expect(x.stage).toBe('normal');
  });

  it('sinceMs changes with the stage, and only then', () => {
    let s = step(initialPolcaState(0), 85, 3);
    expect([s.stage, s.sinceMs]).toEqual(['t1', 3000]);
    s = step(s, 86, 4);
    expect([s.stage, s.sinceMs]).toEqual(['t1', 3000]);
    s = step(s, 90, 5);
    expect([s.stage, s.sinceMs]).toEqual(['t2', 5000]);
  });

  it('a brake engaged while automation was paused, automation resumed: the brake waits for the new T2 locks to land', () => {
    let s = step(initialPolcaState(0), 105, 0, { caps: false });
    expect(s.stage).toBe('brake');
    // Resumed at 92 %: T1 and T2 engage now (T2 lands 40 s later); power is already below the brake's release point.
    s = step(s, 92, 100);
    expect([s.t1SinceMs, s.t2SinceMs]).toEqual([100_000, 100_000]);
    s = run(s, 92, 101, 139);
    expect([s.stage, s.brakeSinceMs]).toEqual(['brake', 0]);
  });
});
