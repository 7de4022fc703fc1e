import { mkdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { Handlers } from '../../shared/contract.js';
import type { Actor } from '../../shared/domain/control.js';
import type { DrillEvent } from '../../shared/domain/scenario.js';
import { ScenarioError } from '../sim/references.js';
import { RefusalError } from './ports.js';
import { loadScenario, loadTraces, type LoadedScenario } from '../sim/config.js';
import { Simulator } from '../sim/simulator.js';
import { SimSource } from '../sources/simSource.js';
import type { DB } from '../store/db.js';
import { openTelemetryDb } from '../store/telemetryDb.js';
import { StoreWriter } from '../store/writer.js';
import { DEFAULT_RETENTION } from '../store/telemetry.js';
import { SimActuator } from '../actuators/simActuator.js';
import { AuditTrail } from '../store/audit.js';
import { openControlDb } from '../store/controlDb.js';
import { AlertHandling } from './alertHandling.js';
import { activeAlerts } from '../core/alerts.js';
import { createHandlers } from './api.js';
import { ControlService } from './control/service.js';
import { createPlanner } from './planner.js';
import { EventBus } from './bus.js';
import { Engine } from './engine.js';
import { Runner } from './runner.js';

export interface RuntimeOptions {
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
}

/** Everything a live face needs: engine + runner + bus + handlers, wired to the simulator and the store. */
export interface Runtime {
  loaded: LoadedScenario;
  sim: Simulator;
  engine: Engine;
  runner: Runner;
  bus: EventBus;
  handlers: Handlers;
  control: ControlService;
  audit: AuditTrail;
  /** Records a refused acting request in the audit trail (the faces' dispatch hook). */
  auditRefusal: (actor: Actor, channel: string, error: string) => void;
  close(): Promise<void>;
}

export async function createRuntime(o: RuntimeOptions): Promise<Runtime> {
  const loaded = loadScenario(o.scenario, { scale: o.scale });
  const { scenario, topology } = loaded;
  const sim = new Simulator(topology, scenario, loadTraces(), o.seed ?? scenario.seed);
  let writer: StoreWriter | null = null;
  let readDb: DB | null = null;
  if (o.db && o.db !== ':memory:') {
    mkdirSync(dirname(o.db), { recursive: true });
    // Open (and migrate) on this thread first: a bad file fails here with a clear message, before the worker starts.
    readDb = openTelemetryDb(o.db);
    const retention = { ...DEFAULT_RETENTION, ...(o.retainRawHours ? { rawS: o.retainRawHours * 3600 } : {}) };
    writer = await StoreWriter.start(o.db, { rows: topology.rows.length, racks: topology.racks.length }, retention);
  }
  const engine = new Engine({
    topology,
    source: new SimSource(sim),
    stepMs: scenario.stepMs,
    startMs: sim.timeMs,
    sink: writer,
    alertRules: scenario.alertRules,
  });
  const bus = new EventBus();
  const controlFile = o.controlDb !== undefined ? o.controlDb : o.db && o.db !== ':memory:' ? join(dirname(o.db), 'control.db') : null;
  if (controlFile) mkdirSync(dirname(controlFile), { recursive: true });
  const controlDb = openControlDb(controlFile ?? ':memory:');
  const audit = new AuditTrail(controlDb, { onAppend: (r) => bus.emit('audit:appended', r) });
  const control = new ControlService({
    engine,
    actuator: new SimActuator(sim),
    audit,
    priorities: sim.gpuPriority(),
    db: controlDb,
    onChange: (c) => {
      bus.emit('control:changed', c);
      // A row brake inhibits that row's GPU alerts: re-publish them with the new inhibition.
      bus.emit('alerts:changed', engine.activeAlerts());
    },
  });
  engine.addService(control);
  const alertOps = new AlertHandling({
    db: controlDb,
    audit,
    topology,
    brakedRows: () => control.brakedRows(),
    now: () => engine.nowMs,
    activeAlerts: () => activeAlerts(engine.alerts),
    // Acks and silences change what operators see at once, not at the next alert transition.
    onChange: () => bus.emit('alerts:changed', engine.activeAlerts()),
  });
  engine.alertDecorator = (alerts, nowMs) => alertOps.decorate(alerts, nowMs);
  const runner = new Runner(engine, bus, { speed: o.speed ?? 1, scenario: scenario.name, sink: writer });
  const drill = (event: DrillEvent, reason: string, actor: Actor) => {
    let at;
    try {
      at = sim.inject(event);
    } catch (e) {
      if (e instanceof ScenarioError) throw new RefusalError(e.message);
      throw e;
    }
    const target = 'row' in event ? `row ${event.row}` : `rows ${event.rows.join(', ')}`;
    audit.append({ actor, kind: 'drill', target, oldValue: '', newValue: JSON.stringify(at), reason, outcome: 'ok' }, engine.nowMs);
    return { event: `${event.kind} on ${target}`, atMs: engine.nowMs };
  };
  const handlers = createHandlers({ engine, runner, readDb, control, alertOps, audit, planner: createPlanner(), drill });
  return {
    loaded,
    sim,
    engine,
    runner,
    bus,
    handlers,
    control,
    audit,
    auditRefusal: (actor, channel, error) => {
      audit.append({ actor, kind: 'refusal', target: channel, oldValue: '', newValue: '', reason: error, outcome: 'refused' }, engine.nowMs);
    },
    async close() {
      runner.stop();
      await writer?.close();
      readDb?.close();
      controlDb.close();
    },
  };
}
