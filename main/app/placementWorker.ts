import { parentPort, workerData } from 'node:worker_threads';
import type { PlacementRequest } from '../../shared/domain/placement.js';
import { openTelemetryDb } from '../store/telemetryDb.js';
import { adviseFromHistory } from './profiles.js';

/**
 * One placement query off the engine's thread: a read-only connection to the store (telemetry.db or a recording),
 * profiles from the run's last `windowS`, the advice; progress as it reads. `workerData`: file, run, request, windowS.
 */
const port = parentPort!;
const w = workerData as { file: string; run: number; request: PlacementRequest; windowS: number };
try {
  const db = openTelemetryDb(w.file, true);
  try {
    const advice = adviseFromHistory(db, w.run, w.request, { windowS: w.windowS, onProgress: (done, total) => port.postMessage({ kind: 'progress', done, total }) });
    port.postMessage({ kind: 'result', advice });
  } finally {
    db.close();
  }
} catch (e) {
  port.postMessage({ kind: 'error', error: e instanceof Error ? e.message : String(e) });
}
