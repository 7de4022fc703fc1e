import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Handlers } from '../../shared/contract.js';
import { loadScenario, loadTraces, type LoadedScenario } from '../sim/config.js';
import { Simulator } from '../sim/simulator.js';
import { SimSource } from '../sources/simSource.js';
import type { DB } from '../store/db.js';
import { openTelemetryDb } from '../store/telemetryDb.js';
import { StoreWriter } from '../store/writer.js';
import { DEFAULT_RETENTION } from '../store/telemetry.js';
import { createHandlers } from './api.js';
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
}

/** Everything a live face needs: engine + runner + bus + handlers, wired to the simulator and the store. */
export interface Runtime {
  loaded: LoadedScenario;
  sim: Simulator;
  engine: Engine;
  runner: Runner;
  bus: EventBus;
  handlers: Handlers;
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
  const runner = new Runner(engine, bus, { speed: o.speed ?? 1, scenario: scenario.name, sink: writer });
  const handlers = createHandlers({ engine, runner, readDb });
  return {
    loaded,
    sim,
    engine,
    runner,
    bus,
    handlers,
    async close() {
      runner.stop();
      await writer?.close();
      readDb?.close();
    },
  };
}
