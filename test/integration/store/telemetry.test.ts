import { afterEach, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { writeFileSync } from 'node:fs';
import { explain, migrate, openStore, schemaVersion, StoreError } from '../../../main/store/db.js';
import { TELEMETRY_MIGRATIONS } from '../../../main/store/migrations/telemetry.js';
import { openTelemetryDb } from '../../../main/store/telemetryDb.js';
import { fromBlob, queryRange, RANGE_SQL, Scope, TelemetryWriter } from '../../../main/store/telemetry.js';
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

describe('telemetry store', () => {
  it('creates telemetry.db in WAL mode at the latest schema version; migrations are idempotent', () => {
    const file = tmp().file('telemetry.db');
    const db = openTelemetryDb(file);
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1); // NORMAL
    expect(schemaVersion(db)).toBe(TELEMETRY_MIGRATIONS.at(-1)!.version);
    migrate(db, TELEMETRY_MIGRATIONS);
    expect(schemaVersion(db)).toBe(1);
    const tables = db.prepare("SELECT name FROM sqlite_master WHERE type='table' ORDER BY name").pluck().all();
    expect(tables).toEqual(['meta', 'rollups', 'samples']);
    db.close();
  });

  it('migration 1 applies on an empty database and a failing migration leaves the version unchanged', () => {
    const db = new Database(':memory:');
    migrate(db, TELEMETRY_MIGRATIONS, 0);
    expect(schemaVersion(db)).toBe(0);
    migrate(db, TELEMETRY_MIGRATIONS, 1);
    expect(schemaVersion(db)).toBe(1);
    expect(() => migrate(db, [{ version: 2, name: 'broken', up: (d) => d.exec('CREATE TABLE x (a); CREATE TABLE x (a);') }])).toThrow();
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
    const w = new TelemetryWriter(db, { rows: 2, racks: 4 });
    const ticks = Array.from({ length: 25 }, (_, i) => tick(1_000_000 + i * 1000, 16, 4, 2, 100 + i));
    expect(w.write(ticks)).toBe(25 * 16);
    w.flush();
    expect(db.prepare('SELECT count(*) FROM samples').pluck().get()).toBe(400);
    const rack10 = db.prepare('SELECT t_ms, avg_w, max_w, n FROM rollups WHERE scope = ? AND res_s = 10 ORDER BY t_ms').all(Scope.rack) as Array<{
      t_ms: number;
      avg_w: Buffer;
      max_w: Buffer;
      n: number;
    }>;
    // t = 1,000,000 … 1,024,000 ms → buckets 1,000,000 (10 ticks), 1,010,000 (10), 1,020,000 (5); 4 racks each.
    expect(rack10.map((r) => r.n)).toEqual([10, 10, 5]);
    expect(Array.from(fromBlob(rack10[0]!.avg_w))).toEqual([418, 418, 418, 418]);
    expect(fromBlob(rack10[2]!.max_w)[3]).toBe(4 * 124);
    const range = queryRange(db, { scope: 'row', fromMs: 1_000_000, toMs: 1_030_000, resS: 10 }, ['A', 'B']);
    expect(range.tMs).toEqual([1_000_000, 1_010_000, 1_020_000]);
    expect(range.avgKW[1]![0]).toBeCloseTo((8 * 104.5) / 1000, 9);
    db.close();
  });

  it('hot queries use an index, never a full scan', () => {
    const db = openTelemetryDb(':memory:');
    const plan = explain(db, RANGE_SQL, [Scope.rack, 10, 0, 1]).join(' | ');
    expect(plan).toMatch(/SEARCH rollups USING PRIMARY KEY \(scope=\? AND res_s=\? AND t_ms>\? AND t_ms<\?\)/);
    const prune = explain(db, 'DELETE FROM rollups WHERE scope = ? AND res_s = ? AND t_ms < ?', [2, 10, 0]).join(' | ');
    expect(prune).toMatch(/SEARCH rollups USING PRIMARY KEY \(scope=\? AND res_s=\? AND t_ms<\?\)/);
    expect(plan).not.toMatch(/\bSCAN\b/);
    const raw = explain(db, 'SELECT * FROM samples WHERE t_ms >= ? AND t_ms < ?', [0, 1]).join(' | ');
    expect(raw).toMatch(/SEARCH samples USING PRIMARY KEY/);
    const pruneRaw = explain(db, 'DELETE FROM samples WHERE t_ms < ?', [0]).join(' | ');
    expect(pruneRaw).toMatch(/SEARCH samples USING PRIMARY KEY/);
    db.close();
  });

  it('retention prunes raw samples and rollups older than their windows', () => {
    const db = openTelemetryDb(':memory:');
    const w = new TelemetryWriter(db, { rows: 1, racks: 1 }, { rawS: 60, rollup10S: 120, rollup60S: 3600 });
    w.write(Array.from({ length: 300 }, (_, i) => tick(i * 1000, 2, 1, 1)));
    w.flush();
    w.prune(300_000);
    expect(db.prepare('SELECT min(t_ms) FROM samples').pluck().get()).toBe(240_000);
    expect(db.prepare('SELECT min(t_ms) FROM rollups WHERE res_s = 10').pluck().get()).toBe(180_000);
    db.close();
  });

  it('the worker-backed writer stores what the engine hands it and reports no lag once drained', async () => {
    const file = tmp().file('w.db');
    openTelemetryDb(file).close();
    const writer = await StoreWriter.start(file, { rows: 1, racks: 2 });
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
    expect(db.prepare('SELECT count(*) FROM samples').pluck().get()).toBe(640);
    // close() flushed the partial buckets, so the last 10 s are not lost.
    expect(db.prepare('SELECT max(t_ms) FROM rollups WHERE res_s = 10').pluck().get()).toBe(10_000);
    db.close();
  });

  it('a worker that cannot open its database fails to start with the reason', async () => {
    const file = tmp().file('bad.db');
    writeFileSync(file, 'garbage'.repeat(10));
    await expect(StoreWriter.start(file, { rows: 1, racks: 1 })).rejects.toThrow(/not a SQLite database/);
  });
});
