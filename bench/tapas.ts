import { openTelemetryDb } from '../main/store/telemetryDb.js';
import { beginRun } from '../main/store/runs.js';
import { encodeFrame, GPU_CHANNEL, RACK_CHANNEL } from '../main/store/frames.js';
import { insertChannels } from '../main/store/migrations/telemetry.js';
import { fitProfiles } from '../main/app/profiles.js';
import { place } from '../main/core/placement.js';
import { runLoaded } from '../main/app/batch.js';
import { loadScenario } from '../main/sim/config.js';
import { createRng } from '../main/sim/rng.js';

/**
 * Issue 14's scale (called from bench/run.ts):
 *  - fitMs: profiles of 10,240 GPUs (default site ×8) from 24 h of stored history, as `headroom place --db` fits them
 *    (default 10 s stride): the rack channel is stored at 1 Hz (86,400 frames, every one iterated) and GPU frames at
 *    the 8,640 stride instants the fit reads by key (those between are never read, so they are not written here);
 *    values synthetic (a rack inlet following its power, GPUs at varied load, a tenth of the servers idle); this thread;
 *  - placeMs: `place()` of 512 training GPUs among the idle servers (cold: the first call; warm: the best of 20);
 *  - simSpeedup: `headroom sim --scenario tapas --policy tapas` (1,280 GPUs, 1 h: simulator with routing and
 *    reconfiguration, engine, POLCA's control service, the SaaS levers, report), best of 3 after one warm-up, with the
 *    same run under `--policy polca` beside it (the cost of the levers).
 */
export function benchTapas(dir: string) {
  const { topology: t } = loadScenario('default', { scale: 8 });
  const file = `${dir}/tapas-fit.db`;
  const db = openTelemetryDb(file);
  const run = beginRun(db, { kind: 'sim', label: 'bench tapas', topology: t, meta: {}, startedWallMs: Date.now() });
  insertChannels(db);
  const rng = createRng(5);
  const day = 86_400;
  const t0Ms = Date.parse('2026-01-01T00:00:00Z');
  const idle = t.servers.map(() => rng() < 0.1);
  const rackW = new Float64Array(t.racks.length);
  const inlet = new Float64Array(t.racks.length);
  const g = { powerW: new Float64Array(t.gpuCount), tempC: new Float64Array(t.gpuCount), clockMHz: new Float64Array(t.gpuCount).fill(1980), limitW: new Float64Array(t.gpuCount).fill(700), util: new Float64Array(t.gpuCount), flags: new Uint32Array(t.gpuCount) };
  const ins = db.prepare('INSERT INTO frames (run, channel, t_ms, data) VALUES (?, ?, ?, ?)');
  const build0 = performance.now();
  db.transaction(() => {
    for (let s = 0; s < day; s++) {
      const tMs = t0Ms + s * 1000;
      const wave = 0.75 + 0.15 * Math.sin((2 * Math.PI * s) / day);
      t.racks.forEach((rack, k) => {
        rackW[k] = rack.budgetKW * 1000 * wave * (0.9 + 0.2 * rng());
        inlet[k] = 23 + 0.05 * (rackW[k] / 1000) + (rng() - 0.5) * 0.3;
      });
      ins.run(run, RACK_CHANNEL.id, tMs, encodeFrame(RACK_CHANNEL, [rackW, inlet]));
      if (s % 10 !== 0) continue;
      t.servers.forEach((sv, i) => {
        for (let q = sv.gpuStart; q < sv.gpuStart + sv.gpuCount; q++) {
          g.powerW[q] = idle[i] ? 70 : 200 + 500 * wave * rng();
          g.tempC[q] = inlet[sv.rack]! + 14 + 0.032 * g.powerW[q]!;
          g.util[q] = idle[i] ? 0 : 0.8;
        }
      });
      ins.run(run, GPU_CHANNEL.id, tMs, encodeFrame(GPU_CHANNEL, [g.powerW, g.tempC, g.clockMHz, g.limitW, g.util, g.flags]));
    }
    db.prepare('UPDATE runs SET t0_ms = ?, t1_ms = ?, ticks = ? WHERE id = ?').run(t0Ms, t0Ms + (day - 1) * 1000, day, run);
  })();
  const buildS = Math.round((performance.now() - build0) / 100) / 10;
  db.close();
  const ro = openTelemetryDb(file, true);
  const f0 = performance.now();
  const { profiles } = fitProfiles(ro, run);
  const fitMs = Math.round(performance.now() - f0);
  ro.close();
  const req = { gpus: 512, kind: 'iaas' as const, profile: 'training' as const };
  const p0 = performance.now();
  const first = place(t, profiles, req);
  const placeColdMs = performance.now() - p0;
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) {
    const w0 = performance.now();
    place(t, profiles, req);
    warm.push(performance.now() - w0);
  }
  const loaded = loadScenario('tapas');
  const speed = (policy: 'tapas' | 'polca') => {
    const runs: number[] = [];
    for (let i = 0; i < 4; i++) {
      const s0 = performance.now();
      runLoaded(loaded, { seed: 1, durationS: 3600, policy });
      runs.push(Math.round(3_600_000 / (performance.now() - s0)));
    }
    return { best: Math.max(...runs.slice(1)), cold: runs[0]!, runs };
  };
  const tapas = speed('tapas');
  const polca = speed('polca');
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return {
    gpus: t.gpuCount,
    fitMs,
    fitTicks: profiles.ticks,
    fitHistoryBuildS: buildS,
    placeMs: r1(Math.min(...warm)),
    placeColdMs: r1(placeColdMs),
    placeFreeServers: first.ranked.length,
    placePlacedGpus: first.placedGpus,
    simSpeedup: tapas.best,
    simColdSpeedup: tapas.cold,
    simRuns: tapas.runs,
    simPolcaSpeedup: polca.best,
    what:
      'fitMs: profiles of 10,240 GPUs from 24 h of stored history (rack channel at 1 Hz, every frame iterated; GPU frames read by key at the 10 s stride, those between not written), synthetic values, one thread; ' +
      'placeMs: place() of 512 training GPUs among the idle servers (a tenth), best of 20 warm (placeColdMs: the first); ' +
      'simSpeedup: simulated s / wall s of `sim --scenario tapas --policy tapas` (1,280 GPUs, 1 h; simulator with routing and reconfiguration + engine + POLCA control service + SaaS levers + report), best of 3 after one (simColdSpeedup); simPolcaSpeedup: the same under --policy polca',
  };
}
