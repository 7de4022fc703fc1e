import { parentPort, workerData } from 'node:worker_threads';
import { runSweep, type SweepOptions } from './planner.js';

/** Runs one capacity sweep off the engine's thread and posts the result (or the error). */
const port = parentPort!;
runSweep(workerData as SweepOptions).then(
  (result) => port.postMessage({ kind: 'result', result }),
  (e: unknown) => port.postMessage({ kind: 'error', error: e instanceof Error ? e.message : String(e) }),
);
