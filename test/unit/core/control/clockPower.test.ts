import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { activityAt, powerAtClock } from '../../../../main/core/control/clockPower.js';
import { BUILTIN_MODELS } from '../../../../main/core/models.js';
import { powerAt } from '../../../../main/core/physics.js';

const model = fc.constantFrom(...BUILTIN_MODELS);
/** A model and a clock above its idle clock, within its range. */
const busyClock = model.chain((m) => fc.record({ m: fc.constant(m), f: fc.double({ min: m.idleClockMHz + 1, max: m.maxClockMHz, noNaN: true }) }));
const activity = fc.double({ min: 0.01, max: 1.2, noNaN: true });
const closeTo = (x: number, y: number, rel = 1e-9) => Math.abs(x - y) <= rel * Math.max(1, Math.abs(y));

describe('clock → power (the inverse of powerAt at a fixed clock)', () => {
  it('property: activityAt inverts powerAt (round trip within 1e-9)', () => {
    fc.assert(
      fc.property(busyClock, activity, ({ m, f }, a) => {
        expect(closeTo(activityAt(m, powerAt(m, a, f), f), a)).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('property: at the reading\'s own clock the estimate is the reading; at another clock it is powerAt of the inferred activity', () => {
    fc.assert(
      fc.property(busyClock, activity, fc.double({ min: 0, max: 1, noNaN: true }), ({ m, f }, a, k) => {
        const p = powerAt(m, a, f);
        const target = m.minClockMHz + k * (m.maxClockMHz - m.minClockMHz);
        expect(closeTo(powerAtClock(m, p, f, f), p)).toBe(true);
        expect(closeTo(powerAtClock(m, p, f, target), powerAt(m, a, target))).toBe(true);
      }),
      { numRuns: 500 },
    );
  });

  it('property: monotone: never falls as the target clock rises; activity rises with power and falls with clock', () => {
    fc.assert(
      fc.property(
        busyClock,
        fc.double({ min: 0, max: 800, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        ({ m, f }, powerW, k1, k2) => {
          const [lo, hi] = [Math.min(k1, k2), Math.max(k1, k2)].map((k) => m.minClockMHz + k * (m.maxClockMHz - m.minClockMHz)) as [number, number];
          expect(powerAtClock(m, powerW, f, lo)).toBeLessThanOrEqual(powerAtClock(m, powerW, f, hi));
          expect(activityAt(m, powerW, f)).toBeLessThanOrEqual(activityAt(m, powerW + 1, f));
          expect(activityAt(m, powerW, Math.min(m.maxClockMHz, f + 10))).toBeLessThanOrEqual(activityAt(m, powerW, f));
        },
      ),
      { numRuns: 500 },
    );
  });

  it('an idle reading is returned unchanged; activity is never negative', () => {
    const m = BUILTIN_MODELS[0]!;
    expect(powerAtClock(m, 300, m.idleClockMHz, 1000)).toBe(300);
    expect(powerAtClock(m, m.idleW, 1800, 1000)).toBe(m.idleW);
    expect(activityAt(m, m.idleW - 10, 1800)).toBe(0);
    expect(powerAtClock(m, 400, 1980, 990)).toBeLessThan(400);
  });

  it('a model without dynamic power (or a reading at clock 0) implies activity 0; a reading below idle power is returned unchanged', () => {
    const m = BUILTIN_MODELS[0]!;
    const flat = { ...m, maxLimitW: m.idleW };
    expect(activityAt(flat, m.idleW + 100, 1800)).toBe(0);
    expect(activityAt(flat, m.idleW, 1800)).toBe(0);
    expect(activityAt(m, 500, 0)).toBe(0);
    expect(powerAtClock(m, m.idleW - 20, 1800, 1000)).toBe(m.idleW - 20);
  });
});
