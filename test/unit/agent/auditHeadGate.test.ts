import { generateKeyPairSync, sign, X509Certificate, type KeyObject } from 'node:crypto';
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL_VERSION, type AuditHead, type CommandBody } from '../../../shared/agentProtocol.js';
import { CommandGate } from '../../../main/agent/commandGate.js';
import { AGENT_STATE_FILE, AgentStateError, AuditHeadKeeper } from '../../../main/agent/auditHeads.js';
import { AGENT_HEADS_FILE, countersigProblem, keyIdOf, parseAgentHeads } from '../../../main/pki/countersig.js';
import { createCa, issueAgentCert, loadIdentity, type TlsIdentity } from '../../../main/pki/certs.js';
import { tempDir } from '../../helpers.js';

/**
 * The agent's audit-head rules: per console key, a head older than the kept one is refused, so is another hash at the
 * same seq (a fork); a newer head, or the kept one again, passes and is kept — on disk, so a restarted agent still
 * refuses the older head — and logged, signed, for auditors.
 */
const tmp = tempDir('headroom-audit-heads-');
let agentId: TlsIdentity;
const NOW = 1_800_000_000_000;
const consoleA = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const consoleB = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const peer = (k: { publicKey: KeyObject }) => ({ publicKey: k.publicKey, scopes: ['read', 'control'] as const });
const H = (seq: number, c = 'a'): AuditHead => ({ seq, hash: c.repeat(64) });
let n = 0;
const cmd = (auditHead: AuditHead, key: KeyObject = consoleA.privateKey) => {
  const b: CommandBody = { v: AGENT_PROTOCOL_VERSION, host: 'gpu-1', nonce: (0xfeed000 + n++).toString(16).padStart(32, '0'), issuedMs: NOW, expiresMs: NOW + 10_000, actions: [], auditHead };
  const text = JSON.stringify(b);
  return { type: 'command', body: text, sig: sign('sha256', Buffer.from(text), key).toString('base64') };
};

/** An agent's gate and keeper as HostAgent wires them: the gate reads heads, the keeper keeps what passed. */
function agentAt(dir: string | null) {
  const keeper = AuditHeadKeeper.open({ host: 'gpu-1', identity: agentId, dir, now: () => NOW });
  const gate = new CommandGate({ host: 'gpu-1', now: () => NOW, keptHead: (k) => keeper.kept(k) });
  const send = (head: AuditHead, who = consoleA) => {
    const r = gate.check(cmd(head, who.privateKey), peer(who));
    if (!r.ok) return `${r.code}: ${r.error}`;
    keeper.keep(r.consoleKey, r.body.auditHead);
    return 'kept';
  };
  return { keeper, gate, send };
}

beforeAll(async () => {
  await createCa(tmp.file('certs'));
  await issueAgentCert(tmp.file('certs'), 'gpu-1');
  agentId = loadIdentity(tmp.file('certs'), 'agent-gpu-1');
});
afterAll(() => tmp.cleanup());

describe('the command gate on audit heads', () => {
  it('keeps a higher head, accepts the kept one again, refuses a lower seq and a fork at the same seq', () => {
    const a = agentAt(null);
    expect(a.send(H(5))).toBe('kept');
    expect(a.send(H(5))).toBe('kept');
    expect(a.send(H(9, 'b'))).toBe('kept');
    expect(a.keeper.kept(keyIdOf(consoleA.publicKey))).toEqual(H(9, 'b'));
    expect(a.send(H(8, 'b'))).toBe("audit-head: the console's audit chain went back from seq 9 to 8: rewritten or truncated");
    expect(a.send(H(0, '0'))).toMatch(/^audit-head: the console's audit chain went back from seq 9 to 0/);
    expect(a.send(H(9, 'c'))).toBe(
      `audit-head: the console's audit chain forked at seq 9 (hash ${'c'.repeat(16)}…, this agent countersigned ${'b'.repeat(16)}…): rewritten and re-hashed`,
    );
    // Refusals keep nothing: the kept head is still 9.
    expect(a.keeper.kept(keyIdOf(consoleA.publicKey))).toEqual(H(9, 'b'));
    expect(a.send(H(10, 'd'))).toBe('kept');
  });

  it('keeps heads per console key: another console starts from nothing', () => {
    const a = agentAt(null);
    expect(a.send(H(50))).toBe('kept');
    expect(a.send(H(3), consoleB)).toBe('kept');
    expect(a.send(H(2), consoleB)).toMatch(/^audit-head: .*from seq 3 to 2/);
    expect(a.send(H(49))).toMatch(/^audit-head: .*from seq 50 to 49/);
  });

  it('checks the nonce first: a replayed old command reads as a replay, not as a rewritten chain', () => {
    const keeper = AuditHeadKeeper.open({ host: 'gpu-1', identity: agentId, dir: null, now: () => NOW });
    const gate = new CommandGate({ host: 'gpu-1', now: () => NOW, keptHead: (k) => keeper.kept(k) });
    const old = cmd(H(4));
    const r = gate.check(old, peer(consoleA));
    if (!r.ok) throw new Error(r.error);
    keeper.keep(r.consoleKey, r.body.auditHead);
    const later = gate.check(cmd(H(6)), peer(consoleA));
    if (!later.ok) throw new Error(later.error);
    keeper.keep(later.consoleKey, later.body.auditHead);
    expect(gate.check(old, peer(consoleA))).toMatchObject({ ok: false, code: 'replay' });
  });

  it('requires the head: a body without one is refused before anything else is looked at', () => {
    const gate = new CommandGate({ host: 'gpu-1', now: () => NOW });
    const b = { v: AGENT_PROTOCOL_VERSION, host: 'gpu-1', nonce: 'c'.repeat(32), issuedMs: NOW, expiresMs: NOW + 1000, actions: [] };
    const text = JSON.stringify(b);
    expect(gate.check({ type: 'command', body: text, sig: sign('sha256', Buffer.from(text), consoleA.privateKey).toString('base64') }, peer(consoleA))).toMatchObject({
      ok: false,
      code: 'schema',
      error: expect.stringMatching(/^command body: auditHead: /),
    });
  });
});

describe('kept heads survive an agent restart', () => {
  it('persists atomically: a restarted agent still refuses the lower seq and the fork, and accepts a higher one', () => {
    const dir = tmp.file('state-1');
    const first = agentAt(dir);
    expect(first.send(H(12, 'e'))).toBe('kept');
    expect(first.send(H(3), consoleB)).toBe('kept');
    first.keeper.close();
    // Only the state file and the log: no temporary file left behind.
    expect(readdirSync(dir).sort()).toEqual([AGENT_STATE_FILE, AGENT_HEADS_FILE].sort());

    const again = agentAt(dir);
    expect(again.keeper.size).toBe(2);
    expect(again.send(H(11, 'e'))).toMatch(/^audit-head: the console's audit chain went back from seq 12 to 11/);
    expect(again.send(H(12, 'f'))).toMatch(/^audit-head: the console's audit chain forked at seq 12/);
    expect(again.send(H(2), consoleB)).toMatch(/^audit-head: .*from seq 3 to 2/);
    expect(again.send(H(13, 'f'))).toBe('kept');
    again.keeper.close();
  });

  it('logs every newly kept head once, signed with the agent key; the log verifies by itself and against the CA', () => {
    const dir = tmp.file('state-2');
    const a = agentAt(dir);
    for (const h of [H(1), H(1), H(2, 'b'), H(2, 'b'), H(7, 'c')]) expect(a.send(h)).toBe('kept');
    a.keeper.close();
    const b = agentAt(dir); // a restart appends its certificate again
    b.keeper.close();
    const file = join(dir, AGENT_HEADS_FILE);
    const parsed = parseAgentHeads(file, readFileSync(file, 'utf8'));
    expect(parsed.problems).toEqual([]);
    expect(parsed.heads.map((h) => [h.seq, h.hash[0], h.consoleKey, h.host])).toEqual([
      [1, 'a', keyIdOf(consoleA.publicKey), 'gpu-1'],
      [2, 'b', keyIdOf(consoleA.publicKey), 'gpu-1'],
      [7, 'c', keyIdOf(consoleA.publicKey), 'gpu-1'],
    ]);
    const lines = readFileSync(file, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { kind: string });
    expect(lines.map((l) => l.kind)).toEqual(['cert', 'head', 'head', 'head', 'cert']);
    const ca = new X509Certificate(readFileSync(tmp.file('certs/ca.crt')));
    for (const h of parsed.heads) {
      expect(countersigProblem(h, null)).toBeNull();
      expect(countersigProblem(h, ca)).toBeNull();
    }
    // An edited line no longer verifies; an altered line is named.
    const forged = { ...parsed.heads[1]!, hash: 'e'.repeat(64) };
    expect(countersigProblem(forged, null)).toBe('bad signature (forged or altered)');
    const text = readFileSync(file, 'utf8').split('\n');
    text[2] = text[2]!.replace('"seq":2', '"seq":"2"');
    expect(parseAgentHeads(file, text.join('\n')).problems).toEqual([expect.stringMatching(/:3: not an agent head line \(seq: /)]);
  });

  it('refuses to start on a damaged state file or another host\'s, naming the file (forgetting would weaken the check)', () => {
    const dir = tmp.file('state-3');
    agentAt(dir).keeper.close();
    writeFileSync(join(dir, AGENT_STATE_FILE), '{"format":"headroom-agent-audit-heads/1","host":"gpu-1","heads":{"nope":1}}');
    expect(() => agentAt(dir)).toThrow(AgentStateError);
    expect(() => agentAt(dir)).toThrow(/audit-heads\.json: damaged .*restore it, or move it away to forget them$/);
    writeFileSync(join(dir, AGENT_STATE_FILE), JSON.stringify({ format: 'headroom-agent-audit-heads/1', host: 'gpu-2', heads: {} }));
    expect(() => agentAt(dir)).toThrow(/holds the state of host "gpu-2", this is "gpu-1"/);
  });
});
