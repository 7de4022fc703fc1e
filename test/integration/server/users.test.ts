/**
 * Issue 13 item 6, people not roles: `headroom users add` makes a person with a token shown once (its SHA-256 kept);
 * the headless console started with `--users` knows who calls — the audit names Ana, not "operator (token)" — for an
 * override and for pausing the simulation (now audited); Bo, a viewer, is refused; a bad users file is one line, exit 2.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { startServer, type HeadlessServer } from '../../../main/server/server.js';
import { loadUsers } from '../../../main/cli/users.js';
import { tempDir } from '../../helpers.js';

const tmp = tempDir();
const TOKENS = { admin: 'adm-token-xxxxxxxxxxxxxxxx', operator: 'op-token-xxxxxxxxxxxxxxxxx', viewer: 'view-token-xxxxxxxxxxxxxxx' };
const headroom = (...args: string[]) => spawnSync(process.execPath, ['bin/headroom.js', ...args], { encoding: 'utf8', timeout: 60_000 });
let rt: Runtime;
let srv: HeadlessServer;
let ana = '';
let bo = '';

beforeAll(async () => {
  const file = tmp.file('users.yaml');
  const a = headroom('users', 'add', 'Ana Lima', '--role', 'operator', '--file', file);
  const b = headroom('users', 'add', 'Bo', '--role', 'viewer', '--file', file);
  expect(a.status, a.stderr).toBe(0);
  expect(b.status, b.stderr).toBe(0);
  ana = a.stdout.trim();
  bo = b.stdout.trim();
  // The token is shown once and never stored.
  expect(readFileSync(file, 'utf8')).not.toContain(ana);
  rt = await createRuntime({ scenario: 'default', db: null, log: () => {} });
  srv = await startServer({ host: '127.0.0.1', port: 0, tokens: TOKENS, users: loadUsers(file), handlers: rt.handlers, bus: rt.bus, staticDir: null, onRefused: rt.auditRefusal });
});
afterAll(async () => {
  await srv?.close();
  await rt?.close();
  tmp.cleanup();
});

const invoke = (token: string, channel: string, body: unknown) =>
  fetch(`http://127.0.0.1:${srv.port}/api/invoke/${channel}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(body) }).then(async (r) => ({ status: r.status, body: (await r.json()) as Record<string, unknown> }));

describe('people with their own tokens', () => {
  it('the console knows who calls; the audit names the person for an override and for a pause', async () => {
    expect((await invoke(ana, 'session:whoami', {})).body).toEqual({ user: 'Ana Lima', role: 'operator' });
    expect((await invoke(bo, 'session:whoami', {})).body).toEqual({ user: 'Bo', role: 'viewer' });
    expect((await invoke('not-a-token', 'session:whoami', {})).status).toBe(401);
    const set = await invoke(ana, 'override:set', { target: { kind: 'row', id: 'B' }, action: { kind: 'powerCap', watts: 450 }, reason: 'cap for the drill', expiresInS: 600 });
    expect(set.status).toBe(200);
    expect(rt.audit.list({ kind: 'override' })[0]).toMatchObject({ actor: 'Ana Lima', role: 'operator', reason: 'cap for the drill' });
    expect((await invoke(ana, 'sim:control', { action: 'pause' })).body).toMatchObject({ paused: true });
    expect((await invoke(ana, 'sim:control', { action: 'speed', speed: 60 })).body).toMatchObject({ speed: 60 });
    expect(rt.audit.list({ kind: 'sim' }).map((r) => [r.actor, r.oldValue, r.newValue])).toEqual([
      ['Ana Lima', 'paused at ×1', 'paused at ×60'],
      ['Ana Lima', 'running at ×1', 'paused at ×1'],
    ]);
    // A viewer may watch, not steer: refused, and the refusal names him.
    const refused = await invoke(bo, 'sim:control', { action: 'resume' });
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.body).toMatchObject({ error: expect.stringMatching(/not allowed for role viewer/) });
    expect(rt.audit.list({ kind: 'refusal' })[0]).toMatchObject({ actor: 'Bo', target: 'sim:control' });
  });

  it('a users file with a bad entry: one line naming the file, the line and the field; exit 2', () => {
    const bad = tmp.file('bad.yaml');
    writeFileSync(bad, 'users:\n  - name: Cy\n    role: boss\n    tokenSha256: 0000000000000000000000000000000000000000000000000000000000000000\n');
    const r = headroom('serve', '--users', bad, '--db', ':memory:', '--port', '0');
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/bad\.yaml:3: users\[0\]\.role: /);
  });
});
