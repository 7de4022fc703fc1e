import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime } from '../main/app/runtime.js';
import { getRun, listRuns } from '../main/store/runs.js';
import { openTelemetryDb } from '../main/store/telemetryDb.js';

/**
 * Issue 9's "no tick lost at ×10 with 10,240 GPUs", on the path `headroom serve --scale 8 --speed 10 --db <tmp>` runs:
 * the same runtime (simulator, engine, POLCA controller, alerts, store worker) and its runner started as the CLI does,
 * left to run `wallS` wall seconds with nobody connected. The runner paces the simulator on the store's back-pressure,
 * so the figures are the ticks the store dropped, whether it had to hold the simulator back, and the speed reached.
 */
export async function benchStoreSpeed(dir: string, o: { wallS?: number; scale?: number; speed?: number; log?: (line: string) => void } = {}) {
  const wallS = o.wallS ?? 60;
  const scale = o.scale ?? 8;
  const speed = o.speed ?? 10;
  const folder = join(dir, 'store-speed');
  mkdirSync(folder, { recursive: true });
  const db = join(folder, 'telemetry.db');
  // The runtime's operator log: a burst of ticks the store dropped is reported there.
  const logLines: string[] = [];
  const rt = await createRuntime({
    scenario: 'default',
    scale,
    speed,
    db,
    command: `headroom serve --scale ${scale} --speed ${speed} --db ${db} (bench)`,
    log: (line) => {
      logLines.push(line);
      o.log?.(`runtime: ${line}`);
    },
  });
  const startSimMs = rt.engine.nowMs;
  let samples = 0;
  let pacedSamples = 0;
  let maxLag = 0;
  const tickMs: number[] = [];
  let end;
  const t0 = performance.now();
  try {
    // As `headroom serve` does once its server listens.
    rt.runner.start();
    while (performance.now() - t0 < wallS * 1000) {
      await new Promise((r) => setTimeout(r, 1000));
      const s = rt.runner.status();
      samples++;
      if (s.store.paced) pacedSamples++;
      maxLag = Math.max(maxLag, s.store.lagBatches);
      tickMs.push(s.lastTickMs);
    }
    end = rt.runner.status();
  } finally {
    await rt.close();
  }
  const elapsedS = (performance.now() - t0) / 1000;
  const simulatedS = (end.simTimeMs - startSimMs) / 1000;
  // The store's own count after close (every queued batch flushed): what `headroom recording info` would report.
  const tdb = openTelemetryDb(db, true);
  const stored = getRun(tdb, listRuns(tdb).at(-1)?.id ?? 1);
  tdb.close();
  rmSync(folder, { recursive: true, force: true });
  const sorted = [...tickMs].sort((a, b) => a - b);
  return {
    gpus: rt.engine.topology.gpuCount,
    speed,
    wallS: Math.round(elapsedS * 10) / 10,
    simulatedS: Math.round(simulatedS),
    ticks: end.ticks,
    speedup: Math.round((simulatedS / elapsedS) * 100) / 100,
    droppedTicks: end.store.dropped,
    storedDroppedTicks: stored?.droppedTicks ?? null,
    storedTicks: stored?.ticks ?? null,
    storeErrors: end.store.errors,
    paced: pacedSamples > 0,
    pacedShare: samples ? Math.round((pacedSamples / samples) * 100) / 100 : 0,
    maxLagBatches: maxLag,
    lastTickP50Ms: sorted.length ? sorted[Math.floor(sorted.length / 2)]! : null,
    dropLogLines: logLines.filter((l) => /drop/i.test(l)).length,
    what: `\`headroom serve --scale ${scale} --speed ${speed} --db <tmp>\` without its HTTP server: createRuntime (simulator + engine + POLCA controller + alerts + store worker) and its runner, ${wallS} wall s, nobody connected; droppedTicks: the writer's count at the end (storedDroppedTicks: the run's count in telemetry.db after close); paced: the store held the simulator back at least once (pacedShare: share of 1 s status samples showing it); speedup: simulated s / wall s reached`,
  };
}
