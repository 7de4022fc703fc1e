import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Arbiter } from '../../../../main/core/control/arbiter.js';

/**
 * Floors in the arbiter (the lever rule of levers.ts): the highest floor wins, held at or below the winning power
 * limit, dropped under a brake; an exempt GPU ignores automatic floors like any automatic contribution.
 */

const contribution = fc.record({
  source: fc.constantFrom('auto' as const, 'manual' as const, 'emergency' as const),
  limitW: fc.constantFrom(0, 300, 450, 700),
  floorW: fc.constantFrom(0, 200, 400, 600),
  brake: fc.boolean(),
});

describe('arbiter floors', () => {
  it('highest floor, never above the winning limit, none under a brake; exempt GPUs ignore automatic floors', () => {
    fc.assert(
      fc.property(fc.array(contribution, { minLength: 1, maxLength: 5 }), fc.boolean(), (cs, exempt) => {
        const a = new Arbiter(1);
        a.exempt[0] = exempt ? 1 : 0;
        for (const c of cs) {
          const ly = a.addLayer(`${c.source}`, c.source);
          ly.limitW[0] = c.limitW;
          ly.brake[0] = c.brake ? 1 : 0;
          Arbiter.floor(ly, 0, c.floorW, a.why(`floor ${c.floorW}`));
        }
        a.decide();
        const live = cs.filter((c) => !(exempt && c.source === 'auto'));
        const braked = live.some((c) => c.brake);
        const limits = live.map((c) => c.limitW).filter((w) => w > 0);
        const limit = limits.length ? Math.min(...limits) : 0;
        const floor = Math.max(0, ...live.map((c) => c.floorW));
        const want = braked ? 0 : limit > 0 ? Math.min(floor, limit) : floor;
        expect(a.out.floorW[0]).toBe(want);
        if (want > 0) expect(a.out.source[0]).toBeGreaterThanOrEqual(a.out.floorSrc[0]!);
      }),
    );
  });

  it('explains a floor held down by a limit, and credits the layer that asked it', () => {
    const a = new Arbiter(1);
    const grid = a.addLayer('grid smoothing', 'auto');
    const cap = a.addLayer('override', 'manual');
    Arbiter.floor(grid, 0, 500, a.why('hold the row at its 10-minute mean'));
    cap.limitW[0] = 400;
    cap.limitWhy[0] = a.why('operator cap');
    a.decide();
    expect(a.out.floorW[0]).toBe(400);
    const floor = a.explain(0).find((c) => c.what.startsWith('power floor'))!;
    expect(floor).toMatchObject({ layer: 'grid smoothing', winner: true, what: 'power floor 500 W (held at 400 W by the power limit)' });
  });

  it('a layer that never held a floor costs nothing and contributes nothing', () => {
    const a = new Arbiter(3);
    const ly = a.addLayer('POLCA', 'auto');
    ly.floorW[1] = 500; // written around Arbiter.floor: ignored, by design (floors must say they exist)
    a.decide();
    expect(Array.from(a.out.floorW)).toEqual([0, 0, 0]);
    Arbiter.floor(ly, 2, 250, 0);
    a.decide();
    expect(Array.from(a.out.floorW)).toEqual([0, 500, 250]);
  });
});
