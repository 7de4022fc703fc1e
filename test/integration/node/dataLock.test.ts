import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dataFolders, lockDataFolder, lockDataFolders, LockError } from '../../../main/node/dataLock.js';
import { tempDir } from '../../helpers.js';

const tmp = tempDir('headroom-lock-');
afterAll(() => tmp.cleanup());

const folder = (name: string) => {
  const d = tmp.file(name);
  mkdirSync(d, { recursive: true });
  return d;
};
const holderFile = (dir: string, h: Record<string, unknown>) => writeFileSync(join(dir, 'headroom.lock'), JSON.stringify({ host: hostname(), startedAtMs: Date.UTC(2026, 0, 1), command: 'headroom serve', ...h }));
const readHolder = (dir: string) => JSON.parse(readFileSync(join(dir, 'headroom.lock'), 'utf8')) as { pid: number; host: string; command: string };
const quiet = { command: 'test', log: () => {} };

describe('data-folder lock file', () => {
  it('records this process as holder, refuses a second lock on the folder, and is removed on release (once)', () => {
    const dir = tmp.file('fresh/deeper');
    const lock = lockDataFolder(dir, { command: 'headroom serve --db x', log: () => {} });
    expect(readHolder(dir)).toMatchObject({ pid: process.pid, host: hostname(), command: 'headroom serve --db x' });
    expect(() => lockDataFolder(dir, quiet)).toThrow(LockError);
    expect(() => lockDataFolder(dir, quiet)).toThrow(new RegExp(`in use by Headroom pid ${process.pid} on host `));
    lock.release();
    expect(existsSync(join(dir, 'headroom.lock'))).toBe(false);
    const again = lockDataFolder(dir, quiet);
    lock.release(); // a second release of the old lock leaves the new holder alone
    expect(readHolder(dir).pid).toBe(process.pid);
    again.release();
  });

  it('takes over a lock whose process is gone, saying so', () => {
    const dir = folder('stale');
    const dead = spawnSync(process.execPath, ['-e', '']).pid;
    holderFile(dir, { pid: dead });
    const lines: string[] = [];
    const lock = lockDataFolder(dir, { command: 'test', log: (l) => lines.push(l) });
    expect(lines).toEqual([expect.stringMatching(new RegExp(`^headroom: taking over data folder .*stale from a Headroom that is gone: pid ${dead} on host `))]);
    expect(readHolder(dir).pid).toBe(process.pid);
    lock.release();
  });

  it('refuses while the holder runs, and a holder on another host whatever its pid', async () => {
    const dir = folder('live');
    const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
    try {
      holderFile(dir, { pid: child.pid });
      expect(() => lockDataFolder(dir, quiet)).toThrow(new RegExp(`data folder .*live is in use by Headroom pid ${child.pid} on host ${hostname()} since 2026-01-01T00:00:00\\.000Z \\(headroom serve\\)`));
      expect(readHolder(dir).pid).toBe(child.pid);
    } finally {
      child.kill('SIGKILL');
    }
    const far = folder('shared');
    holderFile(far, { pid: spawnSync(process.execPath, ['-e', '']).pid, host: 'another-host' });
    expect(() => lockDataFolder(far, quiet)).toThrow(/on host another-host .*that host may share this folder/);
  });

  it('an unreadable lock: refused while young, taken over once old', () => {
    const dir = folder('torn');
    writeFileSync(join(dir, 'headroom.lock'), '');
    expect(() => lockDataFolder(dir, quiet)).toThrow(/being locked by another Headroom starting up/);
    const old = (Date.now() - 60_000) / 1000;
    utimesSync(join(dir, 'headroom.lock'), old, old);
    lockDataFolder(dir, quiet).release();
  });

  it('locks all folders or none', () => {
    const a = tmp.file('all-a');
    const b = folder('all-b');
    holderFile(b, { host: 'another-host', pid: 1 });
    expect(() => lockDataFolders([a, b], quiet)).toThrow(LockError);
    expect(existsSync(join(a, 'headroom.lock'))).toBe(false);
    expect(lockDataFolders([], quiet)).toBeNull();
  });

  it('the data folders of a runtime: the folders of its database files, not in-memory ones', () => {
    expect(dataFolders([tmp.file('d/telemetry.db'), tmp.file('d/control.db')])).toEqual([resolve(tmp.file('d'))]);
    expect(dataFolders([null, ':memory:', undefined])).toEqual([]);
    expect(dataFolders([':memory:', tmp.file('c/control.db')])).toEqual([resolve(tmp.file('c'))]);
  });
});
