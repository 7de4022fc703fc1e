import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Arbiter, SOURCE } from '../../../../main/core/control/arbiter.js';

function setup(n = 4) {
  const a = new Arbiter(n);
  const auto = a.addLayer('POLCA', 'auto');
  const manual = a.addLayer('override', 'manual');
  const em = a.addLayer('playbook', 'emergency');
  return { a, auto, manual, em };
}

describe('arbiter', () => {
  it('lowest cap wins across sources; ties credit the higher-priority source', () => {
    const { a, auto, manual, em } = setup();
    auto.lockMHz[0] = 1559;
    auto.lockWhy[0] = a.why('POLCA T2 on row D: low-priority GPU → 1559 MHz');
    manual.lockMHz[0] = 1700;
    em.lockMHz[0] = 1800;
    manual.limitW[1] = 400;
    em.limitW[1] = 400;
    em.limitWhy[1] = a.why('playbook cooling-loss');
    a.decide();
    expect(a.out.lockMHz[0]).toBe(1559);
    expect(a.out.lockSrc[0]).toBe(SOURCE.auto);
    expect(a.out.limitW[1]).toBe(400);
    expect(a.out.limitSrc[1]).toBe(SOURCE.emergency);
    expect(a.out.source[1]).toBe(SOURCE.emergency);
    const why = a.explain(0);
    expect(why[0]).toMatchObject({ source: 'auto', what: 'clock lock 1559 MHz', why: 'POLCA T2 on row D: low-priority GPU → 1559 MHz', winner: true });
    expect(why.slice(1).map((w) => w.source)).toEqual(['emergency', 'manual']);
    expect(why.slice(1).every((w) => !w.winner)).toBe(true);
  });

  it('brake: any source engages it; the highest-priority source is credited', () => {
    const { a, auto, em } = setup();
    auto.brake[2] = 1;
    a.decide();
    expect(a.out.brake[2]).toBe(1);
    expect(a.out.brakeSrc[2]).toBe(SOURCE.auto);
    em.brake[2] = 1;
    a.decide();
    expect(a.out.brakeSrc[2]).toBe(SOURCE.emergency);
  });

  it('exempt removes automatic contributions only', () => {
    const { a, auto, manual, em } = setup();
    auto.lockMHz[3] = 1559;
    auto.brake[3] = 1;
    manual.limitW[3] = 500;
    em.lockMHz[3] = 1800;
    a.exempt[3] = 1;
    a.decide();
    expect(a.out.lockMHz[3]).toBe(1800);
    expect(a.out.lockSrc[3]).toBe(SOURCE.emergency);
    expect(a.out.brake[3]).toBe(0);
    expect(a.out.limitW[3]).toBe(500);
    const ex = a.explain(3);
    expect(ex.filter((c) => c.source === 'auto').every((c) => !c.winner && c.why.includes('exempt'))).toBe(true);
  });

  it('NaN, ±Infinity, 0 and negative values are no contribution', () => {
    const { a, auto, manual } = setup();
    auto.lockMHz[0] = NaN;
    manual.lockMHz[0] = -5;
    auto.limitW[0] = Infinity;
    manual.limitW[0] = 0;
    a.decide();
    expect([a.out.lockMHz[0], a.out.limitW[0], a.out.source[0]]).toEqual([0, 0, SOURCE.none]);
  });

  it('property: the decision is the minimum of the valid, non-exempted contributions', () => {
    const val = fc.oneof(fc.constant(0), fc.constant(NaN), fc.double({ min: -10, max: 3000 }));
    fc.assert(
      fc.property(fc.array(fc.tuple(val, val, val, fc.boolean()), { minLength: 1, maxLength: 64 }), (rows) => {
        const { a, auto, manual, em } = setup(rows.length);
        rows.forEach(([x, y, z, ex], g) => {
          auto.lockMHz[g] = x;
          manual.lockMHz[g] = y;
          em.lockMHz[g] = z;
          a.exempt[g] = ex ? 1 : 0;
        });
        a.decide();
        rows.forEach(([x, y, z, ex], g) => {
          const vs = [ex ? NaN : x, y, z].filter((v) => v > 0 && v < Infinity);
          expect(a.out.lockMHz[g]).toBe(vs.length ? Math.min(...vs) : 0);
          expect(Number.isNaN(a.out.lockMHz[g])).toBe(false);
        });
      }),
      { numRuns: 2000, seed: 7 },
    );
  });
});
