import { CONTROL_POLICY_MIGRATIONS } from '../engine/control/migrations.js';
import { openStore, schemaVersion, StoreError, type DB, type Migration } from './db.js';
import { CONTROL_MIGRATIONS } from './migrations/control.js';

/** Versions 1–99: audit trail and alert handling; 100 and up: the controller (overrides, policy). */
const OWN_RANGE = [1, 99] as const;

export function allMigrations(): Migration[] {
  const all = [...CONTROL_MIGRATIONS, ...CONTROL_POLICY_MIGRATIONS].sort((a, b) => a.version - b.version);
  const seen = new Set<number>();
  for (const m of all) {
    if (!Number.isInteger(m.version) || m.version < 1) throw new Error(`control.db migration "${m.name}": bad version ${m.version}`);
    if (seen.has(m.version)) throw new Error(`control.db migration version ${m.version} is used twice`);
    seen.add(m.version);
  }
  for (const m of CONTROL_MIGRATIONS) if (m.version < OWN_RANGE[0] || m.version > OWN_RANGE[1]) throw new Error(`control.db migration "${m.name}" must be numbered 1–99`);
  for (const m of CONTROL_POLICY_MIGRATIONS) if (m.version < 100) throw new Error(`control policy migration "${m.name}" must be numbered 100 or more`);
  // Every migration also records itself in schema_migrations (created by version 1), in its own transaction.
  return all.map((m) => ({
    ...m,
    up: (db: DB) => {
      m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    },
  }));
}

/**
 * openStore migrates by user_version, which skips a migration numbered below one already applied (a new audit
 * migration 2 shipped after the controller's 100 ran). Apply any migration schema_migrations does not list.
 */
export function applyMissingMigrations(db: DB, migrations: readonly Migration[]): void {
  const done = new Set(db.prepare('SELECT version FROM schema_migrations').pluck().all() as number[]);
  for (const m of migrations) {
    if (done.has(m.version)) continue;
    db.transaction(() => {
      m.up(db);
      if (m.version > schemaVersion(db)) db.pragma(`user_version = ${m.version}`);
    })();
  }
}

function clearer(file: string, e: unknown): never {
  if (e instanceof StoreError && /integrity check failed/.test(e.message)) {
    throw new StoreError(
      `${e.message.replace(/\s*\n\s*/g, '; ')} — the control database (audit trail, acks, silences, overrides, policy) is damaged ` +
        `and was not opened. Restore ${file} from a backup, or move it away to start with an empty one.`,
    );
  }
  throw e;
}

/**
 * Open (or create) control.db: the audit trail, alert acks and silences, and the controller's overrides and
 * policy. WAL + synchronous=FULL (a record is on disk when its transaction returns), start-up quick_check,
 * numbered migrations. Throws StoreError (file not SQLite, damaged, cannot be opened).
 */
export function openControlDb(file: string): DB {
  const migrations = allMigrations();
  let db: DB;
  try {
    db = openStore(file, { synchronous: 'FULL', migrations });
  } catch (e) {
    clearer(file, e);
  }
  try {
    applyMissingMigrations(db, migrations);
  } catch (e) {
    db.close();
    throw new StoreError(`${file}: migration failed: ${(e as Error).message}`);
  }
  return db;
}

/** Open an existing control.db read-only (audit verify / export): nothing is created, migrated or written. */
export function openControlDbReadonly(file: string): DB {
  let db: DB;
  try {
    db = openStore(file, { synchronous: 'FULL', migrations: [], readonly: true });
  } catch (e) {
    clearer(file, e);
  }
  const hasAudit = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'audit'").get();
  if (!hasAudit) {
    db.close();
    throw new StoreError(`${file}: not a Headroom control database (no audit table)`);
  }
  return db;
}
