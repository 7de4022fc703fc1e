import type { GpuModel, Topology } from '../../shared/domain/topology.js';
import { powerAt } from './physics.js';

/**
 * Feasibility of row budgets (pure): can the control plane hold a row within its budget at all?
 *
 * The **floor** of a row is the least power it draws with every server running work and every lever short of
 * shedding pulled to its end:
 * - each server's non-GPU power at full activity (`idleW + activeW`: CPUs, fans and NICs do not slow down with capped
 *   GPUs — a capped GPU still reports full utilisation);
 * - each GPU fully busy (activity 1: its maximum limit at full clock) at its deepest cap: the least of its model's
 *   minimum power limit and its draw with the SM clock locked at the model's minimum clock (`powerAt`). The power
 *   brake is not counted: it is the last resort, not a way to run.
 *
 * A budget below the floor is **unreachable**: under full load no cap can meet it. The only way to fit is to shed
 * (power off) servers; `shedServers` is the fewest that must go, hungriest first (the floor minus their floors fits
 * the budget). A budget of 0 or less sheds every server. The floor errs low (the GPU's nominal power, no per-board
 * variation): a budget refused as unreachable is certainly unreachable.
 */
export interface RowFeasibility {
  /** Row index and id. */
  row: number;
  id: string;
  reachable: boolean;
  /** The row's floor (kW), see above. */
  floorKW: number;
  /** The budget judged (kW). */
  budgetKW: number;
  /** Servers to shed for the floor to fit the budget (0 when reachable). */
  shedServers: number;
  /** Servers of the row. */
  servers: number;
}

/** Budgets within this much (kW) of the floor count as reachable (float noise, rounded budgets). */
const EPS_KW = 1e-6;

/** The least a fully busy GPU of model `m` can be held to without the brake (W). */
export function gpuFloorW(m: GpuModel): number {
  return Math.min(m.minLimitW, powerAt(m, 1, m.minClockMHz));
}

/** Per row of a topology: each server's floor (W), hungriest first. Cached per topology (they never change). */
const floorCache = new WeakMap<Topology, Float64Array[]>();
export function serverFloorsW(t: Topology): Float64Array[] {
  let out = floorCache.get(t);
  if (out) return out;
  const gpuFloor = t.models.map(gpuFloorW);
  out = t.rows.map((row) => {
    const floors: number[] = [];
    for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) {
      const rack = t.racks[k]!;
      for (let s = rack.serverStart; s < rack.serverStart + rack.serverCount; s++) {
        const srv = t.servers[s]!;
        floors.push(srv.idleW + srv.activeW + srv.gpuCount * gpuFloor[srv.model]!);
      }
    }
    return Float64Array.from(floors.sort((a, b) => b - a));
  });
  floorCache.set(t, out);
  return out;
}

/** Floor of each row (kW). */
export function rowFloorsKW(t: Topology): Float64Array {
  return Float64Array.from(serverFloorsW(t), (f) => f.reduce((a, b) => a + b, 0) / 1000);
}

/** Judge one row against a budget (kW). */
export function judgeRow(t: Topology, r: number, budgetKW: number): RowFeasibility {
  const floors = serverFloorsW(t)[r]!;
  let floorW = 0;
  for (const f of floors) floorW += f;
  const floorKW = floorW / 1000;
  let shed = 0;
  let left = floorKW;
  while (shed < floors.length && left > budgetKW + EPS_KW) left -= floors[shed++]! / 1000;
  return { row: r, id: t.rows[r]!.id, reachable: shed === 0, floorKW, budgetKW, shedServers: shed, servers: floors.length };
}

/** Judge every row against `budgetKW` (per row, kW; default: the provisioned budgets). */
export function feasibility(t: Topology, budgetKW: ArrayLike<number> = t.rows.map((r) => r.budgetKW)): RowFeasibility[] {
  return t.rows.map((_, r) => judgeRow(t, r, budgetKW[r]!));
}

/** Rows whose budget is unreachable, cheaply (no allocation while every row is reachable; called every tick). */
export function unreachableRows(t: Topology, budgetKW: ArrayLike<number>): readonly RowFeasibility[] {
  const floors = floorKWCache(t);
  let out: RowFeasibility[] | null = null;
  for (let r = 0; r < floors.length; r++) {
    if (floors[r]! <= budgetKW[r]! + EPS_KW) continue;
    (out ??= []).push(judgeRow(t, r, budgetKW[r]!));
  }
  return out ?? NONE;
}
const NONE: readonly RowFeasibility[] = [];

const rowFloorCache = new WeakMap<Topology, Float64Array>();
function floorKWCache(t: Topology): Float64Array {
  let f = rowFloorCache.get(t);
  if (!f) rowFloorCache.set(t, (f = rowFloorsKW(t)));
  return f;
}

const kw = (x: number) => `${Number(x.toFixed(2))} kW`;
const FLOOR_IS = 'non-GPU server power at full activity + every GPU busy at its minimum cap';

/** The alert's text: "Row C: budget 163.2 kW is unreachable, below its floor of 173.28 kW (…); shed 3 of its 40 servers to fit". */
export function unreachableText(f: RowFeasibility): string {
  return `Row ${f.id}: budget ${kw(f.budgetKW)} is unreachable, below its floor of ${kw(f.floorKW)} (${FLOOR_IS}); shed ${f.shedServers} of its ${f.servers} server${f.servers === 1 ? '' : 's'} to fit`;
}

/** A refusal at load: 'row "L": budget 20 kW is below the row's floor of 28.1 kW (…): unreachable under load; …'. */
export function unreachableRefusal(f: RowFeasibility): string {
  return (
    `row "${f.id}": budget ${kw(f.budgetKW)} is below the row's floor of ${kw(f.floorKW)} (${FLOOR_IS}): unreachable under load; ` +
    `raise the budget or remove ${f.shedServers} of its ${f.servers} server${f.servers === 1 ? '' : 's'}`
  );
}
