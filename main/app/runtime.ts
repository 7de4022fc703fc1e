import { hostname } from 'node:os';
import { mkdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { ControllerStatus } from '../../shared/domain/controller.js';
import type { Handlers } from '../../shared/contract.js';
import type { Actor, ControlSummary } from '../../shared/domain/control.js';
import { controlEvents } from '../core/controlEvents.js';
import { RefusalError } from '../core/ports.js';
import type { DB } from '../store/db.js';
import { checkTelemetryDb, openTelemetryDb } from '../store/telemetryDb.js';
import { AnchorLog } from '../store/anchors.js';
import { StoreWriter } from '../store/writer.js';
import { DEFAULT_RETENTION } from '../store/telemetry.js';
import { AuditTrail, recordedAudit } from '../store/audit.js';
import { checkControlDb, openControlDb } from '../store/controlDb.js';
import { certKeyId } from '../pki/countersig.js';
import { controlState } from '../store/control.js';
import { alertState } from '../store/alerts.js';
import { sourcesState } from '../store/sources.js';
import { beginRun } from '../store/runs.js';
import { AlertHandling, plantInhibitor } from '../engine/alertHandling.js';
import { activeAlerts } from '../core/alerts.js';
import { createHandlers } from '../engine/api.js';
import { ControlService } from '../engine/control/service.js';
import { PlantWatch } from '../engine/plantWatch.js';
import { createPlanner } from './planner.js';
import { createPlacement } from './placementApi.js';
import { startGridFeed, type GridMeterOption } from './gridFeed.js';
import { createWorkflowsOverview } from './workflowsView.js';
import { createWorkflowDeployment, saasRacks } from './workflowDeployment.js';
import { SaasLevers } from '../engine/control/saasLevers.js';
import { RefusalAudit } from './refusalAudit.js';
import { createIncidents } from './incidents.js';
import { createReplays } from './replayJobs.js';
import { controlModeOf, DEFAULT_SIM_POLICY, replayOrigin, workflowLevers } from './batch.js';
import { PolicyConfigSchema } from '../../shared/domain/control.js';
import type { SourcesApi } from '../core/ports.js';
import { agentAuditHeads, simSources, telemetryReader } from './runtimeAdapters.js';
import type { LoadedScenario } from '../sim/config.js';
import type { Simulator } from '../sim/simulator.js';
import type { AgentActuator } from '../fleet/agentActuator.js';
import type { FleetSource } from '../fleet/fleetSource.js';
import { RECORDED_RUN } from '../store/recording.js';
import { SourceManager } from '../fleet/manager.js';
import { EventBus } from '../engine/bus.js';
import { Engine } from '../engine/engine.js';
import { Runner } from '../engine/runner.js';
import type { DispatchOptions } from '../engine/dispatch.js';
import { commandSummary } from '../core/dataLock.js';
import { dataFolders, lockDataFolders, type DataLock } from '../node/dataLock.js';
import { AlertmanagerSender, type AlertmanagerOptions } from '../node/alertmanager.js';
import { currentRun, runMarker, type RunIdentity } from './runMarker.js';
import { createLiveDrills } from './liveDrills.js';
import { fleetPlant, recordingPlant, simPlant, type FleetOptions, type Plant } from './plants.js';

export interface RuntimeOptions {
  /** Scenario for the built-in simulator (ignored with `fleet`). */
  scenario: string;
  scale?: number;
  seed?: number;
  speed?: number;
  /** telemetry.db path; null (or ":memory:", which a worker cannot share) = no storage. */
  db: string | null;
  /** How long raw samples are kept (h); rollups keep 14 days (10 s) and 400 days (60 s). */
  retainRawHours?: number;
  /** control.db path (overrides, policy, audit); default: next to telemetry.db, or in memory without one. */
  controlDb?: string | null;
  /**
   * Play back a `.headroom` recording instead (read-only): its frames are the source, nothing is written to it or to a
   * data folder (telemetry and control state live in memory), and every acting request is refused.
   */
  recording?: string;
  /** Watch and steer a real fleet through agents and exporters instead of the simulator. */
  fleet?: FleetOptions;
  /** Append signed audit chain heads to a log in this folder (write-once storage; see docs/SECURITY.md). */
  auditAnchor?: { dir: string; everyRecords?: number; everyMs?: number };
  log?: (line: string) => void;
  /** The command line recorded in the data-folder lock and the run markers (default: this process's, secrets hidden). */
  command?: string;
  /** Send alerts to a Prometheus Alertmanager (main/node/alertmanager.ts); not while playing back a recording. */
  alertmanager?: AlertmanagerOptions;
  /**
   * The simulator with TAPAS's levers beside the caps (`serve --tapas`): SaaS requests routed toward thermal and power
   * slack, SaaS instances reconfigured before caps, each change audited and shown on its row. Simulator only.
   */
  tapas?: boolean;
  /** The simulator with Murakkab's lever (`serve --murakkab`): a row's workflows re-planned under pressure before caps. */
  murakkab?: boolean;
  /**
   * The grid view's source (`serve --grid-meter`): a simulated grid meter at 100 Hz on the training-swings site with
   * that remedy (simulator only), or a real meter over Modbus/TCP; absent: the site's power from the engine at 1 Hz.
   */
  gridMeter?: GridMeterOption;
  /**
   * This process is the leader of a redundant controller set (`serve --controller`, main/ha/controller.ts): its
   * leadership on the faces (`controller:status`), its epoch on every agent command (with `fleet.fencing`).
   */
  controller?: { status: () => ControllerStatus };
  /** The faces' event bus (a controller keeps one across its standby and leading lives); default: a new one. */
  bus?: EventBus;
}

/** Everything a live face needs: engine + runner + bus + handlers, wired to the simulator or a real fleet and the store. */
export interface Runtime {
  /** The scenario (simulator) or the inventory's site (real fleet). */
  name: string;
  loaded: LoadedScenario | null;
  sim: Simulator | null;
  engine: Engine;
  runner: Runner;
  bus: EventBus;
  handlers: Handlers;
  control: ControlService;
  audit: AuditTrail;
  /** Real fleet only: the sources, the fleet-wide source and the agent actuator. */
  fleet: { sources: SourceManager; source: FleetSource; actuator: AgentActuator } | null;
  /** Roles that differ from the contract's table here: in a recording, viewers may play, pause and seek. */
  roles: DispatchOptions['roles'];
  /**
   * Records a refused acting request in the audit trail (the faces' dispatch hook): the first per principal and
   * channel in a minute in full, then one record with the count of the rest (see RefusalAudit).
   */
  auditRefusal: (actor: Actor, channel: string, error: string) => void;
  close(): Promise<void>;
}

/** What drives the engine: the GPUs (simulated or real), how to act on them, and the faces' extra handlers. */
export async function createRuntime(o: RuntimeOptions): Promise<Runtime> {
  const log = o.log ?? ((line: string) => console.error(line));
  if (o.recording) {
    // Read-only: no data folder, no lock, no file written; the recording is opened read-only.
    const rp = recordingPlant(o.recording);
    try {
      return await wire({ ...o, db: null, controlDb: null, fleet: undefined }, rp, null, log, { run: currentRun(o.command ?? commandSummary(process.argv.slice(1))), lock: null }, rp);
    } catch (e) {
      rp.db.close();
      throw e;
    }
  }
  const fp = o.fleet ? fleetPlant(o.fleet, log) : null;
  const plant: Plant = fp ?? simPlant(o);
  const run = currentRun(o.command ?? commandSummary(process.argv.slice(1)));
  let lock: DataLock | null = null;
  // From here on the actuator's renewal timer runs: a failure below must stop it (and free the data folder).
  try {
    // One Headroom per data folder, locked before any store opens: a second start is refused, naming the holder.
    lock = lockDataFolders(dataFolders([o.db, controlFileOf(o)]), { command: run.command, log, now: () => run.startedAtMs });
    return await wire(o, plant, fp, log, { run, lock });
  } catch (e) {
    fp?.agentActuator.close();
    lock?.release();
    throw e;
  }
}

/** control.db: as given, else next to telemetry.db, else none (in memory). */
function controlFileOf(o: RuntimeOptions): string | null {
  return o.controlDb !== undefined ? o.controlDb : o.db && o.db !== ':memory:' ? join(dirname(o.db), 'control.db') : null;
}

async function wire(
  o: RuntimeOptions,
  plant: Plant,
  fp: ReturnType<typeof fleetPlant> | null,
  log: (line: string) => void,
  session: { run: RunIdentity; lock: DataLock | null },
  rp: ReturnType<typeof recordingPlant> | null = null,
): Promise<Runtime> {
  const { topology, sim } = plant;
  let writer: StoreWriter | null = null;
  let readDb: DB | null = rp ? rp.db : null;
  let run = rp ? RECORDED_RUN : 0;
  // Every store is checked read-only, and opened, before any is changed or the store worker starts: a refused file
  // (not SQLite, damaged, a directory, read-only, newer, locked) stops the start-up with nothing changed or running.
  const telemetryFile = !rp && o.db && o.db !== ':memory:' ? o.db : null;
  const controlFile = controlFileOf(o);
  for (const f of [telemetryFile, controlFile]) if (f) mkdirSync(dirname(f), { recursive: true });
  if (telemetryFile) checkTelemetryDb(telemetryFile);
  if (controlFile) checkControlDb(controlFile);
  if (o.auditAnchor && !rp) AnchorLog.checkDir(o.auditAnchor.dir);
  const controlDb = openControlDb(controlFile ?? ':memory:', { checked: true });
  if (telemetryFile) {
    readDb = openTelemetryDb(telemetryFile, false, { checked: true });
    // This run's own identity and time line: nothing it writes can overwrite another run's history.
    run = beginRun(readDb, {
      kind: fp ? 'fleet' : 'sim',
      label: fp ? `fleet ${o.fleet?.inventory ?? ''}`.trim() : `sim ${plant.name}`,
      topology,
      meta: {
        scenario: plant.name,
        seed: o.seed ?? null,
        pid: process.pid,
        host: hostname(),
        startedAt: new Date().toISOString(),
        policy: 'polca',
        // A simulator run keeps its demand so that a saved incident can be replayed through another policy.
        ...(plant.loaded && sim ? { replay: replayOrigin(plant.loaded, o.seed ?? plant.loaded.scenario.seed, plant.startMs) } : {}),
      },
      startedWallMs: Date.now(),
    });
    const retention = { ...DEFAULT_RETENTION, ...(o.retainRawHours ? { rawS: o.retainRawHours * 3600 } : {}) };
    writer = await StoreWriter.start(telemetryFile, run, { rows: topology.rows.length, racks: topology.racks.length }, retention);
  }
  const engine = new Engine({
    topology,
    source: plant.source,
    stepMs: plant.stepMs,
    startMs: plant.startMs,
    sink: writer,
    alertRules: plant.alertRules,
  });
  const bus = o.bus ?? new EventBus();
  let anchors: AnchorLog | null = null;
  const audit = new AuditTrail(controlDb, {
    onAppend: (r) => {
      anchors?.noteAppend(r);
      bus.emit('audit:appended', r);
    },
  });
  if (o.auditAnchor && controlFile && !rp) {
    anchors = AnchorLog.open(o.auditAnchor.dir, { ...o.auditAnchor, db: controlFile, head: () => audit.head(), log });
    log(`audit anchors → ${anchors.file} (key ${anchors.keyId})`);
  }
  // Run markers: where this run's records begin and end in a control.db that outlives runs.
  const runLabel = fp ? `fleet ${o.fleet!.inventory}` : rp ? plant.name : `sim ${plant.name}`;
  audit.append(runMarker(runLabel, session.run, 'started'), engine.nowMs);
  let lastSummary: ControlSummary | null = null;
  const control = new ControlService({
    engine,
    actuator: plant.actuator,
    audit,
    priorities: plant.priorities,
    // The console runs the default controller, Headroom's own (POLCA's levels staged from the row's learnt rises: docs/CONTROL.md).
    mode: controlModeOf(DEFAULT_SIM_POLICY),
    // Real GPUs are capped through their agents (NVML, in-band, ~1 s), not a BMC: unless control.db says otherwise.
    ...(fp ? { policy: PolicyConfigSchema.parse({ actuation: { capPath: 'inBand' } }) } : {}),
    store: controlState(controlDb),
    onChange: (c) => {
      // Stages, brakes and overrides go on the run's time line (past charts show what was in force then).
      for (const e of controlEvents(lastSummary, c)) engine.note(e);
      lastSummary = c;
      bus.emit('control:changed', c);
      // A row brake inhibits that row's GPU alerts: re-publish them with the new inhibition.
      bus.emit('alerts:changed', engine.activeAlerts());
    },
  });
  // A recording's control state is its recorded events (the timeline lists them): POLCA must not act on recorded
  // data, so the control service never ticks there (and its actuator does nothing).
  // Live N-1 analysis of the plant the budgets come from (not on recorded data), its responses armed through the
  // control plane's arbiter. It ticks before the control service, so a plan fired at a failure is commanded that tick.
  const plantWatch = !rp && topology.plant ? new PlantWatch(engine, plant.priorities, () => control.getPolicy(), () => sim?.plantState() ?? null, undefined, () => sim?.plantOutRoots() ?? { failed: [], maintenance: [] }) : null;
  if (plantWatch) {
    plantWatch.arm(control.arbiter);
    engine.addService(plantWatch);
  }
  if (!rp) engine.addService(control);
  const alertOps = new AlertHandling({
    store: alertState(controlDb),
    audit,
    topology,
    brakedRows: () => control.brakedRows(),
    now: () => engine.nowMs,
    activeAlerts: () => activeAlerts(engine.alerts),
    // Acks and silences change what operators see at once, not at the next alert transition.
    onChange: () => bus.emit('alerts:changed', engine.activeAlerts()),
    inhibitor: plantInhibitor(() => engine.plantOut, engine.rules),
  });
  engine.alertDecorator = (alerts, nowMs) => alertOps.decorate(alerts, nowMs);
  // Alertmanager (serve --alertmanager): every change of the active list, firing ones re-sent; recorded alerts never.
  const alertmanager = o.alertmanager && !rp ? new AlertmanagerSender(o.alertmanager, { topology, log }) : null;
  if (alertmanager) bus.on('alerts:changed', (alerts) => alertmanager.update(alerts, engine.nowMs));
  const runner = new Runner(engine, bus, {
    speed: fp ? 1 : (o.speed ?? 1),
    scenario: plant.name,
    sink: writer,
    realTime: fp !== null,
    log,
    ...(rp ? { recording: { ...rp.playback, atEnd: (nowMs: number) => rp.recordingSource.atEnd(nowMs) } } : {}),
  });
  // TAPAS's levers (simulator only): the simulated load balancer routes toward slack; the SaaS levers reconfigure.
  if (o.tapas && sim && !rp) {
    sim.setRouting('slack');
    engine.addService(new SaasLevers(engine, { reconfigure: (r, rung) => sim.reconfigureRow(r, rung) }, audit, () => bus.emit('control:changed', control.summary())));
  }
  // The declared workflows on the SaaS racks (the Workflows view, the floor); Murakkab's lever re-plans them (simulator only).
  const deployment = createWorkflowDeployment(topology, saasRacks(topology, rp ? null : sim), undefined, o.seed ?? 1);
  if (o.murakkab && sim && !rp) engine.addService(workflowLevers(engine, sim, deployment, audit, () => bus.emit('control:changed', control.summary())));
  // The grid view's feed: a meter at the point of interconnection (real or simulated), or the engine's site power.
  const { feed: grid, stop: stopGridMeter } = startGridFeed(rp ? undefined : o.gridMeter, { simulated: sim !== null, seed: o.seed ?? 1, log });
  engine.addService(grid);
  // Drills: events started now (sim:inject) and library drills scored against the automatic controller (liveDrills.ts).
  const drills = createLiveDrills({ sim: rp ? null : sim, loaded: plant.loaded, seed: o.seed ?? plant.loaded?.scenario.seed ?? 1, engine, control, audit, dir: !rp && o.db && o.db !== ':memory:' ? join(dirname(o.db), 'drills') : null });
  if (!rp && sim) engine.addService(drills.service);
  const liftArmed = (device: string, reason: string, actor: Actor) => {
    const f = plantWatch?.lift(device);
    if (!f) throw new RefusalError(`no armed response is in force for ${device}`);
    audit.append({ actor, kind: 'armed', target: `armed response ${device}`, oldValue: `caps ${f.capsKW} kW on ${f.gpus} GPUs`, newValue: 'lifted', reason, outcome: 'ok' }, engine.nowMs);
    engine.note({ kind: 'armed', subject: device, body: { lifted: true, by: actor.user, reason } });
    return { device, capsKW: f.capsKW, gpus: f.gpus };
  };
  const sources = fp
    ? new SourceManager({
        fleet: fp.fleetSource,
        actuator: fp.agentActuator,
        identity: fp.identity,
        inventoryFile: o.fleet!.inventory,
        store: sourcesState(controlDb),
        audit,
        now: () => engine.nowMs,
        log,
        onConfigProblems: (p) => (engine.configProblems = p),
        auditHeads: agentAuditHeads(audit, controlDb, log),
        ...(o.fleet?.fencing ? { epoch: o.fleet.fencing.epoch } : {}),
      })
    : null;
  if (fp && !('error' in fp.identity)) log(`audit heads: agents countersign this console's audit chain head (console key ${certKeyId(fp.identity.cert)})`);
  if (fp && sources) sources.startSaved(fp.initialSources);
  const sourcesApi: SourcesApi = sources ?? simSources(engine);
  const incidents = createIncidents({
    store: !rp && readDb && writer && o.db ? { file: o.db, db: readDb, run, idle: () => writer.idle() } : null,
    dir: !rp && o.db && o.db !== ':memory:' ? join(dirname(o.db), 'recordings') : null,
    controlFile: rp ? null : controlFile,
    recording: rp ? { file: o.recording!, db: rp.db, bytes: statSync(o.recording!).size, t0Ms: rp.playback.t0Ms, t1Ms: rp.playback.t1Ms } : null,
    policy: () => control.getPolicy(),
    audit,
    nowMs: () => engine.nowMs,
  });
  const handlers = createHandlers({
    engine,
    runner,
    telemetry: telemetryReader(readDb, run),
    control,
    alertOps,
    // A recording's Audit view lists the records it carries (who did what, why, in its window), not this session's.
    audit: rp ? recordedAudit(rp.db) : audit,
    planner: createPlanner(),
    placement: createPlacement(!rp && readDb && writer && telemetryFile ? { file: telemetryFile, run, idle: () => writer.idle() } : null, rp ? 'a recording plays back: advise on the live site' : undefined),
    grid,
    workflows: createWorkflowsOverview(undefined, o.seed ?? 1, deployment),
    drill: drills.inject,
    drills: drills.api,
    sources: sourcesApi,
    incidents,
    replays: createReplays(rp ? o.recording! : null),
    plant: plantWatch,
    liftArmed,
    realFleet: fp !== null,
    ...(o.controller ? { controller: o.controller.status } : {}),
    auditRun: (actor, oldValue, newValue) => audit.append({ actor, kind: 'sim', target: rp ? 'playback' : 'simulation', oldValue, newValue, reason: '', outcome: 'ok' }, engine.nowMs),
    ...(rp ? { recording: rp.playback } : {}),
  });
  // Refusals: the first per (principal, channel) in a minute in full, then one record with the count (never one each).
  const refusals = new RefusalAudit(({ actor, channel, reason, more }) => {
    if (!controlDb.open) return;
    audit.append({ actor, kind: 'refusal', target: channel, oldValue: '', newValue: more ? JSON.stringify(more) : '', reason, outcome: 'refused' }, engine.nowMs);
  });
  return {
    name: plant.name,
    loaded: plant.loaded,
    sim,
    fleet: fp && sources ? { sources, source: fp.fleetSource, actuator: fp.agentActuator } : null,
    engine,
    runner,
    bus,
    handlers,
    control,
    audit,
    roles: rp ? { 'sim:control': 'viewer' } : undefined,
    auditRefusal: (actor, channel, error) => refusals.record(actor, channel, error),
    async close() {
      runner.stop();
      stopGridMeter();
      alertmanager?.close();
      control.close();
      fp?.agentActuator.close();
      await sources?.close();
      await writer?.close();
      readDb?.close();
      if (controlDb.open) {
        refusals.flush();
        audit.append(runMarker(runLabel, session.run, 'stopped'), engine.nowMs);
      }
      anchors?.close(controlDb.open ? audit.head() : undefined);
      controlDb.close();
      session.lock?.release();
    },
  };
}
