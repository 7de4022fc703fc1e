import { parentPort, workerData } from 'node:worker_threads';
import type { LoadedScenario } from '../sim/config.js';
import { DEFAULT_SIM_POLICY } from './batch.js';
import { runDrillWindow } from './drill.js';

/**
 * The automatic side of a console drill, off the engine's thread: the live run's timeline (its scenario and the events
 * started while it ran) re-simulated from its start with Headroom's controller to the drill's end, and once more
 * without the drill's events (the work the window would have done: sloImpact's yardstick for both sides).
 */
export interface DrillJob {
  loaded: LoadedScenario;
  /** The same timeline without the drill's events. */
  without: LoadedScenario;
  seed: number;
  startS: number;
  durationS: number;
  rows: string[];
}

const port = parentPort!;
const job = workerData as DrillJob;
try {
  const base = { seed: job.seed, startS: job.startS, durationS: job.durationS, rows: job.rows, policy: DEFAULT_SIM_POLICY };
  const baseline = runDrillWindow(job.without, base);
  const auto = runDrillWindow(job.loaded, base);
  port.postMessage({ kind: 'result', side: auto.side('automatic', baseline.workGpuS), baselineWorkGpuS: baseline.workGpuS });
} catch (e) {
  port.postMessage({ kind: 'error', error: e instanceof Error ? e.message : String(e) });
}
