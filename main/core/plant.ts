import type { PlantDeviceKind, PlantSpec, TripCurve } from '../../shared/domain/plant.js';
import type { Topology } from '../../shared/domain/topology.js';
import { applyCoolingOut, CoolingError, healthyCooling, resolveCooling, type CoolingState, type ResolvedCooling } from './cooling.js';

/**
 * The physical plant as a tree the engine can compute on (pure, typed arrays, no I/O): utility feeds → UPS →
 * switchboards / busways / breakers → rack PDUs (A and B sides). From it:
 *
 * - **Budgets** (`firmBudgets`): a rack may draw what one side alone carries continuously (2N: the other side may be
 *   lost); a row what its racks may draw and its share of every upstream device's continuous limit, whichever
 *   limits first. Continuous limit: `continuousPct` (80 %, NEC 210.19/215.2) of a breaker's or busway's rating; a
 *   UPS's firm capacity is its modules less the redundant ones; a feed's rating.
 * - **Loads** (`plantLoads`): each rack's power, split evenly over its live sides (failover moves it all to the
 *   survivor; a rack with no live side is lost), summed up the tree.
 * - **Time to trip** (`secondsToTrip`): breakers per IEC 60898-1 — no trip up to 1.13 × In (conventional
 *   non-tripping current), a thermal I²t region t = K / (m² − 1.13²) with K set so that 2.55 × In trips in 30 s (the
 *   standard's band is 1–120 s), instantaneous (0.01 s) from 5 / 10 / 20 × In for curves B / C / D; a UPS's
 *   typical overload tolerance (≤ 110 % for 10 min, ≤ 125 % 60 s, ≤ 150 % 10 s, beyond 0.2 s to bypass).
 *
 * The N-1 analysis on top of these is core/contingency.ts.
 */

export const NON_TRIP = 1.13;
const THERMAL_K = 30 * (2.55 * 2.55 - NON_TRIP * NON_TRIP);
const INSTANT: Record<TripCurve, number> = { B: 5, C: 10, D: 20, none: Infinity };

export class PlantError extends Error {
  override readonly name = 'PlantError';
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
  }
}

export interface ResolvedPlant {
  ids: string[];
  kinds: PlantDeviceKind[];
  /** Parent node (−1: a feed, the root). */
  parent: Int32Array;
  ratedKW: Float64Array;
  /** What it may carry continuously (firm). */
  continuousKW: Float64Array;
  curve: TripCurve[];
  /** UPS nodes: module size and count, redundant modules (others: 0). */
  upsModules: Int32Array;
  upsModuleKW: Float64Array;
  upsRedundant: Int32Array;
  upsRideThroughS: Float64Array;
  /** Per rack: its A-side and B-side rack-PDU node (−1: none). */
  rackA: Int32Array;
  rackB: Int32Array;
  /** Nodes from the leaves up (children before parents), for summing loads. */
  order: Int32Array;
  /** Depth of each node (feeds 0). */
  depth: Int32Array;
  /** The cooling plant (core/cooling.ts): air groups and CDUs, beside the electrical tree. */
  cooling: ResolvedCooling;
}

function kwOf(r: { ratedKW?: number; amps?: number; volts?: number; phases: 1 | 3; powerFactor: number }): number {
  if (r.ratedKW !== undefined) return r.ratedKW;
  const factor = r.phases === 3 ? Math.sqrt(3) : 1;
  return (factor * r.volts! * r.amps! * r.powerFactor) / 1000;
}

/** Build the tree; every reference checked (PlantError names the field). */
export function resolvePlant(spec: PlantSpec, topology: Topology): ResolvedPlant {
  const ids: string[] = [];
  const kinds: PlantDeviceKind[] = [];
  const parentIds: Array<string | null> = [];
  const rated: number[] = [];
  const cont: number[] = [];
  const curves: TripCurve[] = [];
  const ups: Array<[number, number, number, number]> = [];
  const index = new Map<string, number>();
  const pct = spec.continuousPct / 100;
  const add = (id: string, kind: PlantDeviceKind, parent: string | null, r: number, c: number, curve: TripCurve, path: string, u: [number, number, number, number] = [0, 0, 0, 0]) => {
    if (index.has(id)) throw new PlantError(path, `duplicate device id "${id}"`);
    index.set(id, ids.length);
    ids.push(id);
    kinds.push(kind);
    parentIds.push(parent);
    rated.push(r);
    cont.push(c);
    curves.push(curve);
    ups.push(u);
  };
  spec.feeds.forEach((f, i) => add(f.id, 'feed', null, f.ratedKW, f.ratedKW, 'C', `plant.feeds[${i}]`));
  spec.ups.forEach((u, i) => {
    if (u.redundantModules >= u.modules) throw new PlantError(`plant.ups[${i}].redundantModules`, `${u.redundantModules} redundant of ${u.modules} modules leaves none to carry load`);
    add(u.id, 'ups', u.feed, u.modules * u.moduleKW, (u.modules - u.redundantModules) * u.moduleKW, 'none', `plant.ups[${i}]`, [u.modules, u.moduleKW, u.redundantModules, u.rideThroughS]);
  });
  spec.devices.forEach((d, i) => {
    const kw = kwOf(d);
    add(d.id, d.kind, d.from, kw, kw * pct, d.curve, `plant.devices[${i}]`);
  });
  const rackIndex = new Map(topology.racks.map((r, i) => [r.id, i]));
  const rowIndex = new Map(topology.rows.map((r, i) => [r.id, i]));
  const rackA = new Int32Array(topology.racks.length).fill(-1);
  const rackB = new Int32Array(topology.racks.length).fill(-1);
  spec.racks.forEach((rf, i) => {
    const path = `plant.racks[${i}]`;
    const row = rowIndex.get(rf.row);
    if (row === undefined) throw new PlantError(`${path}.row`, `no row "${rf.row}" in the topology (rows: ${topology.rows.map((r) => r.id).join(', ')})`);
    const r = topology.rows[row]!;
    const racks = rf.racks ?? topology.racks.slice(r.rackStart, r.rackStart + r.rackCount).map((x) => x.id);
    const kw = kwOf(rf.pdu);
    racks.forEach((id, k) => {
      const ri = rackIndex.get(id);
      if (ri === undefined || topology.racks[ri]!.row !== row) throw new PlantError(`${path}.racks[${k}]`, `no rack "${id}" in row ${rf.row}`);
      if (rackA[ri]! >= 0) throw new PlantError(`${path}.racks[${k}]`, `rack ${id} is fed twice`);
      rackA[ri] = ids.length;
      add(`${id}/PDU-A`, 'rackPdu', rf.a, kw, kw * pct, rf.pdu.curve, path);
      if (rf.b !== undefined) {
        rackB[ri] = ids.length;
        add(`${id}/PDU-B`, 'rackPdu', rf.b, kw, kw * pct, rf.pdu.curve, path);
      }
    });
  });
  topology.racks.forEach((r, i) => {
    if (rackA[i]! < 0) throw new PlantError('plant.racks', `rack ${r.id} has no supply (list it under a row's rack feeds)`);
  });
  const n = ids.length;
  const parent = new Int32Array(n);
  for (let k = 0; k < n; k++) {
    const p = parentIds[k];
    if (p === null || p === undefined) {
      parent[k] = -1;
      continue;
    }
    const pi = index.get(p);
    if (pi === undefined) throw new PlantError(`plant: ${ids[k]}`, `its supply "${p}" is not a device of the plant`);
    if (kinds[k] === 'ups' && kinds[pi] !== 'feed') throw new PlantError(`plant: ${ids[k]}`, `a UPS runs from a utility feed, not from ${kinds[pi]} "${p}"`);
    if (kinds[k] !== 'ups' && kinds[pi] === 'feed') throw new PlantError(`plant: ${ids[k]}`, `runs straight from feed "${p}": put a UPS between them`);
    parent[k] = pi;
  }
  // Depth, and no cycles.
  const depth = new Int32Array(n).fill(-1);
  for (let k = 0; k < n; k++) {
    let d = 0;
    let x = k;
    while (parent[x]! >= 0) {
      x = parent[x]!;
      if (++d > n) throw new PlantError(`plant: ${ids[k]}`, 'its supply chain loops back on itself');
    }
    depth[k] = d;
  }
  const order = Int32Array.from([...Array(n).keys()].sort((a, b) => depth[b]! - depth[a]!));
  let cooling: ResolvedCooling;
  try {
    cooling = resolveCooling(spec.cooling, topology);
  } catch (e) {
    if (!(e instanceof CoolingError)) throw e;
    const at = e.message.indexOf(': ');
    throw new PlantError(e.message.slice(0, at), e.message.slice(at + 2));
  }
  for (const id of cooling.ids) if (index.has(id)) throw new PlantError(`plant.cooling: ${id}`, 'has the id of an electrical device');
  return {
    cooling,
    ids,
    kinds,
    parent,
    ratedKW: Float64Array.from(rated),
    continuousKW: Float64Array.from(cont),
    curve: curves,
    upsModules: Int32Array.from(ups.map((u) => u[0])),
    upsModuleKW: Float64Array.from(ups.map((u) => u[1])),
    upsRedundant: Int32Array.from(ups.map((u) => u[2])),
    upsRideThroughS: Float64Array.from(ups.map((u) => u[3])),
    rackA,
    rackB,
    order,
    depth,
  };
}

/** Nameplate of each rack (its servers' GPUs at their default limit plus the servers' own active power), kW. */
export function rackNameplateKW(t: Topology): Float64Array {
  const out = new Float64Array(t.racks.length);
  for (const s of t.servers) out[s.rack]! += (s.gpuCount * t.models[s.model]!.defaultLimitW + s.idleW + s.activeW) / 1000;
  return out;
}

/**
 * Firm budgets: per rack, what its weaker side carries continuously; per row, the least of its racks' sum and, on
 * each side, its share (by nameplate) of every upstream device's continuous limit. `limitedBy`: the device (or
 * "racks") that sets each row's budget.
 */
export function firmBudgets(p: ResolvedPlant, t: Topology): { rowKW: Float64Array; rackKW: Float64Array; limitedBy: string[] } {
  return budgetsIn(p, t, healthyState(p));
}

/**
 * The budgets the plant allows in a state (devices out, UPS modules lost): a rack, what its weaker live side carries
 * continuously (one live side: that side; none: 0); a row, the least of its racks' sum and its nameplate share of every
 * live upstream device's continuous limit (a UPS: its live modules less the reserve still unused). Healthy: the firm
 * budgets the topology is built with.
 */
export function budgetsIn(p: ResolvedPlant, t: Topology, s: PlantState): { rowKW: Float64Array; rackKW: Float64Array; limitedBy: string[] } {
  const plate = rackNameplateKW(t);
  const n = p.ids.length;
  const live = liveNodes(p, s);
  const under = new Float64Array(n);
  const rowUnder = t.rows.map(() => new Float64Array(n));
  const rackKW = new Float64Array(t.racks.length);
  t.racks.forEach((r, i) => {
    const sides = [p.rackA[i]!, p.rackB[i]!].filter((leaf) => leaf >= 0 && live[leaf] === 1);
    rackKW[i] = sides.length === 0 ? 0 : Math.min(...sides.map((leaf) => p.continuousKW[leaf]!));
    for (const leaf of sides) {
      for (let x = leaf; x >= 0; x = p.parent[x]!) {
        under[x]! += plate[i]!;
        rowUnder[r.row]![x]! += plate[i]!;
      }
    }
  });
  const rowKW = new Float64Array(t.rows.length);
  const limitedBy: string[] = [];
  t.rows.forEach((row, r) => {
    let best = 0;
    for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) best += rackKW[k]!;
    let by = 'racks';
    for (let x = 0; x < n; x++) {
      if (p.kinds[x] === 'rackPdu' || rowUnder[r]![x]! === 0) continue;
      const cont = p.kinds[x] === 'ups' ? Math.max(0, p.upsModules[x]! - Math.max(p.upsRedundant[x]!, s.upsModulesLost[x]!)) * p.upsModuleKW[x]! : p.continuousKW[x]!;
      const share = (cont * rowUnder[r]![x]!) / under[x]!;
      if (share < best - 1e-9) {
        best = share;
        by = p.ids[x]!;
      }
    }
    rowKW[r] = Math.round(best * 10) / 10;
    limitedBy.push(by);
  });
  return { rowKW, rackKW, limitedBy };
}

/** 1 where a node and everything above it are in service. */
export function liveNodes(p: ResolvedPlant, s: PlantState): Uint8Array {
  const n = p.ids.length;
  const live = new Uint8Array(n);
  for (let i = n - 1; i >= 0; i--) {
    const x = p.order[i]!;
    const par = p.parent[x]!;
    live[x] = s.out[x] ? 0 : par < 0 ? 1 : live[par]!;
  }
  return live;
}

/** Failures: a node out (1) — with it, everything it supplies; UPS modules lost per UPS node; the cooling plant's. */
export interface PlantState {
  out: Uint8Array;
  upsModulesLost: Int32Array;
  cooling: CoolingState;
}

export function healthyState(p: ResolvedPlant): PlantState {
  return { out: new Uint8Array(p.ids.length), upsModulesLost: new Int32Array(p.ids.length), cooling: healthyCooling(p.cooling) };
}

export function copyState(s: PlantState): PlantState {
  return { out: Uint8Array.from(s.out), upsModulesLost: Int32Array.from(s.upsModulesLost), cooling: { lost: Int32Array.from(s.cooling.lost), out: Uint8Array.from(s.cooling.out) } };
}

/**
 * Take one failure id into a state: a device id (it and everything it supplies out), "<UPS>/module" (one module of
 * that UPS), or a cooling failure ("<air>/unit", "<cdu>/pump", "<cdu>"). False for an id the plant does not have.
 */
export function applyOut(p: ResolvedPlant, s: PlantState, id: string): boolean {
  if (applyCoolingOut(p.cooling, s.cooling, id)) return true;
  const mod = id.endsWith('/module');
  const x = p.ids.indexOf(mod ? id.slice(0, -'/module'.length) : id);
  if (x < 0 || (mod && p.kinds[x] !== 'ups')) return false;
  if (mod) s.upsModulesLost[x]! += 1;
  else s.out[x] = 1;
  return true;
}

/**
 * The plant with devices out of service (a maintenance window): each listed id as `applyOut` reads it (repeat
 * "<UPS>/module" or "<cdu>/pump" for more than one). PlantError for an id the plant does not have.
 */
export function maintenanceState(p: ResolvedPlant, out: readonly string[], base: PlantState = healthyState(p)): PlantState {
  const s = copyState(base);
  for (const id of out) if (!applyOut(p, s, id)) throw new PlantError('maintenance', `no device "${id.replace(/\/(module|pump|unit)$/, '')}" in the plant${/\/(module|pump|unit)$/.test(id) ? ` with a ${id.slice(id.lastIndexOf('/') + 1)}` : ''}`);
  return s;
}

/** Capacity of a node now: a UPS's live modules; others their rating. */
export function capacityKW(p: ResolvedPlant, s: PlantState, x: number): number {
  return p.kinds[x] === 'ups' ? Math.max(0, p.upsModules[x]! - s.upsModulesLost[x]!) * p.upsModuleKW[x]! : p.ratedKW[x]!;
}

/** Loads of every node for rack powers `rackKW` with the state's failures; racks with no live side are lost. */
export function plantLoads(p: ResolvedPlant, s: PlantState, rackKW: ArrayLike<number>, out: Float64Array = new Float64Array(p.ids.length)): { nodeKW: Float64Array; racksLost: number[] } {
  const n = p.ids.length;
  const live = liveNodes(p, s);
  out.fill(0);
  const racksLost: number[] = [];
  for (let r = 0; r < p.rackA.length; r++) {
    const a = p.rackA[r]!;
    const b = p.rackB[r]!;
    const la = a >= 0 && live[a] === 1;
    const lb = b >= 0 && live[b] === 1;
    const kw = rackKW[r] ?? 0;
    if (la && lb) {
      out[a]! += kw / 2;
      out[b]! += kw / 2;
    } else if (la) out[a]! += kw;
    else if (lb) out[b]! += kw;
    else racksLost.push(r);
  }
  for (let i = 0; i < n; i++) {
    const x = p.order[i]!;
    const par = p.parent[x]!;
    if (par >= 0) out[par]! += out[x]!;
  }
  return { nodeKW: out, racksLost };
}

/** Seconds until a node carrying `loadKW` trips (or its UPS goes to bypass); null: it would not. */
export function secondsToTrip(p: ResolvedPlant, s: PlantState, x: number, loadKW: number): number | null {
  const cap = capacityKW(p, s, x);
  if (p.kinds[x] === 'ups') {
    if (cap <= 0) return loadKW > 0 ? 0 : null;
    const m = loadKW / cap;
    return m <= 1 ? null : m <= 1.1 ? 600 : m <= 1.25 ? 60 : m <= 1.5 ? 10 : 0.2;
  }
  const m = loadKW / cap;
  if (m <= NON_TRIP) return null;
  if (m >= INSTANT[p.curve[x]!]) return 0.01;
  if (p.curve[x] === 'none') return null;
  return THERMAL_K / (m * m - NON_TRIP * NON_TRIP);
}
