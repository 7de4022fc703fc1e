import type { DrillReport, DrillSide, DrillSpec } from '../../shared/domain/drills.js';
import type { Topology } from '../../shared/domain/topology.js';
import type { RowControl } from '../../shared/domain/control.js';
import { DrillTally, type DrillScope } from '../core/drillScore.js';
import type { Engine } from '../engine/engine.js';
import type { ControlService } from '../engine/control/service.js';
import { loadScenario, type LoadedScenario } from '../sim/config.js';
import { DEFAULT_SIM_POLICY, runLoaded, type RunPolicy } from './batch.js';

/**
 * Drills headless (`headroom drill run NAME --auto`): the drill's site runs `warmS` seconds without its scripted
 * events (a quiet site), then the drill's events, three times from the same start and seed — with Headroom's
 * controller ("automatic"), with nobody responding (automation off) and without the drill (the work the window would
 * have done, for sloImpact) — and each side is scored (core/drillScore.ts). The console scores an operator's run of
 * the same drill with the same tally.
 */

/** Rows, racks and GPUs of the rows a drill scores. */
export function drillScope(t: Topology, rows: readonly string[]): DrillScope {
  const idx = rows.map((id) => {
    const r = t.rows.findIndex((x) => x.id === id);
    if (r < 0) throw new Error(`the drill scores row ${id}, which this site does not have (${t.rows.map((x) => x.id).join(', ')})`);
    return r;
  });
  const racks = t.racks.flatMap((rack, k) => (idx.includes(rack.row) ? [k] : []));
  const gpus: number[] = [];
  for (const k of racks) {
    const rack = t.racks[k]!;
    for (let s = rack.serverStart; s < rack.serverStart + rack.serverCount; s++) {
      const sv = t.servers[s]!;
      for (let g = sv.gpuStart; g < sv.gpuStart + sv.gpuCount; g++) gpus.push(g);
    }
  }
  return { rows: idx, racks, gpus: Int32Array.from(gpus) };
}

/** The drill's site, its scripted events replaced by the drill's (shifted by `warmS`), or by none. */
export function drillScenario(spec: DrillSpec, warmS: number, withDrill: boolean): LoadedScenario {
  const loaded = loadScenario(spec.scenario);
  const events = withDrill ? spec.events.map((e) => ({ ...e, atS: e.atS + warmS })) : [];
  return { ...loaded, scenario: { ...loaded.scenario, events } };
}

/** Feed a tally from an engine's tick (and the control plane, where there is one). */
export function tallyTick(tally: DrillTally, engine: Engine, control: ControlService | null, maxClockMHz: Float64Array, brakesAtStart: Int32Array | null, detectByAlerts = true): void {
  const t = engine.topology;
  tally.tick({
    nowMs: engine.nowMs,
    stale: engine.stale,
    stepS: engine.step / 1000,
    rowW: engine.controlRowW,
    rowBudgetKW: engine.rowBudgetKW,
    rackInletC: engine.rackInletC,
    tempC: engine.live.tempC,
    flags: engine.live.flags,
    util: engine.live.util,
    clockMHz: engine.live.clockMHz,
    maxClockMHz,
  });
  // Headroom detects when an alert on the drill's rows (or the site's) fires; an operator when they acknowledge one.
  if (detectByAlerts && tally.detectMs === null) {
    const rows = new Set(tally.scope.rows.map((r) => t.rows[r]!.id));
    for (const a of engine.alerts.alerts.values()) {
      if (a.state === 'firing' && (a.row === null || rows.has(a.row)) && a.rule !== 'controllerStage') tally.detected(a.firingSinceMs ?? engine.nowMs);
    }
  }
  if (control && brakesAtStart) {
    let brakes = 0;
    for (const r of tally.scope.rows) brakes += control.rowBrakes[r]! - brakesAtStart[r]!;
    tally.brakes = brakes;
  }
  if (tally.actionMs === null && engine.rowControl && tally.scope.rows.some((r) => actedOn(tally.startControl?.[r], engine.rowControl![r]!))) tally.acted(engine.nowMs);
}

const STAGE_RANK = { normal: 0, t1: 1, t2: 2, brake: 3 } as const;
/** The controller (or an operator) did more on a row than at the drill's start: more GPUs capped or braked, a higher stage, a playbook. */
export function actedOn(before: RowControl | undefined, now: RowControl): boolean {
  const b = before ?? { cappedGpus: 0, brakedGpus: 0, stage: 'normal' as const, playbook: null, manualBrake: null };
  return now.cappedGpus > b.cappedGpus || now.brakedGpus > b.brakedGpus || STAGE_RANK[now.stage] > STAGE_RANK[b.stage] || (now.playbook !== null && now.playbook !== b.playbook) || (now.manualBrake !== null && b.manualBrake === null);
}

export function maxClocks(t: Topology): Float64Array {
  const out = new Float64Array(t.gpuCount);
  for (const s of t.servers) for (let g = s.gpuStart; g < s.gpuStart + s.gpuCount; g++) out[g] = t.models[s.model]!.maxClockMHz;
  return out;
}

/** One headless run of a drill: its tally over the drill's window. */
export function runDrillSide(spec: DrillSpec, o: { seed?: number; warmS: number; policy: RunPolicy; withDrill: boolean }): DrillTally {
  const loaded = drillScenario(spec, o.warmS, o.withDrill);
  return runDrillWindow(loaded, { seed: o.seed ?? loaded.scenario.seed, startS: o.warmS, durationS: spec.durationS, rows: spec.rows, policy: o.policy });
}

/**
 * Run `loaded` from its start to `startS + durationS` and tally the window after `startS` on `rows` (the CLI's
 * drills, and the console's automatic side: the live run's timeline re-simulated with the controller on).
 */
export function runDrillWindow(loaded: LoadedScenario, o: { seed: number; startS: number; durationS: number; rows: readonly string[]; policy: RunPolicy; onProgress?: (doneS: number, totalS: number) => void }): DrillTally {
  const t = loaded.topology;
  const scope = drillScope(t, o.rows);
  const clocks = maxClocks(t);
  let tally: DrillTally | null = null;
  let brakesAtStart: Int32Array | null = null;
  let startMs = NaN;
  runLoaded(loaded, {
    seed: o.seed,
    durationS: o.startS + o.durationS,
    policy: o.policy,
    ...(o.onProgress ? { onProgress: o.onProgress } : {}),
    onTick: (engine, control) => {
      if (Number.isNaN(startMs)) startMs = engine.nowMs - engine.step + o.startS * 1000;
      if (engine.nowMs <= startMs) return;
      if (!tally) {
        tally = new DrillTally(scope, startMs);
        tally.startControl = engine.rowControl ? [...engine.rowControl] : null;
        brakesAtStart = control ? Int32Array.from(control.rowBrakes) : null;
      }
      tallyTick(tally, engine, control, clocks, brakesAtStart);
    },
  });
  if (!tally) throw new Error('the drill\'s window ran no tick');
  return tally;
}

/** `headroom drill run NAME --auto`: the automatic controller scored, beside nobody responding. */
export function drillReportAuto(spec: DrillSpec, o: { seed?: number; warmS: number }): DrillReport {
  const baseline = runDrillSide(spec, { ...o, policy: DEFAULT_SIM_POLICY, withDrill: false });
  const auto = runDrillSide(spec, { ...o, policy: DEFAULT_SIM_POLICY, withDrill: true }).side('automatic', baseline.workGpuS);
  const nobody = runDrillSide(spec, { ...o, policy: 'unconstrained', withDrill: true }).side('nobody', baseline.workGpuS);
  return assembleReport(spec, o, auto, [auto, nobody]);
}

export function assembleReport(spec: DrillSpec, o: { seed?: number; warmS: number }, scored: DrillSide, sides: DrillSide[]): DrillReport {
  return {
    drill: spec.id,
    title: spec.title,
    scenario: spec.scenario,
    seed: o.seed ?? loadScenario(spec.scenario).scenario.seed,
    startS: o.warmS,
    durationS: spec.durationS,
    rows: [...spec.rows],
    objective: spec.objective,
    score: scored.score,
    detectS: scored.detectS,
    firstActionS: scored.firstActionS,
    overBudgetS: scored.overBudgetS,
    maxInletC: scored.maxInletC,
    maxGpuC: scored.maxGpuC,
    brakes: scored.brakes,
    throttledGpuS: scored.throttledGpuS,
    sloImpact: scored.sloImpact,
    sides,
  };
}
