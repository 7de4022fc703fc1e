import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Arbiter, SOURCE, SOURCE_NAMES } from '../../../../main/core/control/arbiter.js';

/**
 * The arbiter's rules against a reference model (every output column: value, source, reason; the overall source;
 * explain's winners), on random layers — the behaviour arbiter.test.ts shows by example, without its timing test
 * (mutation testing runs instrumented code: vitest.mutate.config.ts).
 */
const SOURCES = ['auto', 'manual', 'emergency'] as const;
const valid = (v: number) => v > 0 && v < Infinity;

describe('arbiter rules (reference model)', () => {
  it('property: lowest valid cap wins (ties: highest priority, then the first layer added), any brake engages, exempt GPUs ignore automatic layers only, only [from, to) is decided', () => {
    const val = fc.oneof(fc.constant(0), fc.constant(NaN), fc.constant(Infinity), fc.constant(-Infinity), fc.constant(-3), fc.constantFrom(500, 700, 1000), fc.integer({ min: 1, max: 3000 }));
    const layerArb = (n: number) =>
      fc.record({
        source: fc.constantFrom(...SOURCES),
        lock: fc.array(val, { minLength: n, maxLength: n }),
        limit: fc.array(val, { minLength: n, maxLength: n }),
        brake: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      });
    const world = fc.integer({ min: 1, max: 8 }).chain((n) =>
      fc.record({
        n: fc.constant(n),
        layers: fc.array(layerArb(n), { minLength: 1, maxLength: 5 }),
        exempt: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
        from: fc.integer({ min: 0, max: n }),
        len: fc.integer({ min: 0, max: n }),
      }),
    );
    fc.assert(
      fc.property(world, ({ n, layers, exempt, from, len }) => {
        const a = new Arbiter(n);
        const to = Math.min(n, from + len);
        const made = layers.map((l, i) => {
          const ly = a.addLayer(`L${i}`, l.source);
          for (let g = 0; g < n; g++) {
            ly.lockMHz[g] = l.lock[g]!;
            ly.limitW[g] = l.limit[g]!;
            ly.brake[g] = l.brake[g] ? 1 : 0;
            ly.lockWhy[g] = a.why(`lock ${i}/${g}`);
            ly.limitWhy[g] = a.why(`limit ${i}/${g}`);
            ly.brakeWhy[g] = a.why(`brake ${i}/${g}`);
          }
          return ly;
        });
        exempt.forEach((e, g) => (a.exempt[g] = e ? 1 : 0));
        // Garbage from an earlier decision outside [from, to) must stay; inside it must be replaced.
        a.out.lockMHz.fill(77);
        a.out.source.fill(SOURCE.manual);
        a.decide(from, to);
        // Reference: layers by priority (stable: ties in the order added).
        const order = layers.map((l, i) => ({ ...l, i })).sort((x, y) => SOURCE[y.source] - SOURCE[x.source]);
        for (let g = 0; g < n; g++) {
          if (g < from || g >= to) {
            expect(a.out.lockMHz[g]).toBe(77);
            expect(a.out.source[g]).toBe(SOURCE.manual);
            continue;
          }
          const pick = (col: 'lock' | 'limit') => {
            let best: { v: number; src: number; why: string } = { v: 0, src: 0, why: '' };
            for (const l of order) {
              if (exempt[g] && l.source === 'auto') continue;
              const v = l[col][g]!;
              if (valid(v) && (best.v === 0 || v < best.v)) best = { v, src: SOURCE[l.source], why: `${col} ${l.i}/${g}` };
            }
            return best;
          };
          const lock = pick('lock');
          const limit = pick('limit');
          const br = order.find((l) => l.brake[g] && !(exempt[g] && l.source === 'auto'));
          const brake = br ? { v: 1, src: SOURCE[br.source], why: `brake ${br.i}/${g}` } : { v: 0, src: 0, why: '' };
          expect([a.out.lockMHz[g], a.out.lockSrc[g], a.whyOf(a.out.lockWhy[g]!)]).toEqual([lock.v, lock.src, lock.why]);
          expect([a.out.limitW[g], a.out.limitSrc[g], a.whyOf(a.out.limitWhy[g]!)]).toEqual([limit.v, limit.src, limit.why]);
          expect([a.out.brake[g], a.out.brakeSrc[g], a.whyOf(a.out.brakeWhy[g]!)]).toEqual([brake.v, brake.src, brake.why]);
          expect(a.out.source[g]).toBe(Math.max(lock.src, limit.src, brake.src));
          // explain: winners first, one per channel in force, each matching the decision; ignored ones say so.
          const ex = a.explain(g);
          const winners = ex.filter((c) => c.winner);
          expect(ex.slice(0, winners.length)).toEqual(winners);
          expect(winners.map((w) => w.what).sort()).toEqual(
            [brake.v ? 'power brake' : null, lock.v ? `clock lock ${Math.round(lock.v)} MHz` : null, limit.v ? `power limit ${Math.round(limit.v)} W` : null].filter((x) => x !== null).sort(),
          );
          for (const w of winners) {
            expect(w.why).toBe(w.what === 'power brake' ? brake.why : w.what.startsWith('clock') ? lock.why : limit.why);
            expect(w.source).toBe(SOURCE_NAMES[w.what === 'power brake' ? brake.src : w.what.startsWith('clock') ? lock.src : limit.src]);
          }
          const contributions = made.reduce((s, ly) => s + (ly.brake[g] === 1 ? 1 : 0) + (valid(ly.lockMHz[g]!) ? 1 : 0) + (valid(ly.limitW[g]!) ? 1 : 0), 0);
          expect(ex).toHaveLength(contributions);
          for (const c of ex) expect(c.why.endsWith(' (ignored: GPU exempt from automation)')).toBe(exempt[g]! && c.source === 'auto');
        }
      }),
      { numRuns: 1500, seed: 17 },
    );
  });

  it('why() interns texts (same text, same index; index 0 is the empty reason) and clear() removes a range of a layer', () => {
    const a = new Arbiter(4);
    expect(a.why('')).toBe(0);
    const i = a.why('POLCA T1');
    expect(a.why('POLCA T1')).toBe(i);
    expect(a.why('other')).toBe(i + 1);
    expect(a.whyOf(i)).toBe('POLCA T1');
    expect(a.whyOf(999)).toBe('');
    const ly = a.addLayer('x', 'manual');
    for (const col of [ly.lockMHz, ly.limitW, ly.brake, ly.lockWhy, ly.limitWhy, ly.brakeWhy]) col.fill(1);
    Arbiter.clear(ly, 1, 3);
    for (const col of [ly.lockMHz, ly.limitW, ly.brake, ly.lockWhy, ly.limitWhy, ly.brakeWhy]) expect(Array.from(col)).toEqual([1, 0, 0, 1]);
    Arbiter.clear(ly);
    for (const col of [ly.lockMHz, ly.limitW, ly.brake, ly.lockWhy, ly.limitWhy, ly.brakeWhy]) expect(Array.from(col)).toEqual([0, 0, 0, 0]);
    expect(ly.name).toBe('x');
    expect(ly.source).toBe(SOURCE.manual);
    expect(a.layers).toEqual([ly]);
  });
});
