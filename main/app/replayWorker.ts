import { parentPort, workerData } from 'node:worker_threads';
import type { PolicyConfig } from '../../shared/domain/control.js';
import type { ReplayPolicy } from '../../shared/domain/replay.js';
import { replayCompare, replayPlan } from './replay.js';

/** Runs one counterfactual replay off the engine's thread; posts progress (a few times a second at most) and the result. */
const port = parentPort!;
const job = workerData as { file: string; policy: ReplayPolicy; config: PolicyConfig };
try {
  let last = 0;
  const result = replayCompare(replayPlan(job.file), job.policy, job.config, (doneS, totalS) => {
    const now = Date.now();
    if (now - last < 200) return;
    last = now;
    port.postMessage({ kind: 'progress', doneS, totalS });
  });
  port.postMessage({ kind: 'result', result });
} catch (e) {
  port.postMessage({ kind: 'error', error: e instanceof Error ? e.message : String(e) });
}
