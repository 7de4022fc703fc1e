import { mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { judgeLock, LOCK_FILE, parseLockHolder, type LockHolder } from '../core/dataLock.js';

/** A data folder is held by another Headroom (or its lock cannot be taken): one line for the operator, exit code 2. */
export class LockError extends Error {
  override readonly name = 'LockError';
}

/** A held data-folder lock; `release` removes the lock file(s) if they are still ours. Idempotent. */
export interface DataLock {
  readonly files: readonly string[];
  release(): void;
}

export interface LockOptions {
  /** The command line to record (already summarised, secrets hidden: core's `commandSummary`). */
  command: string;
  /** Where a take-over of a stale lock is reported. */
  log: (line: string) => void;
  now?: () => number;
}

/**
 * The data folders of a set of database files: the distinct folders of those that are files (not null, not
 * ":memory:"), absolute. With `--db X` that is dirname(X); with control.db elsewhere, its folder too.
 */
export function dataFolders(files: ReadonlyArray<string | null | undefined>): string[] {
  const out = new Set<string>();
  for (const f of files) if (f && f !== ':memory:') out.add(dirname(resolve(f)));
  return [...out];
}

/** Whether a process with this pid runs on this host: signal 0 checks without sending; EPERM means it exists. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Lock every folder (creating it if needed), all or none: when one is refused, those already taken are released and
 * the LockError is thrown. No folder → null (nothing to lock: in-memory stores).
 */
export function lockDataFolders(folders: readonly string[], o: LockOptions): DataLock | null {
  if (folders.length === 0) return null;
  const held: DataLock[] = [];
  try {
    for (const f of folders) held.push(lockDataFolder(f, o));
  } catch (e) {
    for (const h of held) h.release();
    throw e;
  }
  return { files: held.flatMap((h) => h.files), release: () => held.forEach((h) => h.release()) };
}

/**
 * Take `<folder>/headroom.lock`: create it exclusively (O_EXCL) with this process as holder. An existing lock is
 * judged by core's `judgeLock`; a stale one is removed only if it still holds what was judged (a second start-up
 * taking it over at the same moment leaves its fresh lock alone), then creation is retried. The lock is also removed
 * when the process exits without a clean close (a fatal error); a kill -9 leaves it, and the next start takes it over.
 */
export function lockDataFolder(folder: string, o: LockOptions): DataLock {
  const abs = resolve(folder);
  mkdirSync(abs, { recursive: true });
  const file = join(abs, LOCK_FILE);
  const me: LockHolder = { pid: process.pid, host: hostname(), startedAtMs: (o.now ?? Date.now)(), command: o.command };
  const text = `${JSON.stringify(me)}\n`;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      writeFileSync(file, text, { flag: 'wx' });
      return held(file, text);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new LockError(`cannot lock data folder ${abs}: ${(e as Error).message}`);
    }
    const existing = readLock(file);
    if (!existing) continue; // released between our attempt and the read: try again
    const verdict = judgeLock({ folder: abs, file }, parseLockHolder(existing.text), {
      host: me.host,
      pid: me.pid,
      ageMs: Math.max(0, Date.now() - existing.mtimeMs),
      isAlive: pidAlive,
    });
    if (verdict.kind === 'refuse') throw new LockError(verdict.message);
    o.log(`headroom: ${verdict.message}`);
    if (readLock(file)?.text === existing.text) rmSync(file, { force: true });
  }
  throw new LockError(`cannot lock data folder ${abs}: ${LOCK_FILE} keeps being replaced by another start-up`);
}

function readLock(file: string): { text: string; mtimeMs: number } | null {
  try {
    return { mtimeMs: statSync(file).mtimeMs, text: readFileSync(file, 'utf8') };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new LockError(`cannot read ${file}: ${(e as Error).message}`);
  }
}

function held(file: string, text: string): DataLock {
  let released = false;
  const release = () => {
    if (released) return;
    released = true;
    process.off('exit', release);
    try {
      // Only our own lock: after a take-over by another start-up (ours judged stale by mistake), theirs stays.
      if (readLock(file)?.text === text) rmSync(file, { force: true });
    } catch {
      // Unreadable now (permissions changed, folder gone): the next start judges what is left.
    }
  };
  process.once('exit', release);
  return { files: [file], release };
}
