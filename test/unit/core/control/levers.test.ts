import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { chooseLever, leverCatalogue, mergedFloorW, type Lever } from '../../../../main/core/control/levers.js';

/** Property tests of the lever rule (levers.ts): what acts first, and how floors merge with caps and brakes. */

const leverArb = fc.record({
  id: fc.string({ minLength: 1, maxLength: 6 }),
  scope: fc.constantFrom('gpu' as const, 'row' as const, 'service' as const),
  latencyS: fc.integer({ min: 0, max: 300 }),
  maxRemovePct: fc.integer({ min: 0, max: 80 }),
  cost: fc.integer({ min: 0, max: 10 }),
  merge: fc.constant('lowest' as const),
  note: fc.constant(''),
});
const setArb = fc.array(leverArb, { minLength: 1, maxLength: 8 });

describe('which lever acts first', () => {
  it('lands in time and removes enough whenever some lever can; and is then the cheapest such', () => {
    fc.assert(
      fc.property(setArb, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 300 }), (levers, need, within) => {
        const c = chooseLever(levers, need, within);
        const ok = levers.filter((l) => l.maxRemovePct >= need && l.latencyS <= within);
        if (ok.length === 0) return;
        expect(c).not.toBeNull();
        expect(c!.maxRemovePct).toBeGreaterThanOrEqual(need);
        expect(c!.latencyS).toBeLessThanOrEqual(within);
        expect(c!.cost).toBe(Math.min(...ok.map((l) => l.cost)));
      }),
    );
  });

  it('when nothing lands in time: the fastest that removes enough; when nothing removes enough: the strongest', () => {
    fc.assert(
      fc.property(setArb, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 300 }), (levers, need, within) => {
        const c = chooseLever(levers, need, within);
        const reducing = levers.filter((l) => l.maxRemovePct > 0);
        if (reducing.length === 0) {
          expect(c).toBeNull();
          return;
        }
        const enough = reducing.filter((l) => l.maxRemovePct >= need);
        if (enough.some((l) => l.latencyS <= within)) return;
        if (enough.length) expect(c!.latencyS).toBe(Math.min(...enough.map((l) => l.latencyS)));
        else expect(c!.maxRemovePct).toBe(Math.max(...reducing.map((l) => l.maxRemovePct)));
      }),
    );
  });

  it('more time never makes the choice costlier', () => {
    fc.assert(
      fc.property(setArb, fc.integer({ min: 1, max: 60 }), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 300 }), (levers, need, a, b) => {
        const [lo, hi] = a < b ? [a, b] : [b, a];
        const early = chooseLever(levers, need, lo);
        const late = chooseLever(levers, need, hi);
        const landsIn = (l: Lever | null, s: number) => l !== null && l.maxRemovePct >= need && l.latencyS <= s;
        if (landsIn(early, lo)) expect(late!.cost).toBeLessThanOrEqual(early!.cost);
      }),
    );
  });

  it('on the catalogue: out-of-band (40 s) with a minute to go locks low priority; with 10 s, only the brake lands', () => {
    const oob = leverCatalogue({ capLatencyS: 40, brakeLatencyS: 5 });
    // A minute to go: FP8 (0.5 % quality, no slowdown) lands in time and is the cheapest; 45 s: the low-priority locks.
    expect(chooseLever(oob, 5, 60)!.id).toBe('reconfigure-fp8');
    expect(chooseLever(oob, 5, 45)!.id).toBe('lock-low');
    expect(chooseLever(oob, 10, 60)!.id).toBe('route-away');
    expect(chooseLever(oob, 15, 200)!.id).toBe('reconfigure-model');
    // The smaller model takes 2 minutes: with one minute to go, the high-priority lock.
    expect(chooseLever(oob, 15, 60)!.id).toBe('lock-high');
    expect(chooseLever(oob, 15, 10)!.id).toBe('brake');
    // In-band (1 s) locks land inside a 10 s ride-through: no brake needed for what a lock can remove.
    const inb = leverCatalogue({ capLatencyS: 1, brakeLatencyS: 5 });
    expect(chooseLever(inb, 15, 10)!.id).toBe('lock-high');
    expect(chooseLever(inb, 50, 10)!.id).toBe('brake');
  });

  it("on the catalogue: with the workflows' start-up to spare, re-planning them comes before every cap and reload", () => {
    const oob = leverCatalogue({ capLatencyS: 40, brakeLatencyS: 5 });
    const replan = oob.find((l) => l.id === 'replan-workflows')!;
    expect(replan.latencyS).toBe(20 * 60);
    expect(Math.min(...oob.filter((l) => l.maxRemovePct > 0).map((l) => l.cost))).toBe(replan.cost);
    expect(chooseLever(oob, 10, 1200)!.id).toBe('replan-workflows');
    // A second short: not in time, the next cheapest that is (FP8).
    expect(chooseLever(oob, 5, 1199)!.id).toBe('reconfigure-fp8');
    // More than the next-best plans free: TAPAS's smaller model, in time.
    expect(chooseLever(oob, 20, 1800)!.id).toBe('reconfigure-model');
    expect(chooseLever(leverCatalogue({ capLatencyS: 40, brakeLatencyS: 5, replanLatencyS: 30 }), 10, 60)!.id).toBe('replan-workflows');
  });
});

describe('floors merge below caps', () => {
  it('the highest floor, never above the cap, none under a brake', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1000 }), { maxLength: 5 }), fc.integer({ min: 0, max: 1000 }), fc.boolean(), (floors, cap, braked) => {
        const f = mergedFloorW(floors, cap, braked);
        const hi = Math.max(0, ...floors);
        if (braked) expect(f).toBe(0);
        else {
          if (cap > 0) expect(f).toBeLessThanOrEqual(cap);
          expect(f).toBe(cap > 0 ? Math.min(hi, cap) : hi);
        }
      }),
    );
  });
});

describe('the catalogue and the tie-breaks', () => {
  it('is pinned: ids, scopes, latencies on the path, reductions, costs and merge rules', () => {
    const c = leverCatalogue({ capLatencyS: 40, brakeLatencyS: 5 });
    expect(c.map((l) => [l.id, l.scope, l.latencyS, l.maxRemovePct, l.cost, l.merge])).toEqual([
      ['replan-workflows', 'service', 1200, 15, 0.3, 'most-conservative'],
      ['reconfigure-fp8', 'service', 60, 6, 0.8, 'most-conservative'],
      ['lock-low', 'gpu', 40, 8, 1, 'lowest'],
      ['route-away', 'service', 10, 10, 1.5, 'most-conservative'],
      ['lock-low-deep', 'gpu', 40, 12, 2, 'lowest'],
      ['reconfigure-model', 'service', 120, 25, 3.5, 'most-conservative'],
      ['lock-high', 'gpu', 40, 18, 4, 'lowest'],
      ['brake', 'row', 5, 60, 10, 'any'],
      ['floor', 'gpu', 40, 0, 0, 'highest-below-cap'],
    ]);
    for (const l of c) expect(l.note.length).toBeGreaterThan(10);
    const other = leverCatalogue({ capLatencyS: 1, brakeLatencyS: 5, routeLatencyS: 3, reconfigureLatencyS: 60 });
    expect(other.find((l) => l.id === 'route-away')!.latencyS).toBe(3);
    expect(other.find((l) => l.id === 'reconfigure-model')!.latencyS).toBe(60);
  });

  const L = (id: string, latencyS: number, cost: number, maxRemovePct = 10): Lever => ({ id, scope: 'gpu', latencyS, maxRemovePct, cost, merge: 'lowest', note: '' });

  it('ties: the cheaper first, then the one that lands first, then the catalogue order; landing exactly in time counts', () => {
    expect(chooseLever([L('slow', 30, 1), L('fast', 10, 1)], 5, 60)!.id).toBe('fast');
    expect(chooseLever([L('a', 10, 1), L('b', 10, 1)], 5, 60)!.id).toBe('a');
    expect(chooseLever([L('b', 10, 1), L('a', 10, 1)], 5, 60)!.id).toBe('b');
    expect(chooseLever([L('edge', 60, 1), L('brake', 5, 10)], 5, 60)!.id).toBe('edge');
    expect(chooseLever([L('edge', 61, 1), L('brake', 5, 10)], 5, 60)!.id).toBe('brake');
    // Nothing in time: the fastest; equally fast, the cheaper.
    expect(chooseLever([L('x', 90, 5), L('y', 90, 2)], 5, 10)!.id).toBe('y');
    // Nothing strong enough: the strongest; equally strong, the cheaper.
    expect(chooseLever([L('s', 5, 9, 20), L('t', 5, 3, 20), L('u', 5, 1, 10)], 50, 60)!.id).toBe('t');
    // A floor removes nothing: never chosen, and a catalogue of floors only chooses none.
    expect(chooseLever([{ ...L('floor', 1, 0), maxRemovePct: 0 }], 0, 60)).toBeNull();
  });

  it('floors: an unbounded or equal floor changes nothing, no cap leaves the floor as asked', () => {
    expect(mergedFloorW([Infinity, 300], 0, false)).toBe(300);
    expect(mergedFloorW([300, 300], 0, false)).toBe(300);
    expect(mergedFloorW([], 500, false)).toBe(0);
    expect(mergedFloorW([400], 0, false)).toBe(400);
    expect(mergedFloorW([400], 350, false)).toBe(350);
  });
});
