import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import type { Override } from '../../../../shared/domain/control.js';
import { Arbiter } from '../../../../main/core/control/arbiter.js';
import { mergeOverrides, overrideWhy } from '../../../../main/core/control/manualLayer.js';

const N = 6;

function ov(i: number, action: Override['action'], gpus: number[]): Override {
  return { id: `ov-${i + 1}`, target: { kind: 'gpus', ids: gpus }, action, gpus, reason: `reason ${i}`, createdBy: 'alice', createdAtMs: 0, expiresAtMs: 1 };
}

/** Merge into a fresh arbiter's manual layer; reasons come back as text. */
function merged(list: readonly Override[]) {
  const a = new Arbiter(N);
  const layer = a.addLayer('override', 'manual');
  mergeOverrides(list, layer, a.exempt, (t) => a.why(t));
  return {
    limitW: Array.from(layer.limitW),
    lockMHz: Array.from(layer.lockMHz),
    exempt: Array.from(a.exempt),
    limitWhy: Array.from(layer.limitWhy, (i) => a.whyOf(i)),
    lockWhy: Array.from(layer.lockWhy, (i) => a.whyOf(i)),
  };
}

const action = fc.oneof(
  fc.record({ kind: fc.constant('powerCap' as const), watts: fc.integer({ min: 100, max: 700 }) }),
  fc.record({ kind: fc.constant('clockLock' as const), mhz: fc.integer({ min: 210, max: 1980 }) }),
  fc.constant({ kind: 'exempt' as const }),
);
const overrides = fc
  .array(fc.record({ action, gpus: fc.uniqueArray(fc.integer({ min: 0, max: N - 1 }), { minLength: 1, maxLength: N }) }), { maxLength: 8 })
  .map((xs) => xs.map((x, i) => ov(i, x.action, x.gpus)));
/** Overrides and a permutation of them. */
const withPermutation = overrides.chain((list) => fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }).map((p) => [list, p] as const));

describe('manual layer: lowest-wins merge of overrides', () => {
  it('lowest value wins per GPU and channel; exempt flags; the oldest of equal values is credited', () => {
    const m = merged([
      ov(0, { kind: 'powerCap', watts: 500 }, [0, 1]),
      ov(1, { kind: 'powerCap', watts: 450 }, [1, 2]),
      ov(2, { kind: 'powerCap', watts: 500 }, [0]),
      ov(3, { kind: 'clockLock', mhz: 1500 }, [1]),
      ov(4, { kind: 'exempt' }, [3]),
    ]);
    expect(m.limitW).toEqual([500, 450, 450, 0, 0, 0]);
    expect(m.limitWhy[0]).toBe('override ov-1 by alice: reason 0');
    expect(m.limitWhy[1]).toBe('override ov-2 by alice: reason 1');
    expect(m.lockMHz).toEqual([0, 1500, 0, 0, 0, 0]);
    expect(m.exempt).toEqual([0, 0, 0, 1, 0, 0]);
  });

  it('refills from scratch: an override no longer listed leaves nothing behind', () => {
    const a = new Arbiter(N);
    const layer = a.addLayer('override', 'manual');
    mergeOverrides([ov(0, { kind: 'powerCap', watts: 300 }, [0]), ov(1, { kind: 'exempt' }, [1])], layer, a.exempt, (t) => a.why(t));
    mergeOverrides([], layer, a.exempt, (t) => a.why(t));
    expect(Array.from(layer.limitW)).toEqual(new Array(N).fill(0));
    expect(Array.from(a.exempt)).toEqual(new Array(N).fill(0));
  });

  it('property: any permutation of the overrides gives the same values and exempt flags', () => {
    fc.assert(
      fc.property(withPermutation, ([list, perm]) => {
        const x = merged(list);
        const y = merged(perm);
        expect(y.limitW).toEqual(x.limitW);
        expect(y.lockMHz).toEqual(x.lockMHz);
        expect(y.exempt).toEqual(x.exempt);
      }),
      { numRuns: 300 },
    );
  });

  it('property: the merged value is never above any contributing value, is one of them, and is credited to one asking for it', () => {
    fc.assert(
      fc.property(overrides, (list) => {
        const m = merged(list);
        for (let g = 0; g < N; g++) {
          const on = list.filter((o) => o.gpus.includes(g));
          const caps = on.flatMap((o) => (o.action.kind === 'powerCap' ? [o] : []));
          const locks = on.flatMap((o) => (o.action.kind === 'clockLock' ? [o] : []));
          const value = (o: Override) => (o.action.kind === 'powerCap' ? o.action.watts : o.action.kind === 'clockLock' ? o.action.mhz : NaN);
          for (const [col, whys, from] of [
            [m.limitW, m.limitWhy, caps],
            [m.lockMHz, m.lockWhy, locks],
          ] as const) {
            if (from.length === 0) {
              expect(col[g]).toBe(0);
              continue;
            }
            for (const o of from) expect(col[g]).toBeLessThanOrEqual(value(o));
            const credited = from.find((o) => value(o) === col[g])!;
            expect(credited).toBeDefined();
            // Ties: the first listed (the oldest) is credited.
            expect(whys[g]).toBe(overrideWhy(credited));
          }
          expect(m.exempt[g]).toBe(on.some((o) => o.action.kind === 'exempt') ? 1 : 0);
        }
      }),
      { numRuns: 300 },
    );
  });
});
