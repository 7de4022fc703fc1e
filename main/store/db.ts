import Database from 'better-sqlite3';
import { closeSync, existsSync, openSync, readSync } from 'node:fs';

export type DB = Database.Database;

/** A database file that cannot be opened as Headroom's store; the message says which file and why. */
export class StoreError extends Error {
  override readonly name = 'StoreError';
}

export interface Migration {
  version: number;
  name: string;
  up: (db: DB) => void;
}

const SQLITE_MAGIC = 'SQLite format 3\u0000';

/** Refuse a file that exists, is non-empty and is not SQLite, before SQLite touches it. */
function checkHeader(file: string): void {
  if (file === ':memory:' || !existsSync(file)) return;
  const fd = openSync(file, 'r');
  try {
    const buf = Buffer.alloc(16);
    const n = readSync(fd, buf, 0, 16, 0);
    if (n === 0) return;
    if (n < 16 || buf.toString('latin1') !== SQLITE_MAGIC) {
      throw new StoreError(`${file}: not a SQLite database (bad header); refusing to open it. Move it away or pass another --db.`);
    }
  } finally {
    closeSync(fd);
  }
}

export interface OpenOptions {
  /** NORMAL for telemetry (a crash may lose the last transactions, never corrupts); FULL for control data. */
  synchronous: 'NORMAL' | 'FULL';
  migrations: readonly Migration[];
  readonly?: boolean;
}

/**
 * Open (or create) a store: header check, WAL, synchronous level, quick_check, numbered migrations each in its
 * own transaction. Throws StoreError with the file name on any failure; a failed migration leaves the file as it was.
 */
export function openStore(file: string, opts: OpenOptions): DB {
  checkHeader(file);
  let db: DB;
  try {
    db = new Database(file, { readonly: opts.readonly ?? false, fileMustExist: opts.readonly ?? false });
  } catch (e) {
    throw new StoreError(`${file}: cannot open database: ${(e as Error).message}`);
  }
  try {
    if (!opts.readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma(`synchronous = ${opts.synchronous}`);
    }
    db.pragma('foreign_keys = ON');
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StoreError(`${file}: integrity check failed: ${String(check)}`);
    if (!opts.readonly) migrate(db, opts.migrations);
    return db;
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw e;
    throw new StoreError(`${file}: ${(e as Error).message}`);
  }
}

export function schemaVersion(db: DB): number {
  return db.pragma('user_version', { simple: true }) as number;
}

/** Apply migrations above the current user_version, each atomically, up to `target` (default: all). */
export function migrate(db: DB, migrations: readonly Migration[], target = Infinity): void {
  const sorted = [...migrations].sort((a, b) => a.version - b.version);
  for (const m of sorted) {
    if (m.version <= schemaVersion(db) || m.version > target) continue;
    db.transaction(() => {
      m.up(db);
      db.pragma(`user_version = ${m.version}`);
    })();
  }
}

/** EXPLAIN QUERY PLAN details, for tests that assert hot queries use an index. */
export function explain(db: DB, sql: string, params: unknown[] = []): string[] {
  return (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as Array<{ detail: string }>).map((r) => r.detail);
}
