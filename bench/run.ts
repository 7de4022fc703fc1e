// `npm run bench`: Headroom's performance figures, each against a baseline measured in the same run where one
// exists. Prints one JSON object and writes it to bench/results.json. Timings are wall-clock on this machine.
import Database from 'better-sqlite3';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir, cpus } from 'node:os';
import { join } from 'node:path';
import { Engine } from '../main/engine/engine.js';
import { loadScenario, loadTraces } from '../main/sim/config.js';
import { Simulator } from '../main/sim/simulator.js';
import { SimSource } from '../main/sources/simSource.js';
import { openTelemetryDb } from '../main/store/telemetryDb.js';
import { queryRange, TelemetryWriter, toBlob } from '../main/store/telemetry.js';
import { beginRun, getRun } from '../main/store/runs.js';
import { type TickRecord } from '../main/core/ports.js';
import { TELEMETRY_MIGRATIONS } from '../main/store/migrations/telemetry.js';
import { StoreWriter } from '../main/store/writer.js';
import { benchControl } from './control.js';
import { benchAgents } from './agents.js';

const dir = mkdtempSync(join(tmpdir(), 'headroom-bench-'));
const quantile = (xs: number[], q: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
};
const r3 = (x: number) => Math.round(x * 1000) / 1000;
const log = (msg: string) => process.stderr.write(`bench: ${msg}\n`);

function syntheticTick(tMs: number, gpus: number, racks: number, rows: number): TickRecord {
  const f = (base: number) => Float64Array.from({ length: gpus }, (_, g) => base + ((g * 7919 + tMs) % 100));
  return {
    tMs,
    powerW: f(400),
    tempC: f(50),
    clockMHz: f(1800),
    limitW: new Float64Array(gpus).fill(700),
    util: new Float64Array(gpus).fill(0.8),
    flags: new Uint32Array(gpus),
    rackW: new Float64Array(racks).fill(15000),
    rackMaxTempC: new Float64Array(racks).fill(70),
    rowW: new Float64Array(rows).fill(300000),
    rowMaxTempC: new Float64Array(rows).fill(70),
    siteW: 1.2e6,
  };
}

/** The v1 layout (one row per GPU-sample), kept only as the baseline the compact frames are measured against. */
const V1_SAMPLES_SQL = 'CREATE TABLE v1_samples (t_ms INTEGER NOT NULL, gpu INTEGER NOT NULL, power_w REAL NOT NULL, temp_c REAL NOT NULL, clock_mhz REAL NOT NULL, limit_w REAL NOT NULL, util REAL NOT NULL, flags INTEGER NOT NULL, PRIMARY KEY (t_ms, gpu)) WITHOUT ROWID';
const benchTopology = (gpus: number) => ({ gpuCount: gpus }) as never;

/** GPU-samples/s through Headroom's store (compact frames + rollups) vs raw prepared inserts of one row per sample. */
function benchIngest() {
  const gpus = 10_240;
  const batches = 20;
  const ticks = Array.from({ length: batches }, (_, i) => syntheticTick(1_700_000_000_000 + i * 1000, gpus, 320, 4));
  const run = (label: string, fn: (db: Database.Database) => void) => {
    const file = join(dir, `ingest-${label}.db`);
    const db = openTelemetryDb(file);
    const t0 = performance.now();
    fn(db);
    const s = (performance.now() - t0) / 1000;
    db.close();
    rmSync(file, { force: true });
    return (gpus * batches) / s;
  };
  const headroom = () =>
    run('headroom', (db) => {
      const run = beginRun(db, { kind: 'sim', label: 'bench', topology: benchTopology(gpus), meta: {}, startedWallMs: Date.now() });
      const w = new TelemetryWriter(db, run, { rows: 4, racks: 320 });
      for (const t of ticks) w.write([t]);
    });
  const raw = () =>
    run('raw', (db) => {
      db.exec(V1_SAMPLES_SQL);
      const stmt = db.prepare('INSERT INTO v1_samples VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      const tx = db.transaction((t: TickRecord) => {
        for (let g = 0; g < gpus; g++) stmt.run(t.tMs, g, t.powerW[g], t.tempC[g], t.clockMHz[g], t.limitW[g], t.util[g], t.flags[g]);
      });
      for (const t of ticks) tx(t);
    });
  // Alternate and take the best of three each, so neither side pays the warm-up alone.
  const h: number[] = [];
  const r: number[] = [];
  for (let i = 0; i < 3; i++) {
    r.push(raw());
    h.push(headroom());
  }
  const rowsPerSec = Math.max(...h);
  const rawRowsPerSec = Math.max(...r);
  return {
    rowsPerSec: Math.round(rowsPerSec),
    rawRowsPerSec: Math.round(rawRowsPerSec),
    ratio: r3(rowsPerSec / rawRowsPerSec),
    batchRows: gpus,
    batches,
    what: 'GPU-samples/s: TelemetryWriter (one compressed frame per tick + rollups + run counters, one transaction per tick) vs prepared INSERTs of one row per GPU-sample (the v1 layout), same ticks; best of 3 each',
  };
}

/** Engine tick for 10,240 GPUs (default site × 8) with the store worker attached; hand-off included. */
async function benchTick() {
  const { scenario, topology } = loadScenario('default', { scale: 8 });
  const sim = new Simulator(topology, scenario, loadTraces());
  const file = join(dir, 'tick.db');
  const setup = openTelemetryDb(file);
  const run = beginRun(setup, { kind: 'sim', label: 'bench tick', topology, meta: {}, startedWallMs: Date.now() });
  setup.close();
  const writer = await StoreWriter.start(file, run, { rows: topology.rows.length, racks: topology.racks.length });
  const engine = new Engine({ topology, source: new SimSource(sim), stepMs: 1000, startMs: sim.timeMs, sink: writer });
  for (let i = 0; i < 30; i++) engine.tick();
  const engineOnly: number[] = [];
  const withSim: number[] = [];
  for (let i = 0; i < 300; i++) {
    engine.tick();
    // The simulator's physics and workloads run inside the source's poll; a real fleet's source is agents.
    withSim.push(engine.lastTickMs);
    engineOnly.push(engine.lastTickMs - engine.lastSourceMs);
    // Real time gives the worker a second per tick; leave it a little room so the lag stays bounded.
    if (i % 10 === 9) await new Promise((r) => setTimeout(r, 200));
  }
  const lag = writer.stats();
  await writer.close();
  const db = openTelemetryDb(file);
  db.pragma('wal_checkpoint(TRUNCATE)');
  const stored = getRun(db, run);
  db.close();
  const bytes = statSync(file).size;
  return {
    gpus: topology.gpuCount,
    what: 'p50Ms/p99Ms: engine tick without the source poll (ingest + validation, aggregates, store hand-off, alerts); withSim*: including the simulator step',
    p50Ms: r3(quantile(engineOnly, 0.5)),
    p99Ms: r3(quantile(engineOnly, 0.99)),
    withSimP50Ms: r3(quantile(withSim, 0.5)),
    withSimP99Ms: r3(quantile(withSim, 0.99)),
    storeDropped: lag.dropped,
    storeRowsWritten: lag.writtenRows,
    storeBytesPerGpuSample: stored && stored.samples ? r3(bytes / stored.samples) : null,
    storeWhat: 'telemetry.db file size after checkpoint / GPU-samples stored (frames + rollups + events + schema), 330 ticks of 10,240 simulated GPUs',
  };
}

/** Simulated seconds per wall second for the default 1,280-GPU site at 1 s steps (engine + alerts + report). */
function benchSim() {
  // Measured on the compiled build (dist/, what `headroom` runs) in a child process with a fresh heap.
  const code = `
    const { loadScenario, loadTraces } = await import('./dist/main/sim/config.js');
    const { Simulator } = await import('./dist/main/sim/simulator.js');
    const { SimSource } = await import('./dist/main/sources/simSource.js');
    const { Engine } = await import('./dist/main/engine/engine.js');
    const { ReportBuilder } = await import('./dist/main/app/report.js');
    const { scenario, topology } = loadScenario('default');
    const traces = loadTraces();
    const durationS = 3600;
    const runs = [];
    for (let rep = 0; rep < 5; rep++) {
      const sim = new Simulator(topology, scenario, traces);
      const engine = new Engine({ topology, source: new SimSource(sim), stepMs: 1000, startMs: sim.timeMs });
      const report = new ReportBuilder(engine, durationS, null);
      const t0 = performance.now();
      for (let i = 0; i < durationS; i++) report.record(engine.tick().fired);
      runs.push(Math.round((durationS * 1000) / (performance.now() - t0)));
    }
    console.log(JSON.stringify({ gpus: topology.gpuCount, durationS, runs }));`;
  const out = execFileSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
  const r = JSON.parse(out.trim().split('\n').pop()!) as { gpus: number; durationS: number; runs: number[] };
  // Best of 5: the first runs pay V8's warm-up (JIT tiers), as a long-running console does only once.
  return { speedup: Math.max(...r.runs), gpus: r.gpus, durationS: r.durationS, runs: r.runs, what: 'engine + simulator + alerts + report, no controller; compiled build' };
}

/** One hour of 10 s per-rack power for 10,240 GPUs (320 racks × 360 buckets) out of 6 h of rollups. */
function benchRollupQuery() {
  const file = join(dir, 'rollup.db');
  const db = openTelemetryDb(file);
  const racks = 320;
  const start = 1_700_000_000_000;
  // Fill 6 h of 10 s rack rollups through the real writer's layout (one vector row per bucket).
  const insert = db.prepare('INSERT INTO run_rollups (run, scope, res_s, t_ms, n, avg_w, max_w, max_temp_c) VALUES (1, 2, 10, ?, 10, ?, ?, ?)');
  const vec = (base: number) => toBlob(Float32Array.from({ length: racks }, (_, r) => base + r));
  db.transaction(() => {
    for (let b = 0; b < 6 * 360; b++) insert.run(start + b * 10_000, vec(15000 + b), vec(16000 + b), vec(60));
  })();
  const ids = Array.from({ length: racks }, (_, i) => `R${i}`);
  const from = start + 2 * 3600_000;
  const times: number[] = [];
  let cells = 0;
  for (let i = 0; i < 15; i++) {
    const t0 = performance.now();
    const res = queryRange(db, 1, { scope: 'rack', fromMs: from, toMs: from + 3600_000, resS: 10 }, ids);
    times.push(performance.now() - t0);
    cells = res.avgKW.reduce((n, s) => n + s.filter((v) => v !== null).length, 0);
  }
  db.close();
  return { ms: r3(quantile(times, 0.5)), p99Ms: r3(quantile(times, 0.99)), cells };
}

/** Floor and all-GPU view update times in Chromium against a live 10,240-GPU `headroom serve`. */
async function benchHeatmapViews() {
  const { benchHeatmap } = await import('./heatmap.js');
  const child = spawn(process.execPath, ['bin/headroom.js', 'serve', '--port', '0', '--scale', '8', '--db', join(dir, 'serve.db'), '--speed', '1'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (d) => {
        out += String(d);
        const m = /Headroom serving on (\S+)/.exec(out);
        if (m) resolve(m[1]!);
      });
      child.once('exit', (c) => reject(new Error(`headroom serve exited with ${c}`)));
    });
    return await benchHeatmap({ baseUrl: url });
  } finally {
    child.kill('SIGTERM');
  }
}

const results: Record<string, unknown> = {
  command: 'npm run bench',
  machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', node: process.version },
  schemaVersion: TELEMETRY_MIGRATIONS.at(-1)!.version,
};
try {
  // The simulation runs first, on a fresh heap: later benchmarks leave a 10,240-GPU engine and its garbage behind.
  log('sim speed-up…');
  results.sim = benchSim();
  log('ingest…');
  results.ingest = benchIngest();
  log('tick (10,240 GPUs)…');
  results.tick = await benchTick();
  const tk = results.tick as { storeBytesPerGpuSample: number | null; storeDropped: number; storeWhat: string };
  results.store = { bytesPerGpuSample: tk.storeBytesPerGpuSample, droppedTicks: tk.storeDropped, what: tk.storeWhat };
  log('recording (1 h × 10,240 GPUs: store, save, open, replay; a few minutes)…');
  const { benchRecording } = await import('./recording.js');
  const rec = benchRecording(dir);
  results.recording = { ...rec.recording, what: rec.what };
  results.replay = rec.replay;
  results.store = { ...(results.store as object), bytesPerGpuSampleAt1h: rec.storeBytesPerGpuSample, simWithStoreSpeedup: rec.simWithStoreSpeedup };
  log('rollup query…');
  results.rollupQuery = benchRollupQuery();
  log('controller decision and reaction…');
  // Stage changes (and so row-layer rebuilds) are rare, so the first run's tail is V8 compiling them: report the
  // second run, and keep the cold run's p99 beside it.
  const cold = await benchControl();
  results.control = { ...(await benchControl()), coldDecisionP99Ms: cold.decisionP99Ms };
  log('128 simulated agents → one console over mutual TLS (~30 s)…');
  results.agents = await benchAgents({ log });
  log('heatmap views in Chromium…');
  try {
    results.heatmap = await benchHeatmapViews();
  } catch (e) {
    results.heatmap = { error: (e as Error).message };
  }
  results.goals = {
    'ingest.ratio >= 0.9': (results.ingest as { ratio: number }).ratio >= 0.9,
    'tick.p99Ms <= 5': (results.tick as { p99Ms: number }).p99Ms <= 5,
    'recording.bytesPerGpuSample <= 6': (results.recording as { bytesPerGpuSample: number }).bytesPerGpuSample <= 6,
    'recording.saveMs <= 10000': (results.recording as { saveMs: number }).saveMs <= 10_000,
    'recording.openMs <= 2000': (results.recording as { openMs: number }).openMs <= 2000,
    'replay.speedup >= 100': (results.replay as { speedup: number }).speedup >= 100,
    'store.bytesPerGpuSample <= 12': ((results.store as { bytesPerGpuSample: number | null }).bytesPerGpuSample ?? Infinity) <= 12,
    'sim.speedup >= 10000': (results.sim as { speedup: number }).speedup >= 10_000,
    'rollupQuery.ms <= 50': (results.rollupQuery as { ms: number }).ms <= 50,
    'heatmap.floorMs <= 16': ((results.heatmap as { floorMs?: number }).floorMs ?? Infinity) <= 16,
    'heatmap.allGpuMs <= 25': ((results.heatmap as { allGpuMs?: number }).allGpuMs ?? Infinity) <= 25,
    'control.decisionP99Ms <= 1': (results.control as { decisionP99Ms: number }).decisionP99Ms <= 1,
    'control.reactionTicks <= 1': (results.control as { reactionTicks: number }).reactionTicks <= 1,
    'agents: all 128 up, 0 errors': (results.agents as { agentsUpAtEnd: number; errors: number }).agentsUpAtEnd === 128 && (results.agents as { errors: number }).errors === 0,
  };
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const text = JSON.stringify(results, null, 2);
writeFileSync(new URL('./results.json', import.meta.url), text + '\n');
console.log(text);
