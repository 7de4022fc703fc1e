import { checkStore, openStore, StoreError, type DB, type Migration } from './db.js';
import { CONTROL_MIGRATIONS } from './migrations/control.js';

/** control.db's migrations, each also recording itself in schema_migrations (created by version 1), atomically. */
export function controlMigrations(): Migration[] {
  let last = 0;
  for (const m of CONTROL_MIGRATIONS) {
    if (!Number.isInteger(m.version) || m.version <= last) throw new Error(`control.db migration "${m.name}": version ${m.version} must be an integer above ${last}`);
    last = m.version;
  }
  return CONTROL_MIGRATIONS.map((m) => ({
    ...m,
    up: (db: DB) => {
      m.up(db);
      db.prepare('INSERT INTO schema_migrations (version, name, applied_at_ms) VALUES (?, ?, ?)').run(m.version, m.name, Date.now());
    },
  }));
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
export function openControlDb(file: string, o: { checked?: boolean } = {}): DB {
  try {
    return openStore(file, { synchronous: 'FULL', migrations: controlMigrations(), checked: o.checked });
  } catch (e) {
    clearer(file, e);
  }
}

/** What `openControlDb` would refuse, checked without writing anything (start-up checks every store first). */
export function checkControlDb(file: string): void {
  try {
    checkStore(file, { synchronous: 'FULL', migrations: controlMigrations() });
  } catch (e) {
    clearer(file, e);
  }
}

/**
 * Open an existing control.db read-only (audit verify / export): nothing is created, migrated or written, not even
 * beside it (a clean copy in a read-only folder is read into memory).
 */
export function openControlDbReadonly(file: string): DB {
  let db: DB;
  try {
    db = openStore(file, { synchronous: 'FULL', migrations: [], readonly: true, memoryCopy: true });
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
