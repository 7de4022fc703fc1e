import { describe, expect, it } from 'vitest';
import { PolcaConfigSchema } from '../../../../shared/domain/control.js';
import { initialPolcaState, polcaLockMHz, stepPolca, type PolcaRowState } from '../../../../main/core/control/polca.js';

/** POLCA's step with Headroom's extensions (lowDeepFirst, highPct, highHoldS) and the locks they ask, at their edges. */

const P = PolcaConfigSchema.parse({});
const caps = { lowT1MHz: 1790, lowT2MHz: 1559, highT2MHz: 1833 };
const view = (power: number, lock = power, high = lock, stale = false) => ({ budgetKW: 100, powerW: power * 1000, stale, lockPct: lock, highPct: high });
const T = { capLatencyS: 40, lowDeepFirst: true, highHoldS: 30 };

describe('locks asked per GPU', () => {
  const on = { ...initialPolcaState(0), stage: 't2' as const, t1SinceMs: 0, t2SinceMs: 0 };
  it('deep lock: low priority at the deep clock, high priority at the low T2 clock; without a deep clock POLCA’s', () => {
    const deep = { ...on, deepSinceMs: 0 };
    expect(polcaLockMHz(deep, false, caps, 1386)).toBe(1386);
    expect(polcaLockMHz(deep, true, caps, 1386)).toBe(1559);
    expect(polcaLockMHz(deep, false, caps, 0)).toBe(1559);
    expect(polcaLockMHz(deep, true, caps, 0)).toBe(0);
  });
  it('the deep step: low priority at the deep clock, high priority untouched', () => {
    const step = { ...on, lowDeepSinceMs: 0 };
    expect(polcaLockMHz(step, false, caps, 1386)).toBe(1386);
    expect(polcaLockMHz(step, true, caps, 1386)).toBe(0);
    expect(polcaLockMHz(step, false, caps, 0)).toBe(1559);
    expect(polcaLockMHz({ ...step, highSinceMs: 0 }, true, caps, 1386)).toBe(1833);
  });
});

describe('stepPolca with the deep step', () => {
  const run = (s: PolcaRowState, from: number, seconds: number, v: ReturnType<typeof view>, t = T) => {
    for (let i = 1; i <= seconds; i++) s = stepPolca(P, v, s, from + i * 1000, t);
    return s;
  };

  it('a brake engages the deep step with every T2 lock; caps off or POLCA mode clear it', () => {
    const b = stepPolca(P, view(101), initialPolcaState(0), 1000, T);
    expect(b.stage).toBe('brake');
    expect(b.lowDeepSinceMs).toBe(1000);
    expect(b.highSinceMs).toBe(1000);
    expect(Number.isNaN(stepPolca(P, view(101), initialPolcaState(0), 1000, { capLatencyS: 40 }).lowDeepSinceMs)).toBe(true);
    const withDeep = { ...initialPolcaState(0), stage: 't2' as const, t2SinceMs: 0, lowDeepSinceMs: 0 };
    expect(Number.isNaN(stepPolca(P, view(50), withDeep, 1000, { ...T, capsEnabled: false }).lowDeepSinceMs)).toBe(true);
    expect(Number.isNaN(stepPolca(P, view(50), withDeep, 1000, { capLatencyS: 40 }).lowDeepSinceMs)).toBe(true);
  });

  it('the deep step waits for T2 to land and for the high level strictly above T2', () => {
    let s = stepPolca(P, view(90, 95), initialPolcaState(0), 0, T);
    expect(s.t2SinceMs).toBe(0);
    s = run(s, 0, 39, view(90, 95));
    expect(Number.isNaN(s.lowDeepSinceMs)).toBe(true);
    const atEdge = stepPolca(P, view(90, 95, P.t2Pct), s, 40_000, T);
    expect(Number.isNaN(atEdge.lowDeepSinceMs)).toBe(true);
    s = stepPolca(P, view(90, 95, P.t2Pct + 0.01), s, 40_000, T);
    expect(s.lowDeepSinceMs).toBe(40_000);
  });

  it('high priority releases on highPct strictly below T2 − hysteresis held for highHoldS; the deep step then holds its own hold', () => {
    const base = { ...initialPolcaState(0), stage: 't2' as const, t1SinceMs: 0, t2SinceMs: 0, lowDeepSinceMs: 0, highSinceMs: 0 };
    const edge = P.t2Pct - P.releaseHysteresisPct;
    // At the edge: never below, never released.
    let s = run(base, 100_000, 200, view(70, 70, edge), { ...T });
    expect(Number.isNaN(s.highSinceMs)).toBe(false);
    s = run(s, 300_000, 31, view(70, 70, edge - 0.5));
    expect(Number.isNaN(s.highSinceMs)).toBe(true);
    // The deep step stays for POLCA's minHold (30 s here) from the high release's start, not before.
    expect(Number.isNaN(s.lowDeepSinceMs)).toBe(false);
  });
});
