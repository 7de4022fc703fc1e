import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { HostAgent } from '../../../main/agent/agent.js';
import { SimBackend } from '../../../main/agent/simBackend.js';
import { runCerts } from '../../../main/cli/certs.js';
import { AgentLink } from '../../../main/fleet/agentLink.js';
import { createCa, describeCert, issueAgentCert, issueConsoleCert, LEAF_DAYS, loadIdentity } from '../../../main/pki/certs.js';
import { normalizeSerial } from '../../../main/pki/revocation.js';
import { tempDir, until } from '../../helpers.js';

/**
 * Issue 11, item 7b: certificates default to 90 days, can be renewed (same subject, new serial) and revoked through
 * `<certs dir>/revoked.json`, which the agent (for consoles) and the console (for agents) honour at the handshake and,
 * on the agent, for live connections once the list changes — no restart.
 */
const DAY = 86_400_000;
const HOST = 'gpu-r';
const t = tempDir('headroom-revoke-');
const dir = t.file('certs');
const serialOf = (base: string) => describeCert(readFileSync(`${dir}/${base}.crt`, 'utf8')).serial;
let agent: HostAgent;
/** The serial of the certificate the running agent presents (it is renewed on disk below, not reloaded). */
let servingSerial: string;
const agentLog: string[] = [];
let out: string[] = [];
let err: string[] = [];

function capture(): void {
  out = [];
  err = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
}

function link(name: string) {
  const errors: string[] = [];
  let hellos = 0;
  const l = new AgentLink({ kind: 'agent', id: `src-${name}`, host: HOST, address: '127.0.0.1', port: agent.port }, { identity: loadIdentity(dir, `console-${name}`), onHello: () => hellos++, maxBackoffMs: 300 });
  l.start({ readings: () => {}, error: (_id, m) => errors.push(m) });
  return { l, errors, hellos: () => hellos };
}

beforeAll(async () => {
  await createCa(dir);
  await issueAgentCert(dir, HOST, { ips: ['127.0.0.1'] });
  for (const n of ['ops', 'old', 'spare']) await issueConsoleCert(dir, n, 'control');
  servingSerial = serialOf(`agent-${HOST}`);
  agent = await HostAgent.start({
    host: HOST,
    backend: new SimBackend({ host: HOST, gpus: 2 }),
    identity: loadIdentity(dir, `agent-${HOST}`),
    listen: { host: '127.0.0.1', port: 0 },
    metricsListen: null,
    intervalMs: 100,
    safeCap: { pct: 60 },
    log: (l) => agentLog.push(l),
  });
}, 30_000);

afterAll(async () => {
  await agent.stop();
  t.cleanup();
});

afterEach(() => vi.restoreAllMocks());

describe('certificate lifetime and renewal', () => {
  it('issues leaves for 90 days by default', () => {
    expect(LEAF_DAYS).toBe(90);
    const d = describeCert(readFileSync(`${dir}/console-ops.crt`, 'utf8'));
    expect((Date.parse(d.notAfter) - Date.parse(d.notBefore)) / DAY).toBeCloseTo(90, 3);
  });

  it('renews a console and an agent: same subject, scope and SANs, new serial and key, 90 days; logged with the name', async () => {
    const before = describeCert(readFileSync(`${dir}/agent-${HOST}.crt`, 'utf8'));
    const oldKey = readFileSync(`${dir}/console-spare.key`, 'utf8');
    const oldSerial = serialOf('console-spare');
    capture();
    expect(await runCerts(['renew', '--dir', dir, '--name', 'spare', '--by', 'Ada Lovelace'])).toBe(0);
    expect(await runCerts(['renew', '--dir', dir, '--host', HOST, '--by', 'Ada Lovelace'])).toBe(0);
    expect(out.join('\n')).toMatch(new RegExp(`renewed console-spare: serial ${oldSerial} → [0-9A-F]+, expires`));
    const spare = describeCert(readFileSync(`${dir}/console-spare.crt`, 'utf8'));
    expect(spare).toMatchObject({ subject: 'CN=spare, OU=headroom-control', scopes: ['read', 'control'] });
    expect(spare.serial).not.toBe(oldSerial);
    expect(readFileSync(`${dir}/console-spare.key`, 'utf8')).not.toBe(oldKey);
    expect((Date.parse(spare.notAfter) - Date.now()) / DAY).toBeGreaterThan(89);
    const after = describeCert(readFileSync(`${dir}/agent-${HOST}.crt`, 'utf8'));
    expect(after).toMatchObject({ subject: before.subject, sans: before.sans });
    expect(after.serial).not.toBe(before.serial);
    const log = readFileSync(`${dir}/certs.log`, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(log.filter((e) => e.action === 'renew')).toEqual([
      expect.objectContaining({ by: 'Ada Lovelace', file: 'console-spare.crt', oldSerial, serial: spare.serial }),
      expect.objectContaining({ by: 'Ada Lovelace', file: `agent-${HOST}.crt`, oldSerial: before.serial, serial: after.serial }),
    ]);
    // --expiring-within: nothing expires within 30 days; everything within 365.
    expect(await runCerts(['renew', '--dir', dir, '--expiring-within', '30'])).toBe(0);
    expect(out.at(-1)).toMatch(/no agent or console certificate .* expires within 30 days/);
  });
});

describe('revocation', () => {
  it('headroom certs revoke: records serial, reason, who and when; idempotent; refuses the CA and bad usage', async () => {
    const serial = serialOf('console-old');
    // As openssl prints it: whole bytes (a leading zero when the hex has an odd length), colons, lower case.
    const colons = (serial.length % 2 ? `0${serial}` : serial).match(/../g)!.join(':').toLowerCase();
    expect(normalizeSerial(colons)).toBe(serial);
    capture();
    expect(await runCerts(['revoke', '--dir', dir, '--serial', colons, '--reason', 'laptop stolen', '--by', 'Grace Hopper'])).toBe(0);
    expect(out[0]).toBe(`revoked CN=old, OU=headroom-control (serial ${serial}) by Grace Hopper: laptop stolen`);
    const file = JSON.parse(readFileSync(`${dir}/revoked.json`, 'utf8')) as { version: number; revoked: Record<string, string>[] };
    expect(file).toMatchObject({ version: 1, revoked: [{ serial, reason: 'laptop stolen', by: 'Grace Hopper', subject: 'CN=old, OU=headroom-control' }] });
    expect(Date.now() - Date.parse(file.revoked[0]!.at!)).toBeLessThan(60_000);
    expect(readFileSync(`${dir}/certs.log`, 'utf8')).toMatch(/"action":"revoke","by":"Grace Hopper","serial":"[0-9A-F]+","reason":"laptop stolen"/);
    expect(await runCerts(['revoke', '--dir', dir, '--serial', serial, '--reason', 'again'])).toBe(0);
    expect(out.at(-1)).toMatch(/was already revoked on .* by Grace Hopper: laptop stolen/);
    expect(await runCerts(['show', '--dir', dir])).toBe(0);
    expect(out.join('\n')).toMatch(/console-old\.crt[\s\S]*REVOKED .* by Grace Hopper: laptop stolen/);
    expect(err).toContainEqual(expect.stringMatching(/^warning: console-old\.crt is REVOKED/));
    for (const [argv, pattern] of [
      [['revoke', '--dir', dir, '--serial', serial], /certs revoke needs --reason/],
      [['revoke', '--dir', dir, '--serial', 'xyz', '--reason', 'r'], /invalid serial "xyz"/],
      [['revoke', '--dir', dir, '--serial', serialOf('ca'), '--reason', 'r'], /is the site CA/],
    ] as const) {
      capture();
      expect(await runCerts([...argv])).toBe(2);
      expect(err).toEqual([expect.stringMatching(pattern)]);
    }
  });

  it('the agent refuses a revoked console at the handshake, and serves the others', async () => {
    const bad = link('old');
    const good = link('ops');
    try {
      await until('the agent refused the revoked console', () => agentLog.some((l) => /refused console old .*revoked \(laptop stolen; by Grace Hopper/.test(l)));
      await until('the good console connected', () => good.l.connected);
      await new Promise((r) => setTimeout(r, 300));
      expect(bad.hellos()).toBe(0);
      expect(bad.errors.some((e) => /refused this console's certificate/.test(e))).toBe(true);
      expect(agent.counters.dropped?.revoked).toBeGreaterThanOrEqual(1);
    } finally {
      await Promise.all([bad.l.stop(), good.l.stop()]);
    }
  });

  it('a revocation reaches a connected console within one interval, with no restart', async () => {
    const c = link('spare');
    try {
      await until('spare connected', () => c.l.connected);
      capture();
      expect(await runCerts(['revoke', '--dir', dir, '--serial', serialOf('console-spare'), '--reason', 'left the team', '--by', 'ops lead'])).toBe(0);
      await until('spare disconnected', () => !c.l.connected, 2000);
      expect(agentLog.some((l) => /disconnected a console: certificate serial .* is revoked \(left the team/.test(l))).toBe(true);
      await new Promise((r) => setTimeout(r, 500));
      expect(c.hellos()).toBe(1); // its reconnections are refused
    } finally {
      await c.l.stop();
    }
  });

  it('the console refuses a revoked agent', async () => {
    capture();
    expect(await runCerts(['revoke', '--dir', dir, '--serial', servingSerial, '--reason', 'host decommissioned'])).toBe(0);
    const c = link('ops');
    try {
      await until('the console refused the agent', () => c.errors.some((e) => /the agent's certificate is refused: certificate serial [0-9A-F]+ is revoked \(host decommissioned/.test(e)));
      expect(c.hellos()).toBe(0);
    } finally {
      await c.l.stop();
    }
  });

  it('an unreadable deny list fails closed: every peer is refused until it is fixed', async () => {
    const good = readFileSync(`${dir}/revoked.json`, 'utf8');
    // Un-revoke the agent (an admin edit), so that only the agent's check of the console is at stake.
    const parsed = JSON.parse(good) as { version: 1; revoked: { serial: string }[] };
    writeFileSync(`${dir}/revoked.json`, JSON.stringify({ ...parsed, revoked: parsed.revoked.filter((e) => e.serial !== servingSerial) }));
    const ok = link('ops');
    await until('ops connected', () => ok.l.connected);
    await ok.l.stop();
    writeFileSync(`${dir}/revoked.json`, '{"version": 1, "revoked": [');
    const c = link('ops');
    try {
      await until('refused: deny list unreadable', () => c.errors.some((e) => /deny list is unreadable/.test(e)));
      expect(c.hellos()).toBe(0);
      capture();
      expect(await runCerts(['show', '--dir', dir])).toBe(1);
      expect(err.join('\n')).toMatch(/revoked\.json is not JSON/);
    } finally {
      await c.l.stop();
    }
  });
});
