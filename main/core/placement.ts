import type { Topology } from '../../shared/domain/topology.js';
import type { SiteProfiles } from './profiles.js';
import type { Candidate, Effect, Placement, PlacementRequest, RackForecast } from '../../shared/domain/placement.js';
import { powerPenalty, thermalPenalty } from '../../shared/domain/slack.js';

export type { Candidate, Effect, Placement, PlacementRequest } from '../../shared/domain/placement.js';

/**
 * Placement advisor (TAPAS's first lever; docs/MODEL.md "Placement"): where should the next N GPUs go? Pure, from
 * the profiles learned from history (core/profiles.ts) and the topology.
 *
 *  - candidates: servers whose GPUs idled over the window (mean utilisation < FREE_UTIL);
 *  - what a server adds at its row's peak: its GPUs from idle to their peak share of the max limit (training: 100 %
 *    of TDP, inference: PEAK_SHARE.inference) and its non-GPU active power at that utilisation;
 *  - predicted row peak: the row's p99 over the window + what the placement adds there; predicted inlet of the rack:
 *    its fit (a + b · P) at its p95 power + what is added in it, plus its row's aisle (a + b · P_row) warming with
 *    what is added in the row (no rack fit: unknown, ranked last); predicted hottest GPU
 *    of the server: that inlet + its server's rise fit at the GPUs' peak power;
 *  - each candidate's headroom is the least of three: row power under 80 % of its budget for IaaS (only caps act on
 *    VMs: below POLCA's T1) or 90 % for SaaS (routing and reconfiguration can shed it) (per 20 points), inlet under ASHRAE's
 *    recommended 27 °C (per 5 °C), GPU under slowdown − 5 °C (per 15 °C); a placement pushing a row over its budget or
 *    an inlet over the allowable 32 °C is infeasible;
 *  - servers are taken one at a time, best headroom first, each pick re-predicting the rows and racks it loads, until
 *    N GPUs are placed; `firstFit` takes free servers in topology order — the headroom-unaware baseline.
 * The window's peaks stand for the coming day's (a day of history predicts the next; no trend is extrapolated).
 */
export const FREE_UTIL = 0.05;
export const PEAK_SHARE = { training: 1, inference: 0.85 } as const;
const NON_GPU_UTIL = { training: 1, inference: 0.8 } as const;
const INLET_RECOMMENDED_C = 27;
const INLET_ALLOWABLE_C = 32;

const r1 = (x: number) => Math.round(x * 10) / 10;

export function place(t: Topology, p: SiteProfiles, req: PlacementRequest): Placement {
  const kind = req.profile;
  const free = t.servers.map((_, s) => s).filter((s) => (p.serverUtil[s] ?? 1) < FREE_UTIL);
  const addKW = (s: number) => {
    const sv = t.servers[s]!;
    const m = t.models[sv.model]!;
    return (sv.gpuCount * (PEAK_SHARE[kind] * m.maxLimitW - m.idleW) + sv.activeW * NON_GPU_UTIL[kind]) / 1000;
  };
  const rowPeak = t.rows.map((_, r) => p.rows[r]?.power?.p99KW ?? 0);
  const rackP95 = t.racks.map((_, k) => p.racks[k]?.power?.p95KW ?? 0);

  /** Predict server s given what is already added per row and rack. */
  const judge = (s: number, rowAdd: Float64Array, rackAdd: Float64Array): Candidate => {
    const sv = t.servers[s]!;
    const k = sv.rack;
    const rack = t.racks[k]!;
    const r = rack.row;
    const row = t.rows[r]!;
    const m = t.models[sv.model]!;
    const add = addKW(s);
    const before = ((rowPeak[r]! + rowAdd[r]!) / row.budgetKW) * 100;
    const after = ((rowPeak[r]! + rowAdd[r]! + add) / row.budgetKW) * 100;
    const fit = p.racks[k]?.inlet ?? null;
    // The rack's own response to its power, plus its row's aisle warming with the row's added heat.
    const aisle = Math.max(0, p.rows[r]?.aisle?.b ?? 0);
    const inletBefore = fit ? fit.a + fit.b * (rackP95[k]! + rackAdd[k]!) + aisle * rowAdd[r]! : null;
    const inletAfter = fit ? fit.a + fit.b * (rackP95[k]! + rackAdd[k]! + add) + aisle * (rowAdd[r]! + add) : null;
    const rise = p.servers[s]?.rise ?? null;
    const gpuAfter = inletAfter !== null && rise ? inletAfter + rise.c + rise.rPerW * PEAK_SHARE[kind] * m.maxLimitW : null;
    // IaaS VMs can only be capped: keep their rows under POLCA's T1 (80 %); SaaS can be routed and reconfigured: 90 %.
    const powerShare = ((req.kind === 'iaas' ? 80 : 90) - after) / 20;
    const airShare = inletAfter === null ? -Infinity : (INLET_RECOMMENDED_C - inletAfter) / 5;
    const gpuShare = gpuAfter === null ? Infinity : (m.slowdownC - 5 - gpuAfter) / 15;
    const feasible = after <= 100 && inletAfter !== null && inletAfter <= INLET_ALLOWABLE_C;
    const score = Math.min(powerShare, airShare, gpuShare);
    const hotter = p.racks[k]?.hotterThanRowC ?? null;
    const why = [
      `row ${row.id} peak ${r1(before)} → ${r1(after)} % of ${row.budgetKW} kW`,
      inletAfter === null ? `rack ${rack.id}: no thermal profile (no inlet history)` : `rack ${rack.id} inlet ${r1(inletBefore!)} → ${r1(inletAfter)} °C (±${r1(fit!.sigma)}${fit!.from === 'row' ? ', its row\'s slope' : ''})`,
      hotter !== null && Math.abs(hotter) >= 0.5 ? `runs ${r1(Math.abs(hotter))} °C ${hotter > 0 ? 'hotter' : 'cooler'} than its row at the same power` : '',
      gpuAfter !== null ? `GPUs ~${r1(gpuAfter)} °C at ${Math.round(PEAK_SHARE[kind] * 100)} % of TDP` : '',
      feasible ? '' : after > 100 ? 'INFEASIBLE: row over its budget' : 'INFEASIBLE: inlet unknown or past 32 °C',
    ].filter(Boolean);
    return {
      server: sv.id,
      rack: rack.id,
      row: row.id,
      score: r1(score * 100) / 100,
      feasible,
      rowPctBefore: r1(before),
      rowPctAfter: r1(after),
      inletBeforeC: inletBefore === null ? null : r1(inletBefore),
      inletAfterC: inletAfter === null ? null : r1(inletAfter),
      inletSigmaC: fit ? fit.sigma : null,
      gpuAfterC: gpuAfter === null ? null : r1(gpuAfter),
      reason: why.join('; '),
    };
  };

  const pick = (order: 'advisor' | 'firstFit') => {
    const rowAdd = new Float64Array(t.rows.length);
    const rackAdd = new Float64Array(t.racks.length);
    const left = new Set(free);
    const out: Candidate[] = [];
    let placed = 0;
    while (placed < req.gpus && left.size > 0) {
      let best = -1;
      let bestC: Candidate | null = null;
      for (const s of left) {
        if (order === 'firstFit') {
          best = s;
          bestC = judge(s, rowAdd, rackAdd);
          break;
        }
        const c = judge(s, rowAdd, rackAdd);
        if (!bestC || c.score > bestC.score) {
          best = s;
          bestC = c;
        }
      }
      left.delete(best);
      out.push(bestC!);
      const sv = t.servers[best]!;
      rowAdd[t.racks[sv.rack]!.row]! += addKW(best);
      rackAdd[sv.rack]! += addKW(best);
      placed += sv.gpuCount;
    }
    return { out, placed };
  };
  const effect = (cs: Candidate[]): Effect => {
    const worst = new Map<string, number>();
    for (const c of cs) worst.set(c.row, Math.max(worst.get(c.row) ?? 0, c.rowPctAfter));
    const inlets = cs.map((c) => c.inletAfterC).filter((x): x is number => x !== null);
    return { worstRowPct: Math.max(0, ...worst.values()), hottestInletC: inlets.length ? Math.max(...inlets) : null, feasible: cs.every((c) => c.feasible) };
  };
  const zero = new Float64Array(t.rows.length);
  const zeroRack = new Float64Array(t.racks.length);
  const ranked = free.map((s) => judge(s, zero, zeroRack)).sort((a, b) => b.score - a.score);
  const adv = pick('advisor');
  const ff = pick('firstFit');
  return { request: req, ranked, chosen: adv.out, firstFit: ff.out, placedGpus: adv.placed, summary: { advisor: effect(adv.out), firstFit: effect(ff.out) } };
}

/**
 * Each rack's predicted pressure as it stands (the floor's "predicted" colouring): its row at its window p99, its
 * inlet from its fit at its p95 power (as `place` predicts "before"), its hottest GPU from its servers' rise fits with
 * the busy servers' GPUs at their power limit (idle ones at idle power) — the day's worst case. The pressure is the
 * routing penalty's (shared/domain/slack.ts): the worse of the row's power and the heat, × 100. Pure.
 */
export function forecast(t: Topology, p: SiteProfiles): RackForecast[] {
  return t.racks.map((rack, k) => {
    const row = t.rows[rack.row]!;
    const rowP99Pct = row.budgetKW > 0 ? ((p.rows[rack.row]?.power?.p99KW ?? 0) / row.budgetKW) * 100 : NaN;
    const fit = p.racks[k]?.inlet ?? null;
    const inlet = fit ? fit.a + fit.b * (p.racks[k]?.power?.p95KW ?? 0) : null;
    let gpu = -Infinity;
    let slowdownC = Infinity;
    for (let s = rack.serverStart; s < rack.serverStart + rack.serverCount; s++) {
      const rise = p.servers[s]?.rise;
      const m = t.models[t.servers[s]!.model]!;
      slowdownC = Math.min(slowdownC, m.slowdownC);
      if (!rise || inlet === null) continue;
      const w = (p.serverUtil[s] ?? 0) >= FREE_UTIL ? m.maxLimitW : m.idleW;
      gpu = Math.max(gpu, inlet + rise.c + rise.rPerW * w);
    }
    const base = { rack: rack.id, row: row.id, rowP99Pct: r1(rowP99Pct), inletC: inlet === null ? null : r1(inlet), gpuC: Number.isFinite(gpu) ? r1(gpu) : null };
    if (inlet === null) return { ...base, pressurePct: null, by: null };
    const power = powerPenalty(rowP99Pct);
    // No rise fit (an idle rack's GPUs never varied): the air alone judges its heat (a GPU far below slowdown).
    const COLD = -1e9;
    const heat = thermalPenalty(Number.isFinite(gpu) ? gpu : COLD, slowdownC, inlet);
    const air = thermalPenalty(COLD, slowdownC, inlet);
    const worst = Math.max(power, heat);
    return { ...base, pressurePct: Math.round(worst * 1000) / 10, by: worst <= 0 ? null : power >= heat ? 'power' : air >= heat ? 'air' : 'gpu' };
  });
}
