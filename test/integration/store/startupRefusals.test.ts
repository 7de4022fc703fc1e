import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { main } from '../../../main/cli/headroom.js';
import { AuditTrail } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { CONTROL_MIGRATIONS } from '../../../main/store/migrations/control.js';
import { tempDir } from '../../helpers.js';

// Every refusal at start-up: one line naming the file, exit 2, the file's bytes unchanged, nothing left running.
const tmp = tempDir('headroom-refusals-');
chmodSync(tmp.dir, 0o755); // the spawned read-only case runs as an unprivileged user when we are root
afterAll(() => tmp.cleanup());
afterEach(() => vi.restoreAllMocks());
let k = 0;
const folder = () => {
  const d = tmp.file(`case-${++k}`);
  mkdirSync(d, { recursive: true });
  chmodSync(d, 0o755);
  return d;
};
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

/** `headroom serve …` in-process up to its refusal: exit code and stderr. */
async function serve(db: string, ...more: string[]): Promise<{ code: number; err: string[]; ms: number }> {
  const err: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const t0 = performance.now();
  const code = await main(['serve', '--port', '0', '--db', db, ...more]);
  vi.restoreAllMocks();
  return { code, err, ms: performance.now() - t0 };
}

/** A control.db with some records, closed in rollback-journal mode (as a copy or an old file would be). */
function controlDb(file: string, records = 200): void {
  const db = openControlDb(file);
  const t = new AuditTrail(db);
  for (let i = 0; i < records; i++) t.append({ actor: 'system', kind: 'actuation', target: `gpu ${i}`, oldValue: 'x'.repeat(200), newValue: 'y', reason: 'r', outcome: 'ok' }, i);
  db.pragma('journal_mode = DELETE');
  db.close();
}

describe('start-up refuses a store before changing it', () => {
  it('telemetry.db that is not SQLite', async () => {
    const f = join(folder(), 'telemetry.db');
    writeFileSync(f, 'not a database at all, just text');
    const before = sha(f);
    const r = await serve(f);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`headroom: ${f}: not a SQLite database (bad header); refusing to open it. Move it away or pass another --db.`]);
    expect(sha(f)).toBe(before);
  });

  it('control.db that is not SQLite: refused before telemetry.db is even created', async () => {
    const d = folder();
    const c = join(d, 'control.db');
    writeFileSync(c, 'garbage'.repeat(100));
    const before = sha(c);
    const r = await serve(join(d, 'telemetry.db'));
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`headroom: ${c}: not a SQLite database (bad header); refusing to open it. Move it away or pass another --db.`]);
    expect(sha(c)).toBe(before);
    expect(existsSync(join(d, 'telemetry.db'))).toBe(false);
    expect(existsSync(join(d, 'headroom.lock'))).toBe(false);
  });

  it('a damaged control.db: quick_check refuses it on a read-only connection; not switched to WAL (bytes unchanged)', async () => {
    const d = folder();
    const c = join(d, 'control.db');
    controlDb(c);
    const bytes = readFileSync(c);
    expect(bytes[18]).toBe(1); // rollback journal: a switch to WAL would write 2 here
    bytes.fill(0xa5, 4096 * 3, 4096 * 3 + 1500); // a b-tree page's header and cells
    writeFileSync(c, bytes);
    const before = sha(c);
    const r = await serve(join(d, 'telemetry.db'));
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(new RegExp(`^headroom: ${c}: integrity check failed: .* — the control database \\(audit trail, acks, silences, overrides, policy\\) is damaged and was not opened\\. Restore ${c} from a backup`));
    expect(sha(c)).toBe(before);
    expect(existsSync(`${c}-wal`)).toBe(false);
  });

  it('a damaged telemetry.db with many problems: still one line (quick_check prints one per problem)', async () => {
    const d = folder();
    const t = join(d, 'telemetry.db');
    const db = new Database(t);
    db.exec('CREATE TABLE x (k INTEGER PRIMARY KEY, v TEXT); CREATE INDEX xv ON x (v)');
    const put = db.prepare('INSERT INTO x (v) VALUES (?)');
    for (let i = 0; i < 3000; i++) put.run(`value ${i} `.repeat(8));
    db.close();
    const bytes = readFileSync(t);
    for (let p = 5; p < 60; p += 3) bytes.fill(0xa5, 4096 * p, 4096 * p + 1500); // b-tree page headers and cells
    writeFileSync(t, bytes);
    const r = await serve(t);
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).not.toMatch(/\n|\*\*\*/);
    expect(r.err[0]).toMatch(new RegExp(`^headroom: ${t}: integrity check failed: [^;]+; [^;]+ \\(and \\d+\\+? more\\)`));
  });

  it('--db naming a directory', async () => {
    const d = folder();
    const r = await serve(d);
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`headroom: ${d}: is a directory, not a database file; pass the file's path`]);
  });

  it('a control.db written by a newer Headroom (schema above what this one knows)', async () => {
    const d = folder();
    const c = join(d, 'control.db');
    controlDb(c, 1);
    const raw = new Database(c);
    raw.pragma('user_version = 999');
    raw.close();
    const before = sha(c);
    const r = await serve(join(d, 'telemetry.db'));
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`headroom: ${c}: schema version 999 is newer than this Headroom knows (${Math.max(...CONTROL_MIGRATIONS.map((m) => m.version))}); written by a newer Headroom: upgrade, or pass another --db`]);
    expect(sha(c)).toBe(before);
  });

  it('a telemetry.db held by another process: refused within a few seconds, naming it', async () => {
    const d = folder();
    const t = join(d, 'telemetry.db');
    const holder = spawn(process.execPath, ['-e', `const D=require('better-sqlite3');const db=new D(${JSON.stringify(t)});db.exec('BEGIN EXCLUSIVE; CREATE TABLE x(a)');console.log('held');setInterval(()=>{},1000)`], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      await new Promise<void>((res) => holder.stdout.once('data', () => res()));
      const r = await serve(t);
      expect(r.code).toBe(2);
      expect(r.err).toEqual([`headroom: ${t}: held by another process (the database is locked); stop it first`]);
      expect(r.ms).toBeLessThan(8000);
    } finally {
      holder.kill('SIGKILL');
    }
  });
});

// The real command, as its own process (bin/headroom.js → dist/): it must exit, not hang on a started worker.
const asUser = process.getuid?.() === 0 ? { uid: 65534, gid: 65534 } : {};
const headroom = (args: string[], opts: object = {}) => spawnSync(process.execPath, ['bin/headroom.js', ...args], { encoding: 'utf8', timeout: 20_000, ...opts });

describe('headroom serve refusing a store, as a process', () => {
  it('control.db not SQLite: one line, exit 2 within seconds, the process gone (no store worker left running)', () => {
    const d = folder();
    const c = join(d, 'control.db');
    writeFileSync(c, 'garbage'.repeat(100));
    const t0 = Date.now();
    const r = headroom(['serve', '--port', '0', '--db', join(d, 'telemetry.db')]);
    expect(r.signal).toBeNull(); // not killed by the timeout: it exited by itself
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`headroom: ${c}: not a SQLite database (bad header); refusing to open it. Move it away or pass another --db.\n`);
    expect(Date.now() - t0).toBeLessThan(15_000);
  });

  it('a read-only telemetry.db (0444): refused with exit 2, unchanged', () => {
    const d = folder();
    const t = join(d, 'telemetry.db');
    const made = headroom(['sim', '--scenario', 'default', '--duration', '2', '--db', t, '--out', join(d, 'r.json')]);
    expect(made.status, made.stderr).toBe(0);
    chmodSync(t, 0o444);
    chmodSync(d, 0o777);
    const before = sha(t);
    const r = headroom(['serve', '--port', '0', '--db', t], asUser);
    expect(r.signal).toBeNull();
    expect(r.status, r.stderr).toBe(2);
    expect(r.stderr).toBe(`headroom: ${t}: read-only (EACCES); Headroom writes to it: make it writable or pass another --db\n`);
    expect(sha(t)).toBe(before);
  });
});
