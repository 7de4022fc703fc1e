import type { Contingency, PlantDeviceKind, RowContingency } from '../../shared/domain/plant.js';
import { overloadText } from '../../shared/domain/plantText.js';
import type { Topology } from '../../shared/domain/topology.js';
import { capacityKW, copyState, healthyState, plantLoads, secondsToTrip, type PlantState, type ResolvedPlant } from './plant.js';
import { applyCoolingOut, coolingCapacityKW, coolingFailures, coolingHeatKW, secondsToOverheat } from './cooling.js';

/**
 * N-1 contingency analysis on the plant (core/plant.ts): for every single failure (a feed, a UPS, one UPS module, every
 * distribution device and rack PDU), what overloads, when it trips, and the caps that would prevent it — shed lowest
 * priority first, rack by rack under the overloaded device — how long they take to land, and their cost. Pure.
 */

/** How a response reaches GPUs, and how long it takes to take effect (policy actuation, seconds). */
export interface ResponseLatency {
  capS: number;
  capPath: 'inBand' | 'outOfBand';
  brakeS: number;
}

export interface RackShed {
  /** Power per rack that caps can take (above the lowest settable limit), low priority first then high (kW). */
  lowKW: ArrayLike<number>;
  highKW: ArrayLike<number>;
}

/** Share of throughput lost when a group's power above idle is cut by `cut` of `dyn` (power ∝ clock^k, throughput ∝ clock). */
function throughputLoss(cut: number, dyn: number, k = 1.3): number {
  if (dyn <= 0 || cut <= 0) return 0;
  return 1 - Math.pow(Math.max(0, 1 - Math.min(1, cut / dyn)), 1 / k);
}

/**
 * Every single failure of the plant given rack powers and what caps may shed: what overloads, when it trips, the
 * response and whether it lands in time. `base`: failures already in force (a maintenance window).
 */
export function contingencies(
  p: ResolvedPlant,
  t: Topology,
  rackKW: ArrayLike<number>,
  shed: RackShed,
  latency: ResponseLatency,
  base: PlantState = healthyState(p),
  /** When given, filled with each response's caps per rack (kW), by failing device: the plans armed (core/armed.ts). */
  plans?: Map<string, Float64Array>,
): Contingency[] {
  const out: Contingency[] = [];
  const n = p.ids.length;
  const loads = new Float64Array(n);
  const rackCut = new Float64Array(t.racks.length);
  const totalDyn = Array.from({ length: t.racks.length }, (_, r) => (shed.lowKW[r] ?? 0) + (shed.highKW[r] ?? 0)).reduce((a, b) => a + b, 0);
  /** The response to a failure whose caps per rack are in `rackCut`; `short`: power the caps could not find (kW). */
  const respond = (device: string, kind: PlantDeviceKind, overloads: Contingency['overloads'], racksLost: string[], firstTrip: number, short: number) => {
    let capsKW = 0;
    let lostWeighted = 0;
    const byRow = new Map<string, number>();
    for (let r = 0; r < t.racks.length; r++) {
      const c = rackCut[r]!;
      if (c <= 0) continue;
      capsKW += c;
      const row = t.rows[t.racks[r]!.row]!.id;
      byRow.set(row, (byRow.get(row) ?? 0) + c);
      const low = shed.lowKW[r] ?? 0;
      const high = shed.highKW[r] ?? 0;
      lostWeighted += throughputLoss(Math.min(c, low), low) * low + throughputLoss(Math.max(0, c - low), high) * high;
    }
    const needsCaps = capsKW > 0.05;
    if (plans && needsCaps) plans.set(device, Float64Array.from(rackCut));
    const capsLand = latency.capS;
    let path: Contingency['response']['path'] = needsCaps ? latency.capPath : 'none';
    let landsInS = needsCaps ? capsLand : 0;
    if (needsCaps && capsLand >= firstTrip && latency.brakeS < firstTrip) {
      path = 'brake';
      landsInS = latency.brakeS;
    }
    out.push({
      device,
      kind,
      overloads,
      racksLost,
      response: {
        capsKW: Math.round(capsKW * 10) / 10,
        costPct: totalDyn > 0 ? Math.round((lostWeighted / totalDyn) * 1000) / 10 : 0,
        path,
        landsInS,
        byRow: [...byRow.entries()].map(([row, kW]) => ({ row, kW: Math.round(kW * 10) / 10 })),
      },
      // In time, and enough: caps that cannot take the whole excess leave the overload (and the trip) in place.
      inTime: firstTrip === Infinity || (landsInS < firstTrip && short <= 0.05),
    });
  };
  const analyse = (device: string, kind: PlantDeviceKind, s: PlantState, delayS: number) => {
    const { nodeKW, racksLost } = plantLoads(p, s, rackKW, loads);
    const overloads: Contingency['overloads'] = [];
    let firstTrip = Infinity;
    const over: number[] = [];
    for (let x = 0; x < n; x++) {
      const cap = capacityKW(p, s, x);
      if (s.out[x] || nodeKW[x]! <= cap + 1e-9) continue;
      const tt = secondsToTrip(p, s, x, nodeKW[x]!);
      const trip = tt === null ? null : Math.round((tt + delayS) * 100) / 100;
      overloads.push({ device: p.ids[x]!, kind: p.kinds[x]!, loadKW: Math.round(nodeKW[x]! * 10) / 10, ratedKW: Math.round(cap * 10) / 10, pct: cap > 0 ? Math.round((nodeKW[x]! / cap) * 1000) / 10 : null, secondsToTrip: trip });
      if (trip !== null) firstTrip = Math.min(firstTrip, trip);
      over.push(x);
    }
    // Response: bring every overloaded device back to its capacity, deepest first, shedding under it (low first).
    rackCut.fill(0);
    const cutUnder = new Float64Array(n);
    let short = 0;
    over.sort((a, b) => p.depth[b]! - p.depth[a]!);
    for (const x of over) {
      const need = nodeKW[x]! - cutUnder[x]! - capacityKW(p, s, x);
      if (need <= 0) continue;
      // Racks whose live supply runs through x.
      const racks: number[] = [];
      for (let r = 0; r < t.racks.length; r++) if (suppliedThrough(p, s, r, x)) racks.push(r);
      const before = racks.map((r) => rackCut[r]!);
      short = Math.max(short, shedFrom(racks, need, shed, rackCut));
      racks.forEach((r, i) => {
        const cut = rackCut[r]! - before[i]!;
        if (cut <= 0) return;
        for (const leaf of [p.rackA[r]!, p.rackB[r]!]) {
          if (leaf < 0) continue;
          // The cut lands on the rack's live sides in proportion to what each carries.
          const share = sideShare(p, s, r, leaf);
          for (let y = leaf; y >= 0; y = p.parent[y]!) cutUnder[y]! += cut * share;
        }
      });
    }
    respond(device, kind, overloads, racksLost.map((r) => t.racks[r]!.id), firstTrip, short);
  };
  // Cooling: one air unit, one CDU pump, a whole CDU. The group's heat against what it removes after the failure;
  // the response caps the racks it cools (heat is power), lowest priority first.
  const cool = p.cooling;
  const heat = coolingHeatKW(cool, rackKW);
  const analyseCooling = (g: number, id: string, s: PlantState) => {
    const cap = coolingCapacityKW(cool, s.cooling, g);
    rackCut.fill(0);
    if (heat[g]! <= cap + 1e-9) return respond(id, cool.kinds[g]!, [], [], Infinity, 0);
    const tt = secondsToOverheat(cool, g, heat[g]!, cap);
    const overloads = [{ device: cool.ids[g]!, kind: cool.kinds[g]!, loadKW: Math.round(heat[g]! * 10) / 10, ratedKW: Math.round(cap * 10) / 10, pct: cap > 0 ? Math.round((heat[g]! / cap) * 1000) / 10 : null, secondsToTrip: tt === null ? null : Math.round(tt * 100) / 100 }];
    const short = shedFrom(Array.from(cool.racks[g]!), heat[g]! - cap, shed, rackCut);
    respond(id, cool.kinds[g]!, overloads, [], tt ?? Infinity, short);
  };
  for (let x = 0; x < n; x++) {
    if (base.out[x]) continue;
    const s = copyState(base);
    let delay = 0;
    if (p.kinds[x] === 'feed') {
      // The UPS on it carries on battery for its ride-through, then its load moves to the other side.
      s.out[x] = 1;
      let ride = Infinity;
      for (let y = 0; y < n; y++) if (p.parent[y] === x && p.kinds[y] === 'ups') ride = Math.min(ride, p.upsRideThroughS[y]!);
      delay = Number.isFinite(ride) ? ride : 0;
    } else s.out[x] = 1;
    analyse(p.ids[x]!, p.kinds[x]!, s, delay);
    if (p.kinds[x] === 'ups' && p.upsModules[x]! - base.upsModulesLost[x]! > 0) {
      const m = copyState(base);
      m.upsModulesLost[x]! += 1;
      analyse(`${p.ids[x]}/module`, 'upsModule', m, 0);
    }
  }
  for (let g = 0; g < cool.ids.length; g++) {
    if (base.cooling.out[g] || base.cooling.lost[g]! >= cool.units[g]!) continue;
    for (const id of coolingFailures(cool, g)) {
      const s = copyState(base);
      applyCoolingOut(cool, s.cooling, id);
      analyseCooling(g, id, s);
    }
  }
  return out;
}

/**
 * Shed `needKW` from `racks` into `rackCut`: the low-priority power first, then the high-priority, each rack in
 * proportion to what it still has to give (high-priority power is cut only past the rack's low-priority power).
 * Returns what could not be found (kW).
 */
function shedFrom(racks: readonly number[], needKW: number, shed: RackShed, rackCut: Float64Array): number {
  let need = needKW;
  for (const group of [shed.lowKW, shed.highKW]) {
    if (need <= 0) break;
    const left = (r: number) => Math.max(0, (group[r] ?? 0) - (group === shed.highKW ? Math.max(0, rackCut[r]! - (shed.lowKW[r] ?? 0)) : rackCut[r]!));
    let avail = 0;
    for (const r of racks) avail += left(r);
    if (avail <= 0) continue;
    const take = Math.min(1, need / avail);
    for (const r of racks) rackCut[r]! += left(r) * take;
    need -= avail * take;
  }
  return Math.max(0, need);
}

function isLive(p: ResolvedPlant, s: PlantState, x: number): boolean {
  for (let y = x; y >= 0; y = p.parent[y]!) if (s.out[y]) return false;
  return true;
}

/** The share of rack r's power its side `leaf` carries in state s (½ with both sides live, 1 alone, 0 when down). */
function sideShare(p: ResolvedPlant, s: PlantState, r: number, leaf: number): number {
  if (!isLive(p, s, leaf)) return 0;
  const other = leaf === p.rackA[r] ? p.rackB[r]! : p.rackA[r]!;
  return other >= 0 && isLive(p, s, other) ? 0.5 : 1;
}

/** Whether rack r draws through node x in state s. */
function suppliedThrough(p: ResolvedPlant, s: PlantState, r: number, x: number): boolean {
  for (const leaf of [p.rackA[r]!, p.rackB[r]!]) {
    if (leaf < 0 || !isLive(p, s, leaf)) continue;
    for (let y = leaf; y >= 0; y = p.parent[y]!) if (y === x) return true;
  }
  return false;
}

/** A single failure the site would not get through: something trips before the response lands, or racks lose all supply. */
export function isUnsafe(c: Contingency): boolean {
  return !c.inTime || c.racksLost.length > 0;
}

/** Rows each node supplies (through any rack PDU beneath it). */
export function rowsUnder(p: ResolvedPlant, t: Topology): Array<Set<number>> {
  const out = p.ids.map(() => new Set<number>());
  t.racks.forEach((r, i) => {
    for (const leaf of [p.rackA[i]!, p.rackB[i]!]) for (let x = leaf; x >= 0; x = p.parent[x]!) out[x]!.add(r.row);
  });
  return out;
}

export function worstByRow(p: ResolvedPlant, t: Topology, cs: readonly Contingency[]): RowContingency[] {
  const under = rowsUnder(p, t);
  const index = new Map(p.ids.map((id, i) => [id, i]));
  const rackRow = new Map(t.racks.map((r) => [r.id, r.row]));
  // Cooling groups: the rows of the racks each one cools.
  const cool = p.cooling;
  const coolRows = new Map(cool.ids.map((id, g) => [id, new Set(Array.from(cool.racks[g]!, (k) => t.racks[k]!.row))]));
  return t.rows.map((row, r) => {
    let best: RowContingency = { row: row.id, device: null, inTime: true, firstTripS: null, capsKW: 0, racksLost: 0, text: 'every single failure: nothing of this row overloads' };
    const rank = (x: RowContingency) => (x.device === null ? 0 : !x.inTime ? 3e9 : x.racksLost > 0 ? 2e9 + x.racksLost : x.firstTripS !== null ? 1e9 - x.firstTripS : 1);
    for (const c of cs) {
      const mine = c.overloads.filter((o) => under[index.get(o.device) ?? -1]?.has(r) || coolRows.get(o.device)?.has(r));
      const lost = c.racksLost.filter((id) => rackRow.get(id) === r).length;
      if (mine.length === 0 && lost === 0) continue;
      const trips = mine.map((o) => o.secondsToTrip).filter((x): x is number => x !== null);
      const first = trips.length ? Math.min(...trips) : null;
      const worst = mine.slice().sort((a, b) => (a.secondsToTrip ?? Infinity) - (b.secondsToTrip ?? Infinity))[0];
      const caps = c.response.byRow.find((x) => x.row === row.id)?.kW ?? 0;
      const text = `${c.device} fails → ${lost ? `${lost} rack${lost === 1 ? '' : 's'} lost` : ''}${lost && worst ? '; ' : ''}${worst ? overloadText(worst) : ''}${c.response.capsKW > 0 ? `; ${c.response.path === 'brake' ? 'brake' : `caps ${caps} kW here`} land${c.response.path === 'brake' ? 's' : ''} in ${c.response.landsInS} s${c.inTime ? '' : ': too late'}` : ''}`;
      const cand: RowContingency = { row: row.id, device: c.device, inTime: c.inTime, firstTripS: first, capsKW: caps, racksLost: lost, text };
      if (rank(cand) > rank(best)) best = cand;
    }
    return best;
  });
}
