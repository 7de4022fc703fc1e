import { basename } from 'node:path';
import type { AlertRule } from '../../shared/domain/alerts.js';
import type { SourceConfig } from '../../shared/domain/sources.js';
import type { Topology } from '../../shared/domain/topology.js';
import type { Actuator } from '../core/ports.js';
import type { Source } from '../core/source.js';
import { SimActuator } from '../actuators/simActuator.js';
import { AgentActuator } from '../fleet/agentActuator.js';
import { FleetSource } from '../fleet/fleetSource.js';
import { loadInventoryFile, type Inventory } from '../fleet/inventory.js';
import { loadIdentity, type TlsIdentity } from '../pki/certs.js';
import { loadScenario, loadTraces, type LoadedScenario } from '../sim/config.js';
import { Simulator } from '../sim/simulator.js';
import { RecordingSource } from '../sources/recordingSource.js';
import { SimSource } from '../sources/simSource.js';
import { loadSourcesFile } from '../sources/sourcesFile.js';
import type { DB } from '../store/db.js';
import { openRecording, RECORDED_RUN, recordingFrameReader } from '../store/recording.js';
import { getRun } from '../store/runs.js';

/**
 * What a runtime runs on (a "plant"): the simulator, a real fleet (inventory, feeds, agents) or a recording played
 * back. Each is built and validated here, before any store opens, so a bad file fails cleanly.
 */

export interface FleetOptions {
  /** Inventory file: hosts and GPU UUIDs → rows, racks, slots. */
  inventory: string;
  /** Sources to start with (YAML/JSON `sources:` list); sources added in Settings are kept in control.db. */
  sources?: string;
  /** Directory with the site CA and the console's certificate (`headroom certs`). */
  certs?: string;
  /** Console certificate name in that directory (console-NAME.crt); default "console". */
  certName?: string;
  /** Agent lease length (ms); renewed every third of it. */
  leaseMs?: number;
  /**
   * A controller of a redundant set (`serve --controller`, main/ha/): commands go out only while `mayAct()` (it leads,
   * its etcd lease confirmed) and carry its `epoch()`; an agent refusing the epoch calls `onFenced`.
   */
  fencing?: { epoch: () => number | undefined; mayAct: () => boolean; onFenced: (host: string, error: string) => void };
}

export interface Plant {
  name: string;
  topology: Topology;
  source: Source;
  actuator: Actuator;
  priorities: Uint8Array;
  stepMs: number;
  startMs: number;
  alertRules?: readonly AlertRule[];
  loaded: LoadedScenario | null;
  sim: Simulator | null;
}

/** A recording played back: its topology, its frames as the source, an actuator that does nothing. */
export function recordingPlant(file: string): Plant & { db: DB; playback: { file: string; t0Ms: number; t1Ms: number }; recordingSource: RecordingSource } {
  const db = openRecording(file);
  try {
    const run = getRun(db, RECORDED_RUN)!;
    const frames = recordingFrameReader(db);
    const source = new RecordingSource(frames);
    const stepMs = 1000;
    return {
      name: `recording ${basename(file)}`,
      topology: run.topology,
      source,
      recordingSource: source,
      actuator: { id: 'recording', setPowerLimit: () => {}, setClockLock: () => {}, setBrake: () => {} },
      priorities: new Uint8Array(run.topology.gpuCount),
      stepMs,
      // The first tick reads the first recorded instant.
      startMs: frames.t0Ms - stepMs,
      loaded: null,
      sim: null,
      db,
      playback: { file: basename(file), t0Ms: frames.t0Ms, t1Ms: frames.t1Ms },
    };
  } catch (e) {
    db.close();
    throw e;
  }
}

export function simPlant(o: { scenario: string; scale?: number; seed?: number }): Plant {
  const loaded = loadScenario(o.scenario, { scale: o.scale });
  const { scenario, topology } = loaded;
  const sim = new Simulator(topology, scenario, loadTraces(), o.seed ?? scenario.seed);
  return {
    name: scenario.name,
    topology,
    source: new SimSource(sim),
    actuator: new SimActuator(sim),
    priorities: sim.gpuPriority(),
    stepMs: scenario.stepMs,
    startMs: sim.timeMs,
    alertRules: scenario.alertRules,
    loaded,
    sim,
  };
}

/** A real fleet. Every file is read and validated here, before any store opens: a bad file fails cleanly. */
export function fleetPlant(
  f: FleetOptions,
  log: (line: string) => void,
): Plant & { fleetSource: FleetSource; agentActuator: AgentActuator; identity: TlsIdentity | { error: string }; initialSources: SourceConfig[] } {
  const inventory = loadInventoryFile(f.inventory);
  const initialSources = f.sources ? loadSourcesFile(f.sources) : [];
  const fleetSource = new FleetSource(inventory);
  const agentActuator = new AgentActuator(inventory, {
    leaseMs: f.leaseMs,
    log,
    fresh: (host) => fleetSource.hostFresh(host),
    ...(f.fencing ? { mayAct: f.fencing.mayAct, onFenced: f.fencing.onFenced, claimLeases: true } : {}),
  });
  let identity: TlsIdentity | { error: string };
  if (!f.certs) identity = { error: 'no certificate directory given (--certs DIR; create one with `headroom certs`)' };
  else {
    try {
      identity = loadIdentity(f.certs, `console-${f.certName ?? 'console'}`);
    } catch (e) {
      identity = { error: e instanceof Error ? e.message : String(e) };
    }
  }
  return {
    name: inventory.topology.site.name,
    topology: inventory.topology,
    source: fleetSource,
    actuator: agentActuator,
    priorities: inventoryPriorities(inventory),
    stepMs: 1000,
    startMs: Date.now(),
    loaded: null,
    sim: null,
    fleetSource,
    agentActuator,
    identity,
    initialSources,
  };
}

/** Inventory servers marked `priority: high` carry latency-critical work: POLCA caps them last. */
function inventoryPriorities(inv: Inventory): Uint8Array {
  const out = new Uint8Array(inv.topology.gpuCount);
  for (const h of inv.hosts.values()) if (h.priority === 'high') for (const g of h.gpus) out[g] = 1;
  return out;
}
