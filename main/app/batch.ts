import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { ControlSummary, PolicyConfig } from '../../shared/domain/control.js';
import { controlEvents } from '../core/controlEvents.js';
import { SimActuator } from '../actuators/simActuator.js';
import { loadTraces, type LoadedScenario } from '../sim/config.js';
import type { Scenario } from '../../shared/domain/scenario.js';
import { Simulator } from '../sim/simulator.js';
import type { RoutingMode } from '../sim/routing.js';
import type { AuditSink } from '../core/ports.js';
import { SimSource } from '../sources/simSource.js';
import { openTelemetryDb } from '../store/telemetryDb.js';
import { syncSink, TelemetryWriter } from '../store/telemetry.js';
import { beginRun, endRun } from '../store/runs.js';
import { ControlService } from '../engine/control/service.js';
import type { ControlMode } from '../engine/control/options.js';
import { Engine } from '../engine/engine.js';
import { SaasLevers } from '../engine/control/saasLevers.js';
import { WorkflowLevers } from '../engine/control/workflowLevers.js';
import type { WorkflowsFile } from '../../shared/domain/workflows.js';
import { createWorkflowDeployment, saasRacks, type WorkflowDeployment } from './workflowDeployment.js';
import { ReportBuilder, workloadFigures, type SimReport, type WorkloadFigures } from './report.js';

/**
 * The control plane of a batch run: Headroom's controller (main/core/control/headroom.ts); POLCA with priorities; POLCA with every GPU treated as low priority; `none`
 * (no caps, no playbooks: only the power brake above the row budget, the last resort every row has); or
 * `unconstrained` (no controller at all: the reference for throughput and latency ratios); `tapas`: POLCA's caps with
 * TAPAS's levers beside them — SaaS requests routed toward thermal and power slack (sim/routing.ts), SaaS instances
 * reconfigured before caps (engine/control/saasLevers.ts) — to measure the levers against caps alone; `murakkab`:
 * POLCA's caps with the declared workflows placed on the SaaS racks and re-planned under pressure before caps
 * (engine/control/workflowLevers.ts) — to measure that lever against caps alone.
 */
export type SimPolicy = 'headroom' | 'polca' | 'polca-no-priority' | 'none' | 'tapas' | 'murakkab';
export type RunPolicy = SimPolicy | 'unconstrained';

/** The controller a run, a sweep's default and the console use unless told otherwise: Headroom's own. */
export const DEFAULT_SIM_POLICY: SimPolicy = 'headroom';

/** The control service's mode for a policy: `none` is brake-only; POLCA without priorities is POLCA's mode. */
export function controlModeOf(policy: SimPolicy): ControlMode {
  return policy === 'none' ? 'brake-only' : policy === 'headroom' ? 'headroom' : 'polca';
}

/** The simulator's routing under a policy: TAPAS routes toward slack; every other policy leaves requests where dealt. */
export function routingOf(policy: RunPolicy): RoutingMode {
  return policy === 'tapas' ? 'slack' : 'affinity';
}

/** The workflow lever of a run: the declared workflows deployed on the simulator's SaaS racks, re-planned through it. */
export function workflowLevers(engine: Engine, sim: Simulator, deployment: WorkflowDeployment, audit: AuditSink | null, onChange?: () => void): WorkflowLevers {
  return new WorkflowLevers(engine, { slices: (r, nowMs) => deployment.slices(r, nowMs), replan: (r, racks, ratio, latencyS) => sim.replanWorkflows(r, racks, ratio, latencyS) }, audit, onChange);
}

export interface LoadedRun {
  report: SimReport;
  figures: WorkloadFigures[];
}

/**
 * What a run keeps so that it can be re-run through another policy (`headroom replay`, "Replay with…"): the scenario
 * as resolved (self-contained: no file needed later), the seed and the engine time of the simulator's start. Drills
 * started while it ran are on its event line (kind "scenario", with `event` and `by`).
 */
export interface ReplayOrigin {
  scenario: Scenario;
  seed: number;
  startMs: number;
}

export function replayOrigin(loaded: LoadedScenario, seed: number, startMs: number): ReplayOrigin {
  return { scenario: loaded.scenario, seed, startMs };
}

/** Run a loaded scenario once (no file I/O besides the optional telemetry.db). Deterministic for scenario + seed. */
export function runLoaded(
  loaded: LoadedScenario,
  o: {
    seed: number;
    durationS: number;
    policy: RunPolicy;
    /** Policy configuration (thresholds, actuation paths, playbooks); default: the paper's values. */
    config?: PolicyConfig;
    db?: string | null;
    baseline?: readonly WorkloadFigures[] | null;
    onProgress?: (doneS: number, totalS: number) => void;
    /** Row figures of the report count only ticks at or after this engine time (a replayed window); default: all. */
    reportFromMs?: number;
    /** Where the control plane's and the SaaS levers' actions are audited (default: nowhere, as batch runs are). */
    audit?: AuditSink | null;
    /** Called after every tick with the engine and the control plane (series of a replay). */
    onTick?: (engine: Engine, control: ControlService | null, sim: Simulator) => void;
    /** `murakkab`: the declared workflows (default: app/workflowSim.ts DEFAULT_WORKFLOWS). */
    workflows?: WorkflowsFile;
  },
): LoadedRun {
  const { scenario, topology, source } = loaded;
  const sim = new Simulator(topology, scenario, loadTraces(), o.seed);
  sim.setRouting(routingOf(o.policy));
  const name = source === 'default' ? 'default' : scenario.name;
  if (o.db && o.db !== ':memory:') mkdirSync(dirname(o.db), { recursive: true });
  const db = o.db ? openTelemetryDb(o.db) : null;
  const run = db
    ? beginRun(db, {
        kind: 'sim',
        label: `sim ${name}`,
        topology,
        meta: { scenario: name, seed: o.seed, durationS: o.durationS, policy: o.policy, replay: replayOrigin(loaded, o.seed, sim.timeMs) },
        startedWallMs: Date.now(),
      })
    : 0;
  const writer = db ? new TelemetryWriter(db, run, { rows: topology.rows.length, racks: topology.racks.length }) : null;
  const engine = new Engine({
    topology,
    source: new SimSource(sim),
    stepMs: scenario.stepMs,
    startMs: sim.timeMs,
    alertRules: scenario.alertRules,
    sink: writer ? syncSink(writer) : null,
  });
  let control: ControlService | null = null;
  let lastSummary: ControlSummary | null = null;
  // Murakkab: the row's workflows re-planned first; the caps after it (the same tick) only where that is not enough.
  const replans = o.policy === 'murakkab' ? workflowLevers(engine, sim, createWorkflowDeployment(topology, saasRacks(topology, sim), o.workflows, o.seed), o.audit ?? null) : null;
  if (replans) engine.addService(replans);
  if (o.policy !== 'unconstrained') {
    control = new ControlService({
      engine,
      actuator: new SimActuator(sim),
      audit: o.audit ?? null,
      priorities: o.policy === 'polca-no-priority' ? new Uint8Array(topology.gpuCount) : sim.gpuPriority(),
      store: null,
      onChange: (c) => {
        for (const e of controlEvents(lastSummary, c)) engine.note(e);
        lastSummary = c;
      },
      mode: controlModeOf(o.policy),
      ...(o.config ? { policy: o.config } : {}),
    });
    engine.addService(control);
  }
  // TAPAS: the SaaS levers beside the caps (routing is the simulator's load balancer, set above).
  const levers = o.policy === 'tapas' ? new SaasLevers(engine, { reconfigure: (r, rung) => sim.reconfigureRow(r, rung) }, o.audit ?? null) : null;
  if (levers) engine.addService(levers);
  const ticks = Math.round((o.durationS * 1000) / scenario.stepMs);
  const fromMs = o.reportFromMs ?? -Infinity;
  const report = new ReportBuilder(engine, ticks, control, sim);
  report.levers = levers;
  const progressEvery = Math.max(1, Math.floor(ticks / 200));
  try {
    let begun = fromMs === -Infinity;
    for (let i = 0; i < ticks; i++) {
      // The window's first tick lands at nowMs + step: its brakes and actions count.
      if (!begun && engine.nowMs + engine.step >= fromMs) {
        report.begin();
        begun = true;
      }
      const r = engine.tick();
      if (engine.nowMs >= fromMs) report.record(r.fired, r.notified);
      o.onTick?.(engine, control, sim);
      if (o.onProgress && (i % progressEvery === 0 || i === ticks - 1)) o.onProgress(((i + 1) * scenario.stepMs) / 1000, o.durationS);
    }
    writer?.flush();
    if (db) endRun(db, run, Date.now());
  } finally {
    db?.close();
  }
  return {
    report: report.build({ scenario: name, seed: o.seed, durationS: o.durationS, policy: o.policy }, sim.services, sim.training, o.baseline ?? null),
    figures: workloadFigures(sim.services, sim.training),
  };
}

