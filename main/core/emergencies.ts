import type { Topology } from '../../shared/domain/topology.js';

/**
 * Emergencies in force together — power-budget losses, cooling losses — and what they leave of each row's and rack's
 * budget and cooling. Pure: the simulator asks it every step with the events active at that instant.
 *
 * Composition: losses of one kind multiply their remaining fractions. A rack left with (1 − a) by one loss and
 * (1 − b) by another keeps (1 − a)(1 − b); a row or site loss covers every rack under it. Losses of different kinds do
 * not mix (a budget loss leaves cooling alone). So a 20 % loss inside a 50 % loss leaves 0.5 × 0.8 = 0.4, whatever
 * the order they were listed or started in, and never more than either alone.
 *
 * A rack-scoped loss takes the rack's share of its row: the row keeps Σ share(k) × remaining(k) over its racks,
 * where share(k) is the rack's budgetKW over its row's (even shares where the racks have no budget). The controller
 * acts on rows, so the rack's loss is enforced through its row's budget; the rack's own budget (reported, not
 * enforced) is its provisioned budget × its remaining fraction.
 */

/** Where an emergency applies, as topology indices. */
export type EmergencyScope = { kind: 'site' } | { kind: 'row'; row: number } | { kind: 'rack'; rack: number };

/** One emergency in force: what it takes (a fraction, 0..1) of what, and where. */
export interface Emergency {
  kind: 'powerBudgetLoss' | 'coolingLoss';
  scope: EmergencyScope;
  fraction: number;
}

/** The part of a topology composition needs: which racks each row holds, and each rack's budget. */
export type EmergencyTopology = {
  rows: ReadonlyArray<Pick<Topology['rows'][number], 'rackStart' | 'rackCount'>>;
  racks: ReadonlyArray<Pick<Topology['racks'][number], 'row' | 'budgetKW'>>;
};

/** What remains (0..1) of each row's and rack's budget and cooling; 1 where nothing is lost. */
export interface Remaining {
  rowBudget: Float64Array;
  rowCooling: Float64Array;
  rackBudget: Float64Array;
  rackCooling: Float64Array;
}

export function createRemaining(t: EmergencyTopology): Remaining {
  const rows = t.rows.length;
  const racks = t.racks.length;
  return { rowBudget: new Float64Array(rows).fill(1), rowCooling: new Float64Array(rows).fill(1), rackBudget: new Float64Array(racks).fill(1), rackCooling: new Float64Array(racks).fill(1) };
}

/**
 * The product of remaining fractions, multiplied smallest first: the result depends only on which losses are in force,
 * never on their order, to the last bit (floating-point products are not associative). Each step rounds monotonically,
 * so one more factor ≤ 1 never raises it.
 */
export function remainingOf(factors: readonly number[]): number {
  if (factors.length === 0) return 1;
  if (factors.length === 1) return factors[0]!;
  const sorted = [...factors].sort((a, b) => a - b);
  let p = 1;
  for (const x of sorted) p *= x;
  return p;
}

/**
 * Compose the emergencies in force into `out` (allocated by createRemaining; returned). Computed afresh from the set
 * each time, so an emergency ending restores exactly the value before it started.
 */
export function composeEmergencies(t: EmergencyTopology, active: readonly Emergency[], out: Remaining = createRemaining(t)): Remaining {
  composeKind(t, active, 'powerBudgetLoss', out.rowBudget, out.rackBudget);
  composeKind(t, active, 'coolingLoss', out.rowCooling, out.rackCooling);
  return out;
}

function composeKind(t: EmergencyTopology, active: readonly Emergency[], kind: Emergency['kind'], rowOut: Float64Array, rackOut: Float64Array): void {
  const site: number[] = [];
  const byRow = new Map<number, number[]>();
  const byRack = new Map<number, number[]>();
  const add = (m: Map<number, number[]>, k: number, f: number) => {
    const list = m.get(k);
    if (list) list.push(f);
    else m.set(k, [f]);
  };
  for (const e of active) {
    if (e.kind !== kind) continue;
    const left = 1 - e.fraction;
    if (e.scope.kind === 'site') site.push(left);
    else if (e.scope.kind === 'row') add(byRow, e.scope.row, left);
    else add(byRack, e.scope.rack, left);
  }
  if (site.length === 0 && byRow.size === 0 && byRack.size === 0) {
    rowOut.fill(1);
    rackOut.fill(1);
    return;
  }
  t.rows.forEach((row, r) => {
    const over = byRow.get(r) ?? [];
    const whole = remainingOf(site.length ? [...site, ...over] : over);
    // The racks' own losses, each weighed by its share of the row: 0 exactly where none has one.
    let lostShare = 0;
    let weightKW = 0;
    for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) weightKW += t.racks[k]!.budgetKW;
    for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) {
      const own = byRack.get(k);
      rackOut[k] = own ? remainingOf([...site, ...over, ...own]) : whole;
      if (!own) continue;
      const share = weightKW > 0 ? t.racks[k]!.budgetKW / weightKW : 1 / row.rackCount;
      lostShare += share * (1 - remainingOf(own));
    }
    rowOut[r] = lostShare === 0 ? whole : whole * Math.max(0, 1 - lostShare);
  });
}
