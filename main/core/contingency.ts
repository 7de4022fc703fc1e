import type { Contingency, PlantDeviceKind, RowContingency } from '../../shared/domain/plant.js';
import type { Topology } from '../../shared/domain/topology.js';
import { capacityKW, healthyState, plantLoads, secondsToTrip, type PlantState, type ResolvedPlant } from './plant.js';

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
      overloads.push({ device: p.ids[x]!, kind: p.kinds[x]!, loadKW: Math.round(nodeKW[x]! * 10) / 10, ratedKW: Math.round(cap * 10) / 10, pct: Math.round((nodeKW[x]! / Math.max(1e-9, cap)) * 1000) / 10, secondsToTrip: trip });
      if (trip !== null) firstTrip = Math.min(firstTrip, trip);
      over.push(x);
    }
    // Response: bring every overloaded device back to its capacity, deepest first, shedding under it (low first).
    rackCut.fill(0);
    const cutUnder = new Float64Array(n);
    over.sort((a, b) => p.depth[b]! - p.depth[a]!);
    for (const x of over) {
      let need = nodeKW[x]! - cutUnder[x]! - capacityKW(p, s, x);
      if (need <= 0) continue;
      for (const group of [shed.lowKW, shed.highKW]) {
        if (need <= 0) break;
        // What this group of rack r still has to give: high-priority power is cut only past the low-priority's.
        const left = (r: number) => Math.max(0, (group[r] ?? 0) - (group === shed.highKW ? Math.max(0, rackCut[r]! - (shed.lowKW[r] ?? 0)) : rackCut[r]!));
        // Racks whose live supply runs through x, with what this group still has to give.
        const racks: number[] = [];
        let avail = 0;
        for (let r = 0; r < t.racks.length; r++) {
          if (!suppliedThrough(p, s, r, x)) continue;
          const l = left(r);
          if (l > 0) {
            racks.push(r);
            avail += l;
          }
        }
        if (avail <= 0) continue;
        const take = Math.min(1, need / avail);
        for (const r of racks) {
          const cut = left(r) * take;
          rackCut[r]! += cut;
          for (const leaf of [p.rackA[r]!, p.rackB[r]!]) {
            if (leaf < 0) continue;
            // The cut lands on the rack's live sides in proportion to what each carries.
            const share = sideShare(p, s, r, leaf);
            for (let y = leaf; y >= 0; y = p.parent[y]!) cutUnder[y]! += cut * share;
          }
        }
        need -= avail * take;
      }
    }
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
      racksLost: racksLost.map((r) => t.racks[r]!.id),
      response: {
        capsKW: Math.round(capsKW * 10) / 10,
        costPct: totalDyn > 0 ? Math.round((lostWeighted / totalDyn) * 1000) / 10 : 0,
        path,
        landsInS,
        byRow: [...byRow.entries()].map(([row, kW]) => ({ row, kW: Math.round(kW * 10) / 10 })),
      },
      inTime: firstTrip === Infinity || landsInS < firstTrip,
    });
  };
  for (let x = 0; x < n; x++) {
    if (base.out[x]) continue;
    const s: PlantState = { out: Uint8Array.from(base.out), upsModulesLost: Int32Array.from(base.upsModulesLost) };
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
      const m: PlantState = { out: Uint8Array.from(base.out), upsModulesLost: Int32Array.from(base.upsModulesLost) };
      m.upsModulesLost[x]! += 1;
      analyse(`${p.ids[x]}/module`, 'upsModule', m, 0);
    }
  }
  return out;
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
  return t.rows.map((row, r) => {
    let best: RowContingency = { row: row.id, device: null, inTime: true, firstTripS: null, capsKW: 0, racksLost: 0, text: 'every single failure: nothing of this row overloads' };
    const rank = (x: RowContingency) => (x.device === null ? 0 : !x.inTime ? 3e9 : x.racksLost > 0 ? 2e9 + x.racksLost : x.firstTripS !== null ? 1e9 - x.firstTripS : 1);
    for (const c of cs) {
      const mine = c.overloads.filter((o) => under[index.get(o.device) ?? -1]?.has(r));
      const lost = c.racksLost.filter((id) => rackRow.get(id) === r).length;
      if (mine.length === 0 && lost === 0) continue;
      const trips = mine.map((o) => o.secondsToTrip).filter((x): x is number => x !== null);
      const first = trips.length ? Math.min(...trips) : null;
      const worst = mine.slice().sort((a, b) => (a.secondsToTrip ?? Infinity) - (b.secondsToTrip ?? Infinity))[0];
      const caps = c.response.byRow.find((x) => x.row === row.id)?.kW ?? 0;
      const text = `${c.device} fails → ${lost ? `${lost} rack${lost === 1 ? '' : 's'} lost` : ''}${lost && worst ? '; ' : ''}${worst ? `${worst.device} at ${worst.pct} %${worst.secondsToTrip === null ? '' : ` trips in ${worst.secondsToTrip} s`}` : ''}${c.response.capsKW > 0 ? `; ${c.response.path === 'brake' ? 'brake' : `caps ${caps} kW here`} land${c.response.path === 'brake' ? 's' : ''} in ${c.response.landsInS} s${c.inTime ? '' : ': too late'}` : ''}`;
      const cand: RowContingency = { row: row.id, device: c.device, inTime: c.inTime, firstTripS: first, capsKW: caps, racksLost: lost, text };
      if (rank(cand) > rank(best)) best = cand;
    }
    return best;
  });
}
