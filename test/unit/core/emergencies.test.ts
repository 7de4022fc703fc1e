import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { composeEmergencies, createRemaining, remainingOf, type Emergency, type EmergencyTopology, type Remaining } from '../../../main/core/emergencies.js';

/** A site of 1–3 rows of 1–4 racks, rack budgets as a real one may have them (uneven, or none at all). */
const sites = fc.array(fc.array(fc.oneof(fc.constant(0), fc.double({ min: 1, max: 200, noNaN: true })), { minLength: 1, maxLength: 4 }), { minLength: 1, maxLength: 3 }).map((rows): EmergencyTopology => {
  const racks: Array<{ row: number; budgetKW: number }> = [];
  const out = rows.map((budgets, r) => {
    const rackStart = racks.length;
    for (const budgetKW of budgets) racks.push({ row: r, budgetKW });
    return { rackStart, rackCount: budgets.length };
  });
  return { rows: out, racks };
});

const emergencyOn = (t: EmergencyTopology) =>
  fc.record({
    kind: fc.constantFrom<Emergency['kind']>('powerBudgetLoss', 'coolingLoss'),
    scope: fc.oneof(
      fc.constant<Emergency['scope']>({ kind: 'site' }),
      fc.nat(t.rows.length - 1).map((row): Emergency['scope'] => ({ kind: 'row', row })),
      fc.nat(t.racks.length - 1).map((rack): Emergency['scope'] => ({ kind: 'rack', rack })),
    ),
    fraction: fc.double({ min: 1e-6, max: 1, noNaN: true }),
  });
const siteWith = (n: number) => sites.chain((t) => fc.tuple(fc.constant(t), fc.array(emergencyOn(t), { maxLength: n })));

const compose = (t: EmergencyTopology, active: readonly Emergency[]) => composeEmergencies(t, active);
const columns = (r: Remaining) => [...r.rowBudget, ...r.rowCooling, ...r.rackBudget, ...r.rackCooling];
const covers = (t: EmergencyTopology, e: Emergency, rack: number) =>
  e.scope.kind === 'site' || (e.scope.kind === 'row' && t.racks[rack]!.row === e.scope.row) || (e.scope.kind === 'rack' && e.scope.rack === rack);

describe('emergencies compose (core/emergencies.ts)', () => {
  it('the issue: a 20 % loss inside a 50 % loss leaves 0.4 of the budget during the overlap — not 0.8, not 0.5', () => {
    const t: EmergencyTopology = { rows: [{ rackStart: 0, rackCount: 2 }], racks: [{ row: 0, budgetKW: 110.65 }, { row: 0, budgetKW: 110.65 }] };
    const outer: Emergency = { kind: 'powerBudgetLoss', scope: { kind: 'row', row: 0 }, fraction: 0.5 };
    const inner: Emergency = { kind: 'powerBudgetLoss', scope: { kind: 'row', row: 0 }, fraction: 0.2 };
    const budgetKW = 221.3;
    const at = (active: Emergency[]) => budgetKW * compose(t, active).rowBudget[0]!;
    expect(at([])).toBe(221.3);
    expect(at([outer])).toBeCloseTo(110.65, 9);
    for (const both of [
      [outer, inner],
      [inner, outer],
    ]) {
      expect(at(both)).toBeCloseTo(88.52, 9); // 0.4 × 221.3
      expect(at(both)).not.toBeCloseTo(177.04, 3); // 0.8: the last one listed winning
      expect(at(both)).not.toBeCloseTo(110.65, 3); // 0.5: the first one winning
    }
    expect(at([outer])).toBe(at([outer])); // the inner one ended: back to exactly 0.5
    // Kinds do not mix: a budget loss leaves cooling alone.
    expect(compose(t, [outer, inner]).rowCooling[0]).toBe(1);
  });

  it('scopes: a site loss covers every row; a rack loss takes its share of its row, by rack budget', () => {
    const t: EmergencyTopology = {
      rows: [
        { rackStart: 0, rackCount: 2 },
        { rackStart: 2, rackCount: 2 },
      ],
      racks: [
        { row: 0, budgetKW: 30 },
        { row: 0, budgetKW: 10 },
        { row: 1, budgetKW: 0 },
        { row: 1, budgetKW: 0 },
      ],
    };
    const left = compose(t, [
      { kind: 'coolingLoss', scope: { kind: 'site' }, fraction: 0.3 },
      { kind: 'powerBudgetLoss', scope: { kind: 'rack', rack: 0 }, fraction: 0.5 },
      { kind: 'powerBudgetLoss', scope: { kind: 'rack', rack: 3 }, fraction: 0.5 },
      { kind: 'powerBudgetLoss', scope: { kind: 'row', row: 0 }, fraction: 0.2 },
    ]);
    expect([...left.rowCooling]).toEqual([0.7, 0.7]);
    expect([...left.rackCooling]).toEqual([0.7, 0.7, 0.7, 0.7]);
    // Row 0: 0.8 × (1 − ¾ × 0.5); its rack 0 keeps 0.8 × 0.5, rack 1 0.8. Row 1 (no rack budgets): even shares.
    expect(left.rowBudget[0]).toBeCloseTo(0.8 * 0.625, 12);
    expect(left.rackBudget[0]).toBeCloseTo(0.4, 12);
    expect(left.rackBudget[1]).toBeCloseTo(0.8, 12);
    expect(left.rowBudget[1]).toBeCloseTo(0.75, 12);
    expect([...left.rackBudget.subarray(2)]).toEqual([1, 0.5]);
  });

  it('property: order-independent, to the last bit', () => {
    fc.assert(
      fc.property(
        siteWith(12).chain(([t, list]) => fc.tuple(fc.constant(t), fc.constant(list), fc.shuffledSubarray(list, { minLength: list.length, maxLength: list.length }))),
        ([t, list, shuffled]) => {
          expect(columns(compose(t, shuffled))).toEqual(columns(compose(t, list)));
        },
      ),
    );
  });

  it('property: one more emergency never raises a budget or a cooling capacity, anywhere; all stay within 0..1', () => {
    fc.assert(
      fc.property(
        siteWith(10).chain(([t, list]) => fc.tuple(fc.constant(t), fc.constant(list), emergencyOn(t))),
        ([t, list, extra]) => {
          const before = columns(compose(t, list));
          const after = columns(compose(t, [...list, extra]));
          after.forEach((v, i) => {
            expect(v).toBeLessThanOrEqual(before[i]!);
            expect(v).toBeGreaterThanOrEqual(0);
          });
          before.forEach((v) => expect(v).toBeLessThanOrEqual(1));
        },
      ),
    );
  });

  it('property: a rack keeps the product of (1 − loss) of every loss covering it; a row, its racks weighed by share', () => {
    fc.assert(
      fc.property(siteWith(10), ([t, list]) => {
        const left = compose(t, list);
        for (const kind of ['powerBudgetLoss', 'coolingLoss'] as const) {
          const rack = kind === 'powerBudgetLoss' ? left.rackBudget : left.rackCooling;
          const row = kind === 'powerBudgetLoss' ? left.rowBudget : left.rowCooling;
          t.racks.forEach((_, k) => {
            const product = list.filter((e) => e.kind === kind && covers(t, e, k)).reduce((p, e) => p * (1 - e.fraction), 1);
            expect(rack[k]).toBeCloseTo(product, 12);
          });
          t.rows.forEach((r, i) => {
            const idx = Array.from({ length: r.rackCount }, (_, j) => r.rackStart + j);
            const total = idx.reduce((s, k) => s + t.racks[k]!.budgetKW, 0);
            const share = (k: number) => (total > 0 ? t.racks[k]!.budgetKW / total : 1 / r.rackCount);
            expect(row[i]).toBeCloseTo(
              idx.reduce((s, k) => s + share(k) * rack[k]!, 0),
              12,
            );
          });
        }
      }),
    );
  });

  it('property: with row and site losses only, a row keeps exactly the product of their (1 − loss)', () => {
    fc.assert(
      fc.property(
        siteWith(10).map(([t, list]) => [t, list.filter((e) => e.scope.kind !== 'rack')] as const),
        ([t, list]) => {
          const left = compose(t, list);
          t.rows.forEach((_, r) => {
            const on = list.filter((e) => e.kind === 'powerBudgetLoss' && (e.scope.kind === 'site' || (e.scope.kind === 'row' && e.scope.row === r)));
            expect(left.rowBudget[r]).toBe(remainingOf(on.map((e) => 1 - e.fraction)));
            expect(left.rowBudget[r]).toBeCloseTo(
              on.reduce((p, e) => p * (1 - e.fraction), 1),
              12,
            );
          });
        },
      ),
    );
  });

  it('property: an emergency ending restores exactly the value before it started (the same buffer, reused)', () => {
    fc.assert(
      fc.property(
        siteWith(10).chain(([t, list]) => fc.tuple(fc.constant(t), fc.constant(list), emergencyOn(t))),
        ([t, list, e]) => {
          const out = createRemaining(t);
          const before = columns(composeEmergencies(t, list, out));
          composeEmergencies(t, [...list, e], out);
          expect(columns(composeEmergencies(t, list, out))).toEqual(before);
        },
      ),
    );
  });

  it('property: nested windows — outer, outer × inner, back to exactly outer, back to exactly 1', () => {
    type Timed = Emergency & { startS: number; endS: number };
    const activeAt = (events: Timed[], tS: number) => events.filter((e) => tS >= e.startS && tS < e.endS);
    fc.assert(
      fc.property(
        siteWith(0).map(([t]) => t),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: 4, maxLength: 4 }),
        fc.double({ min: 1e-6, max: 0.999, noNaN: true }),
        fc.double({ min: 1e-6, max: 0.999, noNaN: true }),
        fc.constantFrom<Emergency['kind']>('powerBudgetLoss', 'coolingLoss'),
        (t, times, a, b, kind) => {
          const [s0, s1, s2, s3] = [...new Set(times)].length === 4 ? [...times].sort((x, y) => x - y) : [0, 1, 2, 3];
          const scope: Emergency['scope'] = { kind: 'row', row: 0 };
          const events: Timed[] = [
            { kind, scope, fraction: b, startS: s1!, endS: s2! },
            { kind, scope, fraction: a, startS: s0!, endS: s3! },
          ];
          const out = createRemaining(t);
          const at = (tS: number) => (kind === 'powerBudgetLoss' ? composeEmergencies(t, activeAt(events, tS), out).rowBudget : composeEmergencies(t, activeAt(events, tS), out).rowCooling)[0]!;
          expect(at(s0! - 1)).toBe(1);
          expect(at(s0!)).toBe(1 - a);
          expect(at(s1!)).toBeCloseTo((1 - a) * (1 - b), 12);
          expect(at(s1!)).toBeLessThanOrEqual(Math.min(1 - a, 1 - b));
          expect(at(s2!)).toBe(1 - a);
          expect(at(s3!)).toBe(1);
        },
      ),
    );
  });
});
