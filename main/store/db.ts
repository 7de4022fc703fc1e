import Database from 'better-sqlite3';
import { accessSync, closeSync, constants, existsSync, openSync, readFileSync, readSync, statSync, type Stats } from 'node:fs';
import { dirname, resolve } from 'node:path';

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
/** How long opening waits for another process's lock on the file before refusing it (ms). */
export const OPEN_BUSY_MS = 2000;
/** A clean (no -wal) read-only copy up to this size is read into memory: nothing is created next to it. */
const IN_MEMORY_MAX_BYTES = 1 << 30;
/** application_id of a `.headroom` recording ("HRD1"), named when one is passed as a store. */
const RECORDING_APP_ID = 0x48524431;

function codeOf(e: unknown): string | undefined {
  return (e as { code?: string }).code;
}

/** One line for a SQLite or file-system failure; a lock held by someone else is said as such. */
function why(e: unknown): string {
  const code = codeOf(e);
  if (code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED') return 'held by another process (the database is locked); stop it first';
  return String((e as Error).message).split('\n')[0]!;
}

function statOf(file: string): Stats | null {
  try {
    return statSync(file);
  } catch (e) {
    if (codeOf(e) === 'ENOENT') return null;
    throw new StoreError(`${file}: cannot read it (${codeOf(e) ?? why(e)})`);
  }
}

/** Refuse a directory, a device, or a non-empty file that is not SQLite, before SQLite touches it; the header. */
function checkFile(file: string, st: Stats | null): Buffer | null {
  if (!st) return null;
  if (st.isDirectory()) throw new StoreError(`${file}: is a directory, not a database file; pass the file's path`);
  if (!st.isFile()) throw new StoreError(`${file}: not a regular file; refusing to open it`);
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (e) {
    throw new StoreError(`${file}: cannot read it (${codeOf(e) ?? why(e)})`);
  }
  try {
    const buf = Buffer.alloc(100);
    const n = readSync(fd, buf, 0, 100, 0);
    if (n === 0) return null;
    if (n < 16 || buf.toString('latin1', 0, 16) !== SQLITE_MAGIC) {
      throw new StoreError(`${file}: not a SQLite database (bad header); refusing to open it. Move it away or pass another --db.`);
    }
    return buf;
  } finally {
    closeSync(fd);
  }
}

export interface OpenOptions {
  /** NORMAL for telemetry (a crash may lose the last transactions, never corrupts); FULL for control data. */
  synchronous: 'NORMAL' | 'FULL';
  migrations: readonly Migration[];
  readonly?: boolean;
  /** `checkStore` already passed (start-up checks every store before opening any): skip the read-only phase. */
  checked?: boolean;
  /**
   * Read-only only: read a clean copy (no -wal beside it) into memory, so that nothing is created next to it (an
   * auditor's 0444 file in a 0555 folder). For one-shot readers (audit verify): the handle is a snapshot, and has no
   * file name (a recording cannot be written from it).
   */
  memoryCopy?: boolean;
}

/** What must hold before anything is written: ours (application_id), not newer than we know, quick_check ok. */
function checkContents(db: DB, file: string, migrations: readonly Migration[]): void {
  const appId = db.pragma('application_id', { simple: true }) as number;
  if (appId !== 0) {
    throw new StoreError(`${file}: not a Headroom database (application_id ${appId}${appId === RECORDING_APP_ID ? ': a .headroom recording' : ''}); refusing to open it`);
  }
  const known = migrations.reduce((m, x) => Math.max(m, x.version), 0);
  const v = db.pragma('user_version', { simple: true }) as number;
  if (migrations.length > 0 && v > known) {
    throw new StoreError(`${file}: schema version ${v} is newer than this Headroom knows (${known}); written by a newer Headroom: upgrade, or pass another --db`);
  }
  const problems = quickCheck(db);
  if (problems) throw new StoreError(`${file}: integrity check failed: ${problems}`);
}

/** SQLite's quick_check: null when ok, else its report in one line (integritySummary). */
export function quickCheck(db: DB): string | null {
  const rows = (db.pragma('quick_check(20)') as Array<Record<string, unknown>>).map((r) => String(Object.values(r)[0]));
  const report = rows.join('\n');
  return report === 'ok' ? null : integritySummary(report);
}

/**
 * quick_check's report in one line: its first two problems and how many more (it can print dozens of lines, and a
 * refusal is one line).
 */
export function integritySummary(report: string): string {
  const problems = report
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !/^\*\*\* in database \w+ \*\*\*$/.test(l));
  if (problems.length === 0) return report.trim();
  const more = problems.length - 2;
  return `${problems.slice(0, 2).join('; ')}${more > 0 ? ` (and ${more}${problems.length >= 20 ? '+' : ''} more)` : ''}`;
}

/** Run `f` on a connection, closing it on failure; SQLite errors become StoreErrors naming the file. */
function guarded<T>(db: DB, file: string, f: (db: DB) => T): T {
  try {
    return f(db);
  } catch (e) {
    db.close();
    if (e instanceof StoreError) throw e;
    const corrupt = /^SQLITE_(CORRUPT|NOTADB)/.test(codeOf(e) ?? '');
    throw new StoreError(`${file}: ${corrupt ? 'integrity check failed: ' : ''}${why(e)}`);
  }
}

/**
 * Open an existing store read-only: SQLite's read-only open (a live database: its -wal holds committed records); with
 * `memoryCopy`, a clean copy in WAL mode (no -wal beside it, e.g. an auditor's 0444 file in a 0555 folder, where
 * SQLite could not create its -shm) is read into memory instead, writing nothing anywhere.
 */
function openReadonly(file: string, header: Buffer | null, migrations: readonly Migration[], size: number, memoryCopy = false): DB {
  let db: DB;
  try {
    if (memoryCopy && header && header[18] === 2 && !existsSync(`${file}-wal`) && size <= IN_MEMORY_MAX_BYTES) {
      const bytes = readFileSync(file);
      bytes[18] = 1; // our copy only: legacy journal mode, which an in-memory database can read
      bytes[19] = 1;
      db = new Database(bytes, { readonly: true });
    } else {
      db = new Database(file, { readonly: true, fileMustExist: true, timeout: OPEN_BUSY_MS });
    }
  } catch (e) {
    throw new StoreError(`${file}: cannot open database: ${why(e)}`);
  }
  return guarded(db, file, (d) => {
    checkContents(d, file, migrations);
    return d;
  });
}

/** Refuse a store Headroom could read but not write (a 0444 file, a read-only folder or mount). */
function checkWritable(file: string, exists: boolean): void {
  const dir = dirname(resolve(file));
  for (const [path, what] of [...(exists ? [[file, 'file']] : []), [dir, 'folder']] as Array<[string, string]>) {
    try {
      accessSync(path, constants.W_OK);
    } catch (e) {
      throw new StoreError(`${file}: read-only (${what === 'folder' ? `its folder ${dir}: ` : ''}${codeOf(e) ?? why(e)}); Headroom writes to it: make it writable or pass another --db`);
    }
  }
}

/**
 * Everything `openStore` refuses before it writes, without writing: a directory, a non-SQLite file, a file or folder
 * Headroom cannot write, another program's database (or a recording), a newer schema, a failed quick_check, a lock
 * held by another process (after OPEN_BUSY_MS). The existing file is only read, on a read-only connection.
 */
export function checkStore(file: string, opts: OpenOptions): void {
  if (file === ':memory:') return;
  const st = statOf(file);
  const header = checkFile(file, st);
  if (!opts.readonly) checkWritable(file, st !== null);
  if (header) openReadonly(file, header, opts.migrations, st!.size).close();
}

/**
 * Open (or create) a store. Nothing changes the file until `checkStore` passed; then it is opened read-write: WAL,
 * synchronous level, a write lock taken and released (held by another process → refused within OPEN_BUSY_MS),
 * numbered migrations each in its own transaction. Read-only: opened without writing anything anywhere. Throws
 * StoreError with the file name on any failure; a failed migration leaves the file as it was.
 */
export function openStore(file: string, opts: OpenOptions): DB {
  if (opts.readonly) {
    const st = statOf(file);
    const header = checkFile(file, st);
    if (!st) throw new StoreError(`${file}: cannot open database: no such file`);
    return openReadonly(file, header, opts.migrations, st.size, opts.memoryCopy);
  }
  if (!opts.checked) checkStore(file, opts);
  let db: DB;
  try {
    db = new Database(file, { timeout: OPEN_BUSY_MS });
  } catch (e) {
    throw new StoreError(`${file}: cannot open database: ${why(e)}`);
  }
  return guarded(db, file, (d) => {
    d.exec('BEGIN IMMEDIATE; ROLLBACK'); // someone else's write lock: refused now, not at the first write
    d.pragma('journal_mode = WAL');
    d.pragma(`synchronous = ${opts.synchronous}`);
    d.pragma('foreign_keys = ON');
    d.pragma('busy_timeout = 5000');
    migrate(d, opts.migrations);
    return d;
  });
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
