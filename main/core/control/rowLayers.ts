import type { HeadroomConfig, Playbook, PolcaConfig } from '../../../shared/domain/control.js';
import { Arbiter, type Layer } from './arbiter.js';
import { drawPlaybooks, type FleetColumns, type RowSpan } from './playbookLayer.js';
import { engagedActions, type PlaybookState } from './playbooks.js';
import { highEngaged, polcaLockMHz, type PolcaRowState, type ResolvedClockCaps } from './polca.js';

/**
 * A row's automatic and emergency contributions, drawn into the arbiter's row layers from the row's controller state.
 * Rules:
 *   - POLCA: each GPU gets its model's lock for its priority at the row's stage (polcaLockMHz), with a reason naming
 *     the stage, its threshold and where the caps came from;
 *   - the POLCA brake (stage 'brake') and a manual row brake cover every GPU of the row;
 *   - playbooks as in playbookLayer.ts;
 *   - a row's layers are redrawn only when its signature changes: POLCA stage, high-priority locks, manual brake,
 *     and per playbook which stages are engaged (nothing else the layers depend on changes between policy edits).
 */

/** The arbiter layers a row's state is drawn into. */
export interface RowLayers {
  readonly polca: Layer;
  readonly polcaBrake: Layer;
  readonly playbooks: Layer;
  readonly manualBrake: Layer;
}

/** What a row's layers are drawn from. */
export interface RowInputs {
  readonly polca: PolcaRowState;
  readonly config: PolcaConfig;
  /** Per GPU model (fleet.models order). */
  readonly caps: readonly ResolvedClockCaps[];
  readonly manualBrake: { by: string; reason: string } | null;
  readonly playbooks: readonly Playbook[];
  readonly states: readonly PlaybookState[];
  /** Headroom's configuration when its controller drives the row (headroom.ts), null under POLCA. */
  readonly controller?: HeadroomConfig | null;
}

/** What a row's layers were last drawn from; equal signatures draw equal layers (under one policy). */
export function rowSignature(p: PolcaRowState, pbs: readonly PlaybookState[], manualBrake: boolean): string {
  let s = `${p.stage}|${highEngaged(p) ? 1 : 0}|${manualBrake ? 1 : 0}|${Number.isNaN(p.deepSinceMs) ? 0 : 1}|${Number.isNaN(p.lowDeepSinceMs) ? 0 : 1}|${p.shedServers}`;
  for (const b of pbs) s += `|${b.active ? b.stageSinceMs.map((x) => (Number.isNaN(x) ? 0 : 1)).join('') : '-'}`;
  return s;
}

/** Whether anything asks for the row's power brake: POLCA, a manual brake, or an engaged playbook brake stage. */
export function rowBrakeWanted(p: PolcaRowState, manualBrake: boolean, playbooks: readonly Playbook[], states: readonly PlaybookState[]): boolean {
  return p.stage === 'brake' || manualBrake || states.some((s, i) => engagedActions(playbooks[i]!, s).some((x) => x.action.kind === 'brake'));
}

/** Clear and redraw a row's layers. Returns the ids of the playbooks to show on the row. */
export function drawRow(L: RowLayers, fleet: FleetColumns, row: RowSpan, inp: RowInputs, why: (text: string) => number): string[] {
  const { from, to, id: rowId } = row;
  for (const ly of [L.polca, L.polcaBrake, L.playbooks, L.manualBrake]) Arbiter.clear(ly, from, to);
  const st = inp.polca;
  const t2 = st.stage === 't2' || st.stage === 'brake';
  const pct = (x: number) => `${x} %`;
  const P = inp.config;
  // Per GPU model: the lock and its reason for each priority, computed once (not per GPU: 2,560 GPUs a row at ×8).
  const lockOf: Array<[number, number]> = [];
  const whyOf: Array<[number, number]> = [];
  const H = inp.controller ?? null;
  const deep = H !== null && !Number.isNaN(st.deepSinceMs);
  // Under Headroom the reason states what the level compared: envelope + learnt rise (headroom.ts).
  const basis = H ? ` (row can reach ${Math.round(st.lockPct + P.brakePct - P.t2Pct)} % within a lock's latency: learnt rise ${Math.round(st.risePct)} % + margin ${H.marginPct} %)` : '';
  const who = H ? 'Headroom' : 'POLCA';
  const shed = st.shedServers > 0 ? `; still above the brake level under the deep lock: shed ${st.shedServers} server${st.shedServers === 1 ? '' : 's'} (recommendation)` : '';
  fleet.models.forEach((m, mi) => {
    const caps = inp.caps[mi]!;
    const deepMHz = H ? Math.min(m.maxClockMHz, Math.max(m.minClockMHz, Math.round(m.maxClockMHz * H.deepClockShare))) : 0;
    const lo = polcaLockMHz(st, false, caps, deepMHz);
    const hi = polcaLockMHz(st, true, caps, deepMHz);
    lockOf.push([lo, hi]);
    if (deep) {
      const d = `Headroom deep lock on row ${rowId}: ${H.escalateBrakes} brakes within ${H.escalateWindowS} s`;
      whyOf.push([why(`${d}: low-priority GPU → ${lo} MHz${shed}`), why(`${d}: high-priority GPU → ${hi} MHz${shed}`)]);
      return;
    }
    const lowDeep = !Number.isNaN(st.lowDeepSinceMs);
    whyOf.push([
      lo > 0 && lowDeep
        ? why(`Headroom T2 on row ${rowId}${basis}: still above T2 (${pct(P.t2Pct)}) after the low-priority T2 locks: low-priority GPU → deep ${lo} MHz before any high-priority lock`)
        : lo > 0
          ? why(`${who} ${t2 ? `T2 (${pct(P.t2Pct)})` : `T1 (${pct(P.t1Pct)})`} on row ${rowId}${basis}: low-priority GPU → ${lo} MHz (${caps.origin})`)
          : 0,
      hi > 0 ? why(`${who} T2 on row ${rowId}${basis}: high-priority GPU, row still above T2 (${pct(P.t2Pct)}) after the low-priority locks → ${hi} MHz (${caps.origin})`) : 0,
    ]);
  });
  const LP = L.polca;
  const prio = fleet.priorities;
  const gm = fleet.gpuModel;
  for (let g = from; g < to; g++) {
    const k = prio[g] === 1 ? 1 : 0;
    const mi = gm[g]!;
    const lock = lockOf[mi]![k];
    if (lock > 0) {
      LP.lockMHz[g] = lock;
      LP.lockWhy[g] = whyOf[mi]![k];
    }
  }
  if (st.stage === 'brake') {
    const w = why(`POLCA brake on row ${rowId}: row power above ${pct(P.brakePct)} of its budget`);
    L.polcaBrake.brake.fill(1, from, to);
    L.polcaBrake.brakeWhy.fill(w, from, to);
  }
  const mb = inp.manualBrake;
  if (mb) {
    const w = why(`manual brake on row ${rowId} by ${mb.by}: ${mb.reason}`);
    L.manualBrake.brake.fill(1, from, to);
    L.manualBrake.brakeWhy.fill(w, from, to);
  }
  return drawPlaybooks(L.playbooks, fleet, row, inp.playbooks, inp.states, why);
}
