import { parentPort, workerData } from 'node:worker_threads';
import { runSweep, type SweepOptions } from './planner.js';

/**
 * Runs one capacity sweep off the engine's thread and posts the result (or the error). `workerData` is the validated
 * `planner:sweep` payload (shared/contract.ts): server range, step, duration and the optional `policies` and `demand`,
 * passed through to runSweep as they are (absent: runSweep's defaults). One seed: seeds are the CLI's.
 */
const port = parentPort!;
const p = workerData as SweepOptions;
const options: SweepOptions = {
  fromServers: p.fromServers,
  toServers: p.toServers,
  step: p.step,
  durationS: p.durationS,
  ...(p.policies ? { policies: p.policies } : {}),
  ...(p.demand ? { demand: p.demand } : {}),
};
runSweep(options).then(
  (result) => port.postMessage({ kind: 'result', result }),
  (e: unknown) => port.postMessage({ kind: 'error', error: e instanceof Error ? e.message : String(e) }),
);
