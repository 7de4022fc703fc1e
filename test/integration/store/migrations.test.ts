import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { controlMigrations } from '../../../main/store/controlDb.js';
import { migrate, schemaVersion, type DB, type Migration } from '../../../main/store/db.js';
import { CONTROL_MIGRATIONS } from '../../../main/store/migrations/control.js';
import { TELEMETRY_MIGRATIONS } from '../../../main/store/migrations/telemetry.js';
import { getRun, listRuns } from '../../../main/store/runs.js';
import { gpuSeries } from '../../../main/store/telemetry.js';

/** Tables, indices and triggers with their SQL: the schema as SQLite holds it. */
function schema(db: DB): Map<string, string> {
  const rows = db.prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ type: string; name: string; sql: string | null }>;
  return new Map(rows.map((r) => [`${r.type} ${r.name}`, r.sql ?? '']));
}

/** Per database: its one numbered list, and what the app applies (control.db's entries also log themselves). */
/** `replaced`: schema objects a migration removes on purpose, after moving their data (tested below). */
const DATABASES: Array<{ name: string; list: readonly Migration[]; applied: () => readonly Migration[]; replaced: Record<number, string[]> }> = [
  { name: 'control.db', list: CONTROL_MIGRATIONS, applied: controlMigrations, replaced: {} },
  { name: 'telemetry.db', list: TELEMETRY_MIGRATIONS, applied: () => TELEMETRY_MIGRATIONS, replaced: { 2: ['table samples', 'table rollups'] } },
];

describe.each(DATABASES)('$name migrations', ({ list, applied, replaced }) => {
  it('form one strictly increasing, numbered list', () => {
    const versions = list.map((m) => m.version);
    expect(versions.length).toBeGreaterThan(0);
    expect(versions).toEqual([...versions].sort((a, b) => a - b));
    expect(new Set(versions).size).toBe(versions.length);
    for (const m of list) expect(m.name.length).toBeGreaterThan(3);
  });

  it.each(list.map((m, i) => ({ version: m.version, previous: i === 0 ? 0 : list[i - 1]?.version ?? 0 })))(
    'migration $version applies to a database at version $previous, adds schema, and keeps what was there',
    ({ version, previous }) => {
      const db = new Database(':memory:');
      try {
        migrate(db, applied(), previous);
        expect(schemaVersion(db)).toBe(previous);
        const before = schema(db);
        migrate(db, applied(), version);
        expect(schemaVersion(db)).toBe(version);
        const after = schema(db);
        const added = [...after.keys()].filter((k) => !before.has(k));
        expect(added.length, `migration ${version} creates nothing`).toBeGreaterThan(0);
        for (const [k, sql] of before) if (!replaced[version]?.includes(k)) expect(after.get(k), `${k} changed or vanished`).toBe(sql);
        expect(db.pragma('quick_check', { simple: true })).toBe('ok');
      } finally {
        db.close();
      }
    },
  );

  it('step by step ends at the same schema as all at once', () => {
    const once = new Database(':memory:');
    const steps = new Database(':memory:');
    try {
      migrate(once, applied());
      for (const m of list) migrate(steps, applied(), m.version);
      expect(schema(steps)).toEqual(schema(once));
      expect(schemaVersion(steps)).toBe(list.at(-1)?.version);
    } finally {
      once.close();
      steps.close();
    }
  });
});

describe('telemetry.db data across migrations', () => {
  it('migration 2 moves history written before runs into run 1: every sample re-encoded as frames, rollups kept', () => {
    const db = new Database(':memory:');
    try {
      migrate(db, TELEMETRY_MIGRATIONS, 1);
      const ins = db.prepare('INSERT INTO samples (t_ms, gpu, power_w, temp_c, clock_mhz, limit_w, util, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (let t = 0; t < 3; t++) for (let g = 0; g < 4; g++) ins.run(t * 1000, g, 100 * g + t + 0.3, 50 + g, 1980, 700, 0.5, g === 3 ? 0x20000 : 0);
      db.prepare('INSERT INTO rollups VALUES (0, 10, 0, 3, ?, ?, ?)').run(Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(4));
      migrate(db, TELEMETRY_MIGRATIONS, 2);
      expect(getRun(db, 1)).toMatchObject({ kind: 'legacy', ticks: 3, samples: 12, gpus: 4, t0Ms: 0, t1Ms: 2000 });
      expect(gpuSeries(db, 1, 2, 0, 3000)).toMatchObject({ tMs: [0, 1000, 2000], powerW: [200.3, 201.3, 202.3], tempC: [52, 52, 52], flags: [0, 0, 0] });
      expect(gpuSeries(db, 1, 3, 0, 1000).flags).toEqual([0x20000]);
      expect(db.prepare('SELECT count(*) FROM run_rollups WHERE run = 1').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('migration 2 keeps every field in its place, a GPU missing from a tick as missing, the rollups byte for byte, and drops the old tables', () => {
    const db = new Database(':memory:');
    try {
      migrate(db, TELEMETRY_MIGRATIONS, 1);
      const ins = db.prepare('INSERT INTO samples (t_ms, gpu, power_w, temp_c, clock_mhz, limit_w, util, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
      for (let t = 0; t < 3; t++) for (let g = 0; g < 3; g++) if (!(t === 1 && g === 1)) ins.run(t * 1000, g, 400 + g, 55 + g, 1700 + g, 650 + g, 0.25 * (g + 1), g);
      const blob = (...v: number[]) => Buffer.from(Float32Array.from(v).buffer);
      const rollup = { avg: blob(1, 2), max: blob(3, 4), temp: blob(5, 6) };
      db.prepare('INSERT INTO rollups VALUES (1, 60, 0, 3, ?, ?, ?)').run(rollup.avg, rollup.max, rollup.temp);
      migrate(db, TELEMETRY_MIGRATIONS, 2);
      expect(getRun(db, 1)).toMatchObject({ ticks: 3, samples: 8, gpus: 3 });
      expect(gpuSeries(db, 1, 2, 0, 3000)).toEqual({ gpu: 2, tMs: [0, 1000, 2000], powerW: [402, 402, 402], tempC: [57, 57, 57], clockMHz: [1702, 1702, 1702], limitW: [652, 652, 652], util: [0.75, 0.75, 0.75], flags: [2, 2, 2] });
      // GPU 1 reported nothing at t = 1000: missing, never a zero.
      const gap = gpuSeries(db, 1, 1, 1000, 2000);
      expect([gap.powerW, gap.tempC, gap.clockMHz, gap.limitW, gap.util, gap.flags]).toEqual([[NaN], [NaN], [NaN], [NaN], [NaN], [NaN]]);
      expect(db.prepare('SELECT run, scope, res_s, t_ms, n, avg_w, max_w, max_temp_c FROM run_rollups').all()).toEqual([
        { run: 1, scope: 1, res_s: 60, t_ms: 0, n: 3, avg_w: rollup.avg, max_w: rollup.max, max_temp_c: rollup.temp },
      ]);
      expect(db.prepare("SELECT name FROM sqlite_schema WHERE name IN ('samples', 'rollups')").all()).toEqual([]);
    } finally {
      db.close();
    }
  });

  it('migration 2 keeps a history of rollups only (raw samples already pruned) as run 1', () => {
    const db = new Database(':memory:');
    try {
      migrate(db, TELEMETRY_MIGRATIONS, 1);
      db.prepare('INSERT INTO rollups VALUES (0, 60, 0, 6, ?, ?, ?)').run(Buffer.alloc(4), Buffer.alloc(4), Buffer.alloc(4));
      migrate(db, TELEMETRY_MIGRATIONS, 2);
      expect(listRuns(db)).toMatchObject([{ id: 1, kind: 'legacy', ticks: 0, samples: 0 }]);
      expect(db.prepare('SELECT count(*) FROM run_rollups WHERE run = 1').pluck().get()).toBe(1);
    } finally {
      db.close();
    }
  });

  it('migration 2 on an empty database creates no run', () => {
    const db = new Database(':memory:');
    try {
      migrate(db, TELEMETRY_MIGRATIONS);
      expect(listRuns(db)).toEqual([]);
    } finally {
      db.close();
    }
  });
});

describe('control.db data across migrations', () => {
  it('an audit record and an ack written at version 1 survive the controller and sources migrations', () => {
    const db = new Database(':memory:');
    try {
      migrate(db, controlMigrations(), 1);
      db.prepare("INSERT INTO alert_acks (alert_id, active_since_ms, by, comment, at_ms) VALUES ('a', 1, 'ana', 'seen', 2)").run();
      db.prepare(
        "INSERT INTO audit (at_ms, sim_ms, actor, role, kind, target, old_value, new_value, reason, outcome, prev_hash, hash) VALUES (1, 1, 'ana', 'operator', 'ack', 'a', '', '', 'seen', 'ok', '0', 'h')",
      ).run();
      migrate(db, controlMigrations());
      expect(db.prepare('SELECT by FROM alert_acks').pluck().get()).toBe('ana');
      expect(db.prepare('SELECT count(*) FROM audit').pluck().get()).toBe(1);
      const logged = db.prepare('SELECT version FROM schema_migrations ORDER BY version').pluck().all();
      expect(logged).toEqual(CONTROL_MIGRATIONS.map((m) => m.version));
    } finally {
      db.close();
    }
  });

  it('refuses a list out of order', () => {
    const saved = [...CONTROL_MIGRATIONS];
    const list = CONTROL_MIGRATIONS as Migration[];
    const last = list.at(-1)!.version;
    try {
      list.push({ version: 2, name: 'late low number', up: () => {} });
      expect(() => controlMigrations()).toThrow(new RegExp(`version 2 must be an integer above ${last}`));
      list.pop();
      list.push({ version: last, name: 'same number twice', up: () => {} });
      expect(() => controlMigrations()).toThrow(new RegExp(`version ${last} must be an integer above ${last}`));
    } finally {
      list.length = 0;
      list.push(...saved);
    }
  });
});
