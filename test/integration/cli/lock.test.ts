import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { dirname, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditTrail } from '../../../main/store/audit.js';
import { openControlDbReadonly } from '../../../main/store/controlDb.js';
import { tempDir } from '../../helpers.js';

// The real `headroom` command (bin/headroom.js → dist/, built by `npm test`'s pretest), as separate processes.
const tmp = tempDir('headroom-lock-cli-');
const children: ChildProcess[] = [];
afterAll(() => {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  tmp.cleanup();
});
const db = tmp.file('data/telemetry.db');
const folder = resolve(dirname(db));
const args = ['bin/headroom.js', 'serve', '--port', '0', '--db', db, '--token', 'admin-secret-token-0123456789'];

/** Start `headroom serve`; resolves once it serves, with everything it wrote to stderr so far. */
function serve(): Promise<{ child: ChildProcess; stderr: () => string }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.push(child);
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += String(d)));
  return new Promise((res, rej) => {
    child.stdout.on('data', (d) => {
      out += String(d);
      if (/Headroom serving on/.test(out)) res({ child, stderr: () => err });
    });
    child.once('exit', (code) => rej(new Error(`serve exited ${code}: ${err}`)));
  });
}
const exited = (c: ChildProcess) => new Promise<number | null>((res) => (c.exitCode !== null || c.signalCode !== null ? res(c.exitCode) : c.once('exit', (code) => res(code))));

describe('one headroom per data folder', () => {
  it('a second serve on the folder is refused (one line, exit 2); after a kill -9 the next start takes the stale lock over', async () => {
    const first = await serve();
    const pid = first.child.pid!;

    const second = spawnSync(process.execPath, args, { encoding: 'utf8', timeout: 60_000 });
    expect(second.status, second.stderr).toBe(2);
    const lines = second.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^headroom: data folder ${folder} is in use by Headroom pid ${pid} on host ${hostname()} since \\d{4}-\\d\\d-\\d\\dT\\S+Z \\(headroom serve --port 0 --db \\S+telemetry\\.db --token \\*\\*\\*\\); stop it first`));
    expect(second.stdout).not.toMatch(/serving/);

    first.child.kill('SIGKILL');
    await exited(first.child);
    expect(existsSync(resolve(folder, 'headroom.lock'))).toBe(true); // a kill -9 leaves its lock behind

    const third = await serve();
    expect(third.stderr()).toMatch(new RegExp(`headroom: taking over data folder ${folder} from a Headroom that is gone: pid ${pid} on host `));
    third.child.kill('SIGTERM');
    expect(await exited(third.child)).toBe(0);
    expect(existsSync(resolve(folder, 'headroom.lock'))).toBe(false); // a clean close removes it

    // The audit trail: the killed run never said goodbye, the refused one never said hello.
    const cdb = openControlDbReadonly(resolve(folder, 'control.db'));
    try {
      const runs = new AuditTrail(cdb).list({ kind: 'run', limit: 10 }).reverse();
      expect(runs.map((r) => [JSON.parse(r.newValue).pid, r.reason])).toEqual([
        [pid, 'headroom started'],
        [third.child.pid, 'headroom started'],
        [third.child.pid, 'headroom stopped'],
      ]);
    } finally {
      cdb.close();
    }
  }, 60_000);
});
