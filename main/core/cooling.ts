import type { PlantSpec } from '../../shared/domain/plant.js';
import type { Topology } from '../../shared/domain/topology.js';
import { inletTargetC, ROOM_TAU_S } from './thermal.js';
import { MAX_RACK_RECIRC_C } from './rackThermal.js';

/**
 * The cooling plant as arrays the analysis and the simulator compute on (pure). Two kinds of group:
 *
 * - **air**: CRAH/CRAC units serving rows (N+1: `redundantUnits` in reserve). Capacity now = running units (at most
 *   the non-redundant ones) × unit kW; the rows share it by nameplate. Racks on a CDU put their heat into the liquid loop, not the room (the residual
 *   air-side heat of a direct-to-chip rack, ~15 %, is ignored). Overheating: the row air model (core/thermal.ts)
 *   relaxes toward its target with ROOM_TAU_S; the room "overheats" when the cold-aisle inlet would cross
 *   ASHRAE A1's allowable 32 °C.
 * - **cdu**: a coolant distribution unit for direct-to-chip racks (e.g. GB200 NVL72): pumps N+1, capacity kW. With at
 *   least the non-redundant pumps running it carries its capacity; with fewer, that share of it; isolated (a leak
 *   closes its valves) nothing. The loop's thermal mass carries the full capacity for `holdS` seconds with no flow
 *   before the chips reach slowdown (LOOP_MARGIN_C above supply): with heat H above what it removes R, the time left
 *   is capacity · holdS / (H − R).
 *
 * Single failures: one air unit ("<air>/unit"), one pump ("<cdu>/pump"), or the whole CDU ("<cdu>": a leak
 * isolates it, or its controls fail).
 */

/** How far a liquid loop's supply may rise before direct-to-chip GPUs at full load reach slowdown (°C). */
export const LOOP_MARGIN_C = 15;
/** ASHRAE TC 9.9 class A1 allowable inlet (°C): past it an air-cooled row counts as overheating. */
export const AIR_ALLOWABLE_C = 32;

export interface ResolvedCooling {
  ids: string[];
  kinds: Array<'air' | 'cdu'>;
  /** Units (air) or pumps (cdu), and how many of them are in reserve. */
  units: Int32Array;
  redundant: Int32Array;
  /** Air: kW per unit. CDU: the capacity with enough pumps. */
  unitKW: Float64Array;
  capacityKW: Float64Array;
  supplyC: Float64Array;
  holdS: Float64Array;
  /** Racks whose heat each group carries. */
  racks: Int32Array[];
  /** Per rack: its CDU's group index (−1: air-cooled). Per row: the air group serving it (−1: the row's own coolingKW). */
  rackCdu: Int32Array;
  rowAir: Int32Array;
}

/** Units or pumps lost per group; a CDU isolated. */
export interface CoolingState {
  lost: Int32Array;
  out: Uint8Array;
}

export class CoolingError extends Error {
  override readonly name = 'CoolingError';
}

/** Resolve `plant.cooling` against the topology: every row and rack checked (the message names the field). */
export function resolveCooling(spec: PlantSpec['cooling'], t: Topology): ResolvedCooling {
  const ids: string[] = [];
  const kinds: Array<'air' | 'cdu'> = [];
  const units: number[] = [];
  const redundant: number[] = [];
  const unitKW: number[] = [];
  const capacityKW: number[] = [];
  const supplyC: number[] = [];
  const holdS: number[] = [];
  const racks: Int32Array[] = [];
  const rackCdu = new Int32Array(t.racks.length).fill(-1);
  const rowAir = new Int32Array(t.rows.length).fill(-1);
  const rackIndex = new Map(t.racks.map((r, i) => [r.id, i]));
  const rowIndex = new Map(t.rows.map((r, i) => [r.id, i]));
  const seen = new Set<string>();
  const add = (id: string, path: string) => {
    if (seen.has(id)) throw new CoolingError(`${path}.id: duplicate cooling group "${id}"`);
    seen.add(id);
    ids.push(id);
  };
  spec.liquid.forEach((c, i) => {
    const path = `plant.cooling.liquid[${i}]`;
    if (c.redundantPumps >= c.pumps) throw new CoolingError(`${path}.redundantPumps: ${c.redundantPumps} in reserve of ${c.pumps} pumps leaves none to run`);
    const g = ids.length;
    const list = c.racks.map((id, k) => {
      const r = rackIndex.get(id);
      if (r === undefined) throw new CoolingError(`${path}.racks[${k}]: no rack "${id}" in the topology`);
      if (rackCdu[r]! >= 0) throw new CoolingError(`${path}.racks[${k}]: rack ${id} is on two CDUs`);
      rackCdu[r] = g;
      return r;
    });
    add(c.id, path);
    kinds.push('cdu');
    units.push(c.pumps);
    redundant.push(c.redundantPumps);
    unitKW.push(c.capacityKW / (c.pumps - c.redundantPumps));
    capacityKW.push(c.capacityKW);
    supplyC.push(c.supplyC);
    holdS.push(c.holdS);
    racks.push(Int32Array.from(list));
  });
  spec.air.forEach((a, i) => {
    const path = `plant.cooling.air[${i}]`;
    if (a.redundantUnits >= a.units) throw new CoolingError(`${path}.redundantUnits: ${a.redundantUnits} in reserve of ${a.units} units leaves none to run`);
    const g = ids.length;
    const list: number[] = [];
    a.rows.forEach((id, k) => {
      const r = rowIndex.get(id);
      if (r === undefined) throw new CoolingError(`${path}.rows[${k}]: no row "${id}" in the topology`);
      if (rowAir[r]! >= 0) throw new CoolingError(`${path}.rows[${k}]: row ${id} is served by two air groups`);
      rowAir[r] = g;
      const row = t.rows[r]!;
      for (let k2 = row.rackStart; k2 < row.rackStart + row.rackCount; k2++) if (rackCdu[k2]! < 0) list.push(k2);
    });
    add(a.id, path);
    kinds.push('air');
    units.push(a.units);
    redundant.push(a.redundantUnits);
    unitKW.push(a.unitKW);
    capacityKW.push((a.units - a.redundantUnits) * a.unitKW);
    supplyC.push(a.supplyC);
    holdS.push(0);
    racks.push(Int32Array.from(list));
  });
  return {
    ids,
    kinds,
    units: Int32Array.from(units),
    redundant: Int32Array.from(redundant),
    unitKW: Float64Array.from(unitKW),
    capacityKW: Float64Array.from(capacityKW),
    supplyC: Float64Array.from(supplyC),
    holdS: Float64Array.from(holdS),
    racks,
    rackCdu,
    rowAir,
  };
}

export function healthyCooling(c: ResolvedCooling): CoolingState {
  return { lost: new Int32Array(c.ids.length), out: new Uint8Array(c.ids.length) };
}

/**
 * What group g removes now (kW): its running units or pumps, at most the non-redundant ones (a standby adds no
 * capacity, and losing it costs none), × kW per unit; an isolated CDU nothing.
 */
export function coolingCapacityKW(c: ResolvedCooling, s: CoolingState, g: number): number {
  if (s.out[g]) return 0;
  const live = Math.max(0, c.units[g]! - s.lost[g]!);
  return Math.min(live, c.units[g]! - c.redundant[g]!) * c.unitKW[g]!;
}

/** Heat each group carries (kW) for rack powers `rackKW`. */
export function coolingHeatKW(c: ResolvedCooling, rackKW: ArrayLike<number>): Float64Array {
  return Float64Array.from(c.racks, (list) => list.reduce((a, r) => a + (rackKW[r] ?? 0), 0));
}

/**
 * Seconds until group g overheats carrying `heatKW` with `capKW` of cooling (null: it would not): a CDU, when its loop
 * has risen LOOP_MARGIN_C; air, when the row's hottest rack (its aisle + MAX_RACK_RECIRC_C) would cross AIR_ALLOWABLE_C.
 */
export function secondsToOverheat(c: ResolvedCooling, g: number, heatKW: number, capKW: number): number | null {
  if (heatKW <= capKW + 1e-9) return null;
  if (c.kinds[g] === 'cdu') return (c.capacityKW[g]! * c.holdS[g]!) / (heatKW - capKW);
  const supply = c.supplyC[g]!;
  const target = inletTargetC(supply, heatKW, capKW);
  // The row's aisle against the allowable less what its hottest rack adds (an end rack at nominal power): that rack
  // passes 32 °C first.
  const limit = AIR_ALLOWABLE_C - MAX_RACK_RECIRC_C;
  if (target <= limit) return null;
  return -ROOM_TAU_S * Math.log((target - limit) / (target - supply));
}

/** The ids of group g's single failures: one unit or pump, and (a CDU) the whole unit. */
export function coolingFailures(c: ResolvedCooling, g: number): string[] {
  return c.kinds[g] === 'air' ? [`${c.ids[g]}/unit`] : [`${c.ids[g]}/pump`, c.ids[g]!];
}

/** Take a cooling failure id into a state; false when the id is not a cooling failure of this plant. */
export function applyCoolingOut(c: ResolvedCooling, s: CoolingState, id: string): boolean {
  const slash = id.lastIndexOf('/');
  const base = slash < 0 ? id : id.slice(0, slash);
  const what = slash < 0 ? '' : id.slice(slash + 1);
  const g = c.ids.indexOf(base);
  if (g < 0) return false;
  if (what === '' && c.kinds[g] === 'cdu') s.out[g] = 1;
  else if ((what === 'unit' && c.kinds[g] === 'air') || (what === 'pump' && c.kinds[g] === 'cdu')) s.lost[g]! += 1;
  else return false;
  return true;
}

/** What is out in a cooling state, as failure ids (one per unit or pump lost). */
export function coolingOutIds(c: ResolvedCooling, s: CoolingState): string[] {
  return c.ids.flatMap((id, g) => [...(s.out[g] ? [id] : []), ...Array.from({ length: s.lost[g]! }, () => `${id}/${c.kinds[g] === 'air' ? 'unit' : 'pump'}`)]);
}
