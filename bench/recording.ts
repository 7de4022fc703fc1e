import { rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { runLoaded } from '../main/app/batch.js';
import { replayRecording, simAndRecord } from '../main/cli/history.js';
import { loadScenario } from '../main/sim/config.js';
import { recordingInfo, writeRecording } from '../main/store/recording.js';
import { getRun, listRuns } from '../main/store/runs.js';
import { openTelemetryDb } from '../main/store/telemetryDb.js';

/**
 * Issue 9's scale: 1 h of 10,240 simulated GPUs at 1 s under POLCA, stored in telemetry.db, saved as a recording,
 * opened, and replayed through the same policy. Every figure is the whole user path of that command. The saved
 * recording (`file`) is left in `dir` for the scrub benchmark; the caller deletes it.
 */
export function benchRecording(dir: string, o: { durationS?: number; scale?: number } = {}) {
  const durationS = o.durationS ?? 3600;
  const scale = o.scale ?? 8;
  const db = join(dir, 'rec-telemetry.db');
  const out = join(dir, 'bench.headroom');
  const loaded = loadScenario('default', { scale });
  let t0 = performance.now();
  runLoaded(loaded, { seed: 7, durationS, policy: 'polca', db });
  const simWithStoreS = (performance.now() - t0) / 1000;
  const tdb = openTelemetryDb(db, true);
  const run = listRuns(tdb).at(-1)?.id ?? 1;
  const stored = getRun(tdb, run);
  const storeBytes = statSync(db).size + (statSync(`${db}-wal`, { throwIfNoEntry: false })?.size ?? 0);
  t0 = performance.now();
  writeRecording({ telemetry: tdb, run, out, meta: { bench: true } });
  const saveMs = performance.now() - t0;
  tdb.close();
  t0 = performance.now();
  const info = recordingInfo(out);
  const openMs = performance.now() - t0;
  // Replay needs the provenance `sim --record` writes: record the same run that way (timed apart), then replay it.
  const rec = join(dir, 'bench-sim.headroom');
  simAndRecord({ scenario: 'default', scale, seed: 7, durationS, policy: 'polca', out: rec });
  t0 = performance.now();
  replayRecording(rec, 'polca');
  const replayS = (performance.now() - t0) / 1000;
  rmSync(rec, { force: true });
  rmSync(db, { force: true });
  rmSync(`${db}-wal`, { force: true });
  return {
    gpus: loaded.topology.gpuCount,
    durationS,
    /** The saved recording, kept for the scrub benchmark: the caller deletes it. */
    file: out,
    what:
      'store: telemetry.db bytes (with WAL) / GPU-samples after `sim --db` (frames + rollups + events); recording: `record` of the whole run (saveMs: copy + fsync + rename), `recording info` (openMs: open read-only, checks, quick_check), file bytes / GPU-samples; replay: `replay` with POLCA (re-simulation with controller, no store) simulated s / wall s',
    storeBytesPerGpuSample: stored?.samples ? Math.round((storeBytes / stored.samples) * 100) / 100 : null,
    simWithStoreSpeedup: Math.round(durationS / simWithStoreS),
    recording: {
      bytesPerGpuSample: Math.round((info.bytes / info.samples) * 100) / 100,
      bytes: info.bytes,
      saveMs: Math.round(saveMs),
      openMs: Math.round(openMs),
    },
    replay: { speedup: Math.round(durationS / replayS), wallS: Math.round(replayS * 10) / 10 },
  };
}
