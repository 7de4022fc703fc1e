/**
 * Which panels the Power view shows for a scope, and where their numbers come from. Row scope: the site (sum of the
 * rows, against the sum of their budgets) and every row. Rack scope: one row and each of its racks (a rack's budget
 * is its PDU rating: it does not change with the row's feed). Pure.
 */
import type { Snapshot } from '../../shared/domain/fleet.js';
import type { Topology } from '../../shared/domain/topology.js';
import type { PowerData, PowerPanel } from './power.js';
import { constantBudget, sumBudgets, sumColumns, type BudgetSteps, type Buckets } from './powerSeries.js';
import { THEME } from './theme.js';

export type PowerScope = 'row' | 'rack';

/** What the store reads for a scope, in column order: row scope all rows; rack scope the row, then its racks. */
export interface ScopeEntities {
  rows: string[];
  racks: string[];
}

export function scopeEntities(t: Topology, scope: PowerScope, rowIndex: number): ScopeEntities {
  if (scope === 'row') return { rows: t.rows.map((r) => r.id), racks: [] };
  const row = t.rows[rowIndex];
  if (!row) return { rows: [], racks: [] };
  return { rows: [row.id], racks: t.racks.slice(row.rackStart, row.rackStart + row.rackCount).map((r) => r.id) };
}

/** One snapshot's power in kW, in the scope's column order. */
export function livePowerKW(t: Topology, s: Snapshot, scope: PowerScope, rowIndex: number): number[] {
  if (scope === 'row') return t.rows.map((_, i) => (s.row.powerW[i] ?? NaN) / 1000);
  const row = t.rows[rowIndex];
  if (!row) return [];
  const out = [(s.row.powerW[rowIndex] ?? NaN) / 1000];
  for (let k = 0; k < row.rackCount; k++) out.push((s.rack.powerW[row.rackStart + k] ?? NaN) / 1000);
  return out;
}

const color = (i: number) => THEME.series[i % THEME.series.length] as string;

/** The panels of a scope; `rowBudgets` holds every row's budget over time, in topology order. */
export function buildPanels(t: Topology, scope: PowerScope, rowIndex: number, rowBudgets: readonly BudgetSteps[]): PowerPanel[] {
  const none: BudgetSteps = { tMs: [], kW: [] };
  if (scope === 'row') {
    const site: PowerPanel = { id: 'site', title: 'Site', key: 'site', color: THEME.site, budget: sumBudgets(rowBudgets) };
    return [site, ...t.rows.map((r, i) => ({ id: `row:${r.id}`, title: `Row ${r.id}`, key: `row${i}`, color: color(i), budget: rowBudgets[i] ?? none }))];
  }
  const row = t.rows[rowIndex];
  if (!row) return [];
  const racks = t.racks.slice(row.rackStart, row.rackStart + row.rackCount);
  return [
    { id: `row:${row.id}`, title: `Row ${row.id}`, key: 'row', color: color(rowIndex), budget: rowBudgets[rowIndex] ?? none },
    ...racks.map((r, k) => ({ id: `rack:${r.id}`, title: `Rack ${r.id}`, key: `rack${k}`, color: color(k), budget: constantBudget(r.budgetKW, 0) })),
  ];
}

/** The merged buckets (scope column order) as the dataset's keyed columns; the site is the sum of its rows. */
export function panelData(scope: PowerScope, b: Buckets): PowerData {
  const cols: Record<string, Array<number | null>> = {};
  if (scope === 'row') {
    b.cols.forEach((c, i) => (cols[`row${i}`] = c));
    cols.site = sumColumns(b.cols, b.t.length);
  } else {
    b.cols.forEach((c, i) => (cols[i === 0 ? 'row' : `rack${i - 1}`] = c));
  }
  return { t: b.t, cols };
}
