import { writeFileSync, renameSync } from 'node:fs';
import { DEFAULT_SIM_POLICY, runLoaded, type SimPolicy } from '../app/batch.js';
import type { SimReport, WorkloadFigures } from '../app/report.js';
import { loadScenario } from '../sim/config.js';
import type { DemandProfile } from '../sim/inference.js';


export { DEFAULT_SIM_POLICY, runLoaded, type RunPolicy, type SimPolicy, type LoadedRun } from '../app/batch.js';

export interface SimOptions {
  scenario: string;
  seed?: number;
  durationS: number;
  scale?: number;
  /** Optional telemetry.db to record into (synchronous, batch mode). */
  db?: string | null;
  /** Default 'headroom'. */
  policy?: SimPolicy;
  /** Demand profile; default: the scenario's ('production' unless it says otherwise). */
  demand?: DemandProfile;
  /** Also run the scenario unconstrained (same seed) and report throughput and p99 latency ratios against it. */
  compare?: boolean;
  onProgress?: (doneS: number, totalS: number) => void;
}

/** Run a scenario as fast as possible and return its report. Deterministic for scenario + seed. */
export function runSim(o: SimOptions): SimReport {
  const read = loadScenario(o.scenario, { scale: o.scale });
  const loaded = o.demand ? { ...read, scenario: { ...read.scenario, demand: o.demand } } : read;
  const seed = o.seed ?? loaded.scenario.seed;
  const policy = o.policy ?? DEFAULT_SIM_POLICY;
  let baseline: WorkloadFigures[] | null = null;
  let progress = o.onProgress;
  if (o.compare) {
    const total = 2 * o.durationS;
    const outer = o.onProgress;
    baseline = runLoaded(loaded, { seed, durationS: o.durationS, policy: 'unconstrained', onProgress: outer ? (d) => outer(d, total) : undefined }).figures;
    progress = outer ? (d) => outer(o.durationS + d, total) : undefined;
  }
  return runLoaded(loaded, { seed, durationS: o.durationS, policy, db: o.db ?? null, baseline, onProgress: progress }).report;
}

/** Write JSON atomically: a killed process leaves the old report or the new one, never half of one. */
export function writeJsonAtomic(file: string, data: unknown): void {
  const tmp = `${file}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(data, null, 2) + '\n');
  renameSync(tmp, file);
}
