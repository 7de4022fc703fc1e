import { parentPort, workerData } from 'node:worker_threads';
import type { PlacementRequest } from '../../shared/domain/placement.js';
import { openTelemetryDb } from '../store/telemetryDb.js';
import { adviseFromHistory, forecastFromHistory, rackProfileFromHistory } from './profiles.js';

/**
 * One profile query off the engine's thread: a read-only connection to the store (telemetry.db or a recording), then
 * either placement advice (`request`: profiles from the run's last `windowS`, progress as it reads) or one rack's
 * profile (`rack`) or every rack's forecast (`forecast`). `workerData`: file, run, windowS and request, rack or forecast.
 */
const port = parentPort!;
const w = workerData as { file: string; run: number; windowS: number } & ({ request: PlacementRequest } | { rack: number } | { forecast: true });
try {
  const db = openTelemetryDb(w.file, true);
  try {
    if ('forecast' in w) port.postMessage({ kind: 'result', value: forecastFromHistory(db, w.run, { windowS: w.windowS }) });
    else if ('rack' in w) port.postMessage({ kind: 'result', value: rackProfileFromHistory(db, w.run, w.rack, { windowS: w.windowS }) });
    else port.postMessage({ kind: 'result', value: adviseFromHistory(db, w.run, w.request, { windowS: w.windowS, onProgress: (done, total) => port.postMessage({ kind: 'progress', done, total }) }) });
  } finally {
    db.close();
  }
} catch (e) {
  port.postMessage({ kind: 'error', error: e instanceof Error ? e.message : String(e) });
}
