import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { explain, migrate, openStore, schemaVersion, StoreError } from '../../../main/store/db.js';
import { TELEMETRY_MIGRATIONS } from '../../../main/store/migrations/telemetry.js';
import { openTelemetryDb } from '../../../main/store/telemetryDb.js';
import { fromBlob, GPU_SERIES_SQL, gpuSeries, queryRange, RANGE_SQL, Scope, TelemetryWriter } from '../../../main/store/telemetry.js';
import { beginRun, endRun, getRun, listRuns } from '../../../main/store/runs.js';
import { GPU_CHANNEL } from '../../../main/store/frames.js';
import type { DB } from '../../../main/store/db.js';
import { type TickRecord } from '../../../main/core/ports.js';
import { StoreWriter } from '../../../main/store/writer.js';
import { tempDir } from '../../helpers.js';

const tmps: Array<ReturnType<typeof tempDir>> = [];
afterEach(() => tmps.splice(0).forEach((t) => t.cleanup()));
function tmp() {
  const t = tempDir();
  tmps.push(t);
  return t;
}

function tick(tMs: number, gpus: number, racks: number, rows: number, w = 500): TickRecord {
  const f = (v: number) => new Float64Array(gpus).fill(v);
  return {
    tMs,
    powerW: f(w),
    tempC: f(60),
    clockMHz: f(1980),
    limitW: f(700),
    util: f(0.9),
    flags: new Uint32Array(gpus),
    rackW: new Float64Array(racks).fill((w * gpus) / racks),
    rackMaxTempC: new Float64Array(racks).fill(60),
    rowW: new Float64Array(rows).fill((w * gpus) / rows),
    rowMaxTempC: new Float64Array(rows).fill(60),
    siteW: w * gpus,
  };
}

/** A run to write into (every write belongs to one). */
function newRun(db: DB, label = 'sim test'): number {
  const topology = { gpuCount: 0 } as never;
  return beginRun(db, { kind: 'sim', label, topology, meta: {}, startedWallMs: 1 });
}

describe('telemetry store', () => {
  it('creates telemetry.db in WAL mode at the latest schema version; migrations are idempotent', () => {
    const file = tmp().file('telemetry.db');
    const db = openTelemetryDb(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(schemaVersion(db)).toBe(TELEMETRY_MIGRATIONS.at(-1)!.version);
    migrate(db, TELEMETRY_MIGRATIONS);
    expect(schemaVersion(db)).toBe(2);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['channels', 'events', 'frames', 'meta', 'run_rollups', 'runs']);
    expect(db.prepare('SELECT name FROM channels').pluck().all()).toEqual(['gpu']);
    db.close();
  });

  it('migration 1 applies on an empty database and a failing migration leaves the version unchanged', () => {
    const db = new Database(':memory:');
    migrate(db, TELEMETRY_MIGRATIONS, 0);
    expect(schemaVersion(db)).toBe(0);
    migrate(db, TELEMETRY_MIGRATIONS, 1);
    expect(schemaVersion(db)).toBe(1);
    expect(() => migrate(db, [{ version: 3, name: 'broken', up: (d) => d.exec('CREATE TABLE x (a); CREATE TABLE x (a);') }])).toThrow();
    expect(schemaVersion(db)).toBe(1);
    expect(db.prepare("SELECT count(*) FROM sqlite_master WHERE name = 'x'").pluck().get()).toBe(0);
    db.close();
  });

  it('refuses a file that is not SQLite with a message naming it, and leaves it untouched', () => {
    const file = tmp().file('telemetry.db');
    writeFileSync(file, 'this is a spreadsheet, not a database\n'.repeat(20));
    expect(() => openTelemetryDb(file)).toThrow(StoreError);
    expect(() => openTelemetryDb(file)).toThrow(/telemetry\.db: not a SQLite database/);
  });

  it('ingests ticks in one transaction and keeps 10 s and 60 s rollups per rack, row and site', () => {
    const db = openTelemetryDb(tmp().file('t.db'));
    const run = newRun(db);
    const w = new TelemetryWriter(db, run, { rows: 2, racks: 4 });
    const ticks = Array.from({ length: 25 }, (_, i) => tick(1_000_000 + i * 1000, 16, 4, 2, 100 + i));
    expect(w.write(ticks)).toBe(25 * 16);
    w.flush();
    expect(db.prepare('SELECT count(*) FROM frames WHERE run = ?').pluck().get(run)).toBe(25);
    expect(getRun(db, run)).toMatchObject({ ticks: 25, samples: 400, t0Ms: 1_000_000, t1Ms: 1_024_000 });
    const rack10 = db.prepare('SELECT t_ms, avg_w, max_w, n FROM run_rollups WHERE run = ? AND scope = ? AND res_s = 10 ORDER BY t_ms').all(run, Scope.rack) as Array<{
      t_ms: number;
      avg_w: Buffer;
      max_w: Buffer;
      n: number;
    }>;
    // t = 1,000,000 … 1,024,000 ms → buckets 1,000,000 (10 ticks), 1,010,000 (10), 1,020,000 (5); 4 racks each.
    expect(rack10.map((r) => r.n)).toEqual([10, 10, 5]);
    expect(Array.from(fromBlob(rack10[0]!.avg_w))).toEqual([418, 418, 418, 418]);
    expect(fromBlob(rack10[2]!.max_w)[3]).toBe(4 * 124);
    const range = queryRange(db, run, { scope: 'row', fromMs: 1_000_000, toMs: 1_030_000, resS: 10 }, ['A', 'B']);
    expect(range.tMs).toEqual([1_000_000, 1_010_000, 1_020_000]);
    expect(range.avgKW[1]![0]).toBeCloseTo((8 * 104.5) / 1000, 9);
    // A later write extends the run's time line; its first instant stays.
    w.write([tick(1_025_000, 16, 4, 2)]);
    expect(getRun(db, run)).toMatchObject({ ticks: 26, samples: 416, t0Ms: 1_000_000, t1Ms: 1_025_000 });
    db.close();
  });

  it('hot queries use an index, never a full scan', () => {
    const db = openTelemetryDb(':memory:');
    const plan = explain(db, RANGE_SQL, [1, Scope.rack, 10, 0, 1]).join(' | ');
    expect(plan).toMatch(/SEARCH run_rollups USING PRIMARY KEY \(run=\? AND scope=\? AND res_s=\? AND t_ms>\? AND t_ms<\?\)/);
    expect(plan).not.toMatch(/\bSCAN\b/);
    const prune = explain(db, 'DELETE FROM run_rollups WHERE run = ? AND scope = ? AND res_s = ? AND t_ms < ?', [1, 2, 10, 0]).join(' | ');
    expect(prune).toMatch(/SEARCH run_rollups USING PRIMARY KEY \(run=\? AND scope=\? AND res_s=\? AND t_ms<\?\)/);
    const series = explain(db, GPU_SERIES_SQL, [1, GPU_CHANNEL.id, 0, 1]).join(' | ');
    expect(series).toMatch(/SEARCH frames USING PRIMARY KEY \(run=\? AND channel=\? AND t_ms>\? AND t_ms<\?\)/);
    const pruneRaw = explain(db, 'DELETE FROM frames WHERE run = ? AND channel = ? AND t_ms < ?', [1, 1, 0]).join(' | ');
    expect(pruneRaw).toMatch(/SEARCH frames USING PRIMARY KEY/);
    db.close();
  });

  it('two runs on one database keep their own time lines: the second never overwrites the first', () => {
    const db = openTelemetryDb(':memory:');
    const a = newRun(db, 'sim first');
    const b = newRun(db, 'sim second');
    // Both simulations start at the same instant (every sim run begins 2026-01-01 00:00).
    new TelemetryWriter(db, a, { rows: 1, racks: 1 }).write(Array.from({ length: 5 }, (_, i) => tick(i * 1000, 4, 1, 1, 100)));
    new TelemetryWriter(db, b, { rows: 1, racks: 1 }).write(Array.from({ length: 5 }, (_, i) => tick(i * 1000, 4, 1, 1, 300)));
    expect(gpuSeries(db, a, 2, 0, 10_000).powerW).toEqual([100, 100, 100, 100, 100]);
    expect(gpuSeries(db, b, 2, 0, 10_000).powerW).toEqual([300, 300, 300, 300, 300]);
    expect(listRuns(db).map((r) => [r.label, r.samples])).toEqual([['sim first', 20], ['sim second', 20]]);
    // The same instant twice in one run is an error, never a silent replace.
    expect(() => new TelemetryWriter(db, a, { rows: 1, racks: 1 }).write([tick(0, 4, 1, 1, 999)])).toThrow(/UNIQUE/);
    expect(gpuSeries(db, a, 0, 0, 1).powerW).toEqual([100]);
    db.close();
  });

  it('a write that fails stores nothing: frames, events and the run\'s counts commit together or not at all', () => {
    const db = openTelemetryDb(':memory:');
    const run = newRun(db);
    const w = new TelemetryWriter(db, run, { rows: 1, racks: 1 });
    db.exec("CREATE TEMP TRIGGER runs_fail BEFORE UPDATE ON runs BEGIN SELECT RAISE(ABORT, 'disk full'); END");
    expect(() => w.write([{ ...tick(0, 4, 1, 1), events: [{ kind: 'budget', subject: 'C', body: {} }] }, tick(1000, 4, 1, 1)])).toThrow(/disk full/);
    expect([db.prepare('SELECT count(*) FROM frames').pluck().get(), db.prepare('SELECT count(*) FROM events').pluck().get()]).toEqual([0, 0]);
    db.exec('DROP TRIGGER runs_fail');
    w.write([tick(0, 4, 1, 1)]);
    // A batch whose second tick repeats an instant: its first tick is not stored or counted either.
    expect(() => w.write([tick(1000, 4, 1, 1), tick(0, 4, 1, 1)])).toThrow(/UNIQUE/);
    expect(getRun(db, run)).toMatchObject({ ticks: 1, samples: 4, t1Ms: 0 });
    expect(db.prepare('SELECT count(*) FROM frames').pluck().get()).toBe(1);
    db.close();
  });

  it("stores a tick's events (budgets, stages …) on the run's time line", () => {
    const db = openTelemetryDb(':memory:');
    const run = newRun(db);
    const w = new TelemetryWriter(db, run, { rows: 1, racks: 1 });
    w.write([{ ...tick(1000, 2, 1, 1), events: [{ kind: 'budget', subject: 'C', body: { budgetKW: 300 } }] }, tick(2000, 2, 1, 1)]);
    expect(db.prepare('SELECT t_ms, kind, subject, body FROM events WHERE run = ?').all(run)).toEqual([{ t_ms: 1000, kind: 'budget', subject: 'C', body: '{"budgetKW":300}' }]);
    db.close();
  });

  it('per-GPU history comes back from the frames, within the stored resolution', () => {
    const db = openTelemetryDb(':memory:');
    const run = newRun(db);
    const w = new TelemetryWriter(db, run, { rows: 1, racks: 1 });
    w.write(Array.from({ length: 10 }, (_, i) => ({ ...tick(i * 1000, 3, 1, 1), powerW: Float64Array.from([1, 2, 3], (x) => x * 100 + i + 0.04) })));
    const s = gpuSeries(db, run, 1, 2000, 5000);
    expect(s.tMs).toEqual([2000, 3000, 4000]);
    expect(s.powerW).toEqual([202, 203, 204]);
    expect(s.tempC).toEqual([60, 60, 60]);
    expect(s.util).toEqual([0.9, 0.9, 0.9]);
    db.close();
  });

  it('retention prunes raw samples and rollups older than their windows', () => {
    const db = openTelemetryDb(':memory:');
    const run = newRun(db);
    const w = new TelemetryWriter(db, run, { rows: 1, racks: 1 }, { rawS: 60, rollup10S: 120, rollup60S: 3600 });
    w.write(Array.from({ length: 300 }, (_, i) => tick(i * 1000, 2, 1, 1)));
    w.flush();
    w.prune(300_000);
    expect(db.prepare('SELECT min(t_ms) FROM frames').pluck().get()).toBe(240_000);
    expect(db.prepare('SELECT min(t_ms) FROM run_rollups WHERE res_s = 10').pluck().get()).toBe(180_000);
    db.close();
  });

  it("prune keeps to its own run by engine time, and removes other runs' data only once they ended longer ago than each window", () => {
    const db = openTelemetryDb(':memory:');
    const retention = { rawS: 60, rollup10S: 120, rollup60S: 3600 };
    const W = 1_000_000_000; // wall clock at the prune
    const [old, recent, own] = ['sim old', 'sim recent', 'sim own'].map((label) => {
      const run = newRun(db, label);
      const w = new TelemetryWriter(db, run, { rows: 1, racks: 1 }, retention);
      w.write(Array.from({ length: 300 }, (_, i) => tick(i * 1000, 2, 1, 1)));
      w.flush();
      return { run, w };
    }) as [{ run: number; w: TelemetryWriter }, { run: number; w: TelemetryWriter }, { run: number; w: TelemetryWriter }];
    endRun(db, old.run, W - 200_000); // ended 200 s ago: past the raw (60 s) and 10 s-rollup (120 s) windows, within the 60 s-rollup one
    endRun(db, recent.run, W - 30_000); // ended 30 s ago: within every window
    const count = (run: number, sql: string) => db.prepare(`SELECT count(*) FROM ${sql}`).pluck().get(run) as number;
    const frames = (run: number) => count(run, 'frames WHERE run = ?');
    const rollups = (run: number, res: number) => count(run, `run_rollups WHERE run = ? AND res_s = ${res}`);
    const before = { r10: rollups(recent.run, 10), r60: rollups(recent.run, 60) };
    own.w.prune(300_000, W);
    // The own run: by its engine time.
    expect(db.prepare('SELECT min(t_ms) FROM frames WHERE run = ?').pluck().get(own.run)).toBe(240_000);
    expect(db.prepare('SELECT min(t_ms) FROM run_rollups WHERE run = ? AND res_s = 10').pluck().get(own.run)).toBe(180_000);
    // Another run that ended recently keeps everything, though its engine times are as old as the own run's.
    expect([frames(recent.run), rollups(recent.run, 10), rollups(recent.run, 60)]).toEqual([300, before.r10, before.r60]);
    // A run that ended 200 s ago keeps only its 60 s rollups.
    expect([frames(old.run), rollups(old.run, 10), rollups(old.run, 60)]).toEqual([0, 0, before.r60]);
    db.close();
  });

  it('a run left open by a process that died is ended when the next run begins, and then pruned like any other', () => {
    const db = openTelemetryDb(':memory:');
    const killed = beginRun(db, { kind: 'sim', label: 'killed', topology: { gpuCount: 2 } as never, meta: {}, startedWallMs: 1_000 });
    new TelemetryWriter(db, killed, { rows: 1, racks: 1 }).write([tick(0, 2, 1, 1)]);
    // No endRun: kill -9. The next start:
    const next = beginRun(db, { kind: 'sim', label: 'next', topology: { gpuCount: 2 } as never, meta: {}, startedWallMs: 5_000 });
    expect(getRun(db, killed)?.endedWallMs).toBe(5_000);
    expect(getRun(db, next)?.endedWallMs).toBeNull();
    const w = new TelemetryWriter(db, next, { rows: 1, racks: 1 }, { rawS: 60, rollup10S: 120, rollup60S: 3600 });
    w.prune(0, 5_000 + 61_000);
    expect(db.prepare('SELECT count(*) FROM frames WHERE run = ?').pluck().get(killed)).toBe(0);
    db.close();
  });

  it('the worker-backed writer stores what the engine hands it and reports no lag once drained', async () => {
    const file = tmp().file('w.db');
    const setup = openTelemetryDb(file);
    const run = newRun(setup);
    setup.close();
    const writer = await StoreWriter.start(file, run, { rows: 1, racks: 2 });
    const handed = Array.from({ length: 20 }, (_, i) => tick(i * 1000, 32, 2, 1));
    for (const t of handed) {
      writer.write(t);
      await new Promise((r) => setTimeout(r, 2));
    }
    await writer.close();
    // The engine's own arrays are copied, never transferred away from it.
    expect(handed.every((t) => t.powerW.length === 32 && t.powerW[0] === 500)).toBe(true);
    expect(writer.stats()).toMatchObject({ lagBatches: 0, writtenRows: 640, errors: 0, dropped: 0 });
    const db = openStore(file, { synchronous: 'NORMAL', migrations: TELEMETRY_MIGRATIONS });
    expect(getRun(db, run)).toMatchObject({ samples: 640, ticks: 20, droppedTicks: 0 });
    expect(getRun(db, run)?.endedWallMs).toBeGreaterThan(0);
    // close() flushed the partial buckets, so the last 10 s are not lost.
    expect(db.prepare('SELECT max(t_ms) FROM run_rollups WHERE res_s = 10').pluck().get()).toBe(10_000);
    db.close();
  });

  it('a worker that cannot open its database fails to start with the reason', async () => {
    const file = tmp().file('bad.db');
    writeFileSync(file, 'garbage'.repeat(10));
    await expect(StoreWriter.start(file, 1, { rows: 1, racks: 1 })).rejects.toThrow(/not a SQLite database/);
  });
});
