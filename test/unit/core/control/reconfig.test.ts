import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { BACK_AFTER_S, BACK_AT, DEEPER_AFTER_S, DEEPER_AT, initialReconfig, rowPressure, stepReconfig, type ReconfigRowState, type ReconfigView } from '../../../../main/core/control/reconfig.js';
import { allowedRung, RECONFIG_LADDER } from '../../../../shared/domain/reconfig.js';

const LAT = 60;
const o = { maxRung: 2, latencyS: () => LAT };
/** A row view at `pct` % of its budget, otherwise cool. */
const at = (pct: number, stale = false): ReconfigView => ({ rowPct: pct, hottestGpuC: 55, slowdownC: 89, hottestInletC: 24, stale });

/** Run the rule for `s` seconds at a fixed view from `st`, collecting the changes. */
function run(st: ReconfigRowState, v: ReconfigView, s: number, t0 = 0) {
  const changes: Array<{ t: number; from: number; to: number; reason: string }> = [];
  for (let t = t0; t < t0 + s; t++) {
    const r = stepReconfig(st, v, t * 1000, o);
    st = r.state;
    if (r.change) changes.push({ t, ...r.change });
  }
  return { st, changes };
}

describe('TAPAS reconfiguration rule (one row)', () => {
  it('pressure is the slack penalty of the row: 0 at 60 %, 0.5 at 70 %, 1 at T1 (80 %)', () => {
    expect(rowPressure(at(60))).toBe(0);
    expect(rowPressure(at(70))).toBeCloseTo(0.5, 9);
    expect(rowPressure(at(80))).toBe(1);
    // A hot aisle is pressure too: 31 °C inlet is half-way from 27 to 35 °C.
    expect(rowPressure({ ...at(50), hottestInletC: 31 })).toBeCloseTo(0.5, 9);
  });

  it('one rung deeper after DEEPER_AFTER_S at pressure ≥ DEEPER_AT, the next only once the first has landed', () => {
    const { st, changes } = run(initialReconfig(), at(75), 200);
    expect(changes.map((c) => [c.t, c.from, c.to])).toEqual([
      [DEEPER_AFTER_S, 0, 1],
      // Landed at 20 + 60 s; the pressure must then hold DEEPER_AFTER_S again.
      [DEEPER_AFTER_S + LAT + DEEPER_AFTER_S, 1, 2],
    ]);
    expect(st.rung).toBe(2);
    expect(changes[0]!.reason).toMatch(/pressure 0\.75 ≥ 0\.5 for 20 s \(row at 75 % of its budget/);
  });

  it('never deeper than the ladder; back one rung at a time after BACK_AFTER_S at pressure ≤ BACK_AT', () => {
    let { st } = run(initialReconfig(), at(90), 1000);
    expect(st.rung).toBe(2);
    const back = run(st, at(55), 2 * (BACK_AFTER_S + LAT) + 10, 1000);
    expect(back.changes.map((c) => [c.t - 1000, c.from, c.to])).toEqual([
      [BACK_AFTER_S, 2, 1],
      [BACK_AFTER_S + LAT + BACK_AFTER_S, 1, 0],
    ]);
    st = back.st;
    expect(st.rung).toBe(0);
    expect(back.changes[0]!.reason).toMatch(/≤ 0\.15 for 300 s/);
  });

  it('between the thresholds nothing changes (hysteresis), and a dip resets the clock', () => {
    const mid = 60 + 20 * ((DEEPER_AT + BACK_AT) / 2);
    expect(run(initialReconfig(), at(mid), 2000).changes).toEqual([]);
    // 19 s above, 1 s below, 19 s above: never 20 s in a row.
    let st = initialReconfig();
    for (let t = 0; t < 39; t++) {
      const r = stepReconfig(st, at(t === 19 ? 65 : 75), t * 1000, o);
      expect(r.change).toBeNull();
      st = r.state;
    }
  });

  it('stale readings neither deepen nor restore, and restart the clocks', () => {
    let st = initialReconfig();
    for (let t = 0; t < 100; t++) {
      const r = stepReconfig(st, at(95, t % 10 === 9), t * 1000, o);
      expect(r.change).toBeNull();
      st = r.state;
    }
  });

  it('property: at most one change per landing, rung always within the ladder', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 40, max: 100 }), fc.boolean()), { minLength: 1, maxLength: 400 }), (seq) => {
        let st = initialReconfig();
        let lastChange = -Infinity;
        seq.forEach(([pct, stale], t) => {
          const r = stepReconfig(st, at(pct, stale), t * 1000, o);
          if (r.change) {
            expect(t * 1000 - lastChange).toBeGreaterThanOrEqual(LAT * 1000);
            expect(Math.abs(r.change.to - r.change.from)).toBe(1);
            lastChange = t * 1000;
          }
          st = r.state;
          expect(st.rung).toBeGreaterThanOrEqual(0);
          expect(st.rung).toBeLessThanOrEqual(2);
        });
      }),
    );
  });
});

describe('the ladder', () => {
  it('every rung does the same work in less GPU time, at a quality cost that grows down the ladder', () => {
    for (let k = 1; k < RECONFIG_LADDER.length; k++) {
      const a = RECONFIG_LADDER[k - 1]!;
      const b = RECONFIG_LADDER[k]!;
      expect(b.prefillX).toBeGreaterThan(a.prefillX);
      expect(b.decodeX).toBeGreaterThan(a.decodeX);
      expect(b.qualityCost).toBeGreaterThan(a.qualityCost);
    }
    expect(RECONFIG_LADDER[0]).toMatchObject({ id: null, prefillX: 1, decodeX: 1, qualityCost: 0 });
  });

  it('a service takes the deepest rung it allows, no deeper than asked', () => {
    expect(allowedRung(2, [])).toBe(2);
    expect(allowedRung(2, ['smallModel'])).toBe(1);
    expect(allowedRung(2, ['smallModel', 'fp8'])).toBe(0);
    expect(allowedRung(1, ['fp8'])).toBe(0);
    expect(allowedRung(0, [])).toBe(0);
    expect(allowedRung(9, [])).toBe(2);
  });
});
