import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { controlMigrations } from '../../../main/store/controlDb.js';
import { migrate, schemaVersion, type DB, type Migration } from '../../../main/store/db.js';
import { CONTROL_MIGRATIONS } from '../../../main/store/migrations/control.js';
import { TELEMETRY_MIGRATIONS } from '../../../main/store/migrations/telemetry.js';

/** Tables, indices and triggers with their SQL: the schema as SQLite holds it. */
function schema(db: DB): Map<string, string> {
  const rows = db.prepare("SELECT type, name, sql FROM sqlite_schema WHERE name NOT LIKE 'sqlite_%' ORDER BY name").all() as Array<{ type: string; name: string; sql: string | null }>;
  return new Map(rows.map((r) => [`${r.type} ${r.name}`, r.sql ?? '']));
}

/** Per database: its one numbered list, and what the app applies (control.db's entries also log themselves). */
const DATABASES: Array<{ name: string; list: readonly Migration[]; applied: () => readonly Migration[] }> = [
  { name: 'control.db', list: CONTROL_MIGRATIONS, applied: controlMigrations },
  { name: 'telemetry.db', list: TELEMETRY_MIGRATIONS, applied: () => TELEMETRY_MIGRATIONS },
];

describe.each(DATABASES)('$name migrations', ({ list, applied }) => {
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
        for (const [k, sql] of before) expect(after.get(k), `${k} changed or vanished`).toBe(sql);
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
    try {
      list.push({ version: 2, name: 'late low number', up: () => {} });
      expect(() => controlMigrations()).toThrow(/version 2 must be an integer above 101/);
    } finally {
      list.length = 0;
      list.push(...saved);
    }
  });
});
