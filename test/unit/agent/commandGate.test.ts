import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL_VERSION, AgentMessageSchema, type CommandBody } from '../../../shared/agentProtocol.js';
import { CommandGate } from '../../../main/agent/commandGate.js';

/** The agent's command gate, pure: every way a command can be wrong, and fuzzed inputs that must never act. */
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const NOW = 1_800_000_000_000;
const control = { publicKey, scopes: ['read', 'control'] as const };
const gate = (o: Partial<ConstructorParameters<typeof CommandGate>[0]> = {}) => new CommandGate({ host: 'gpu-1', now: () => NOW, maxLeaseMs: 30_000, maxSkewMs: 2000, ...o });
let n = 0;
const body = (over: Partial<CommandBody> = {}): CommandBody => ({
  v: AGENT_PROTOCOL_VERSION,
  host: 'gpu-1',
  nonce: (n++).toString(16).padStart(32, '0'),
  issuedMs: NOW,
  expiresMs: NOW + 10_000,
  actions: [{ kind: 'setPowerLimit', uuid: 'GPU-00000000-0000-0000-0000-000000000001', watts: 400 }],
  ...over,
});
const signed = (b: unknown, key: KeyObject = privateKey) => {
  const text = JSON.stringify(b);
  return { type: 'command', body: text, sig: sign('sha256', Buffer.from(text), key).toString('base64') };
};

describe('CommandGate', () => {
  it('accepts a fresh, signed command for this host once', () => {
    const g = gate();
    const cmd = signed(body());
    expect(g.check(cmd, control)).toMatchObject({ ok: true });
    expect(g.check(cmd, control)).toMatchObject({ ok: false, code: 'replay' });
  });

  it.each([
    ['schema', { type: 'command', body: 1, sig: '' }, control],
    ['scope', signed(body()), { publicKey, scopes: ['read'] as const }],
    ['signature', signed(body(), other.privateKey), control],
    ['signature', { ...signed(body()), body: JSON.stringify(body()).replace('400', '700') }, control],
    ['schema', signed({ ...body(), v: 2 }), control],
    ['schema', signed({ ...body(), actions: [{ kind: 'uncapAll' }] }), control],
    ['host', signed(body({ host: 'gpu-2' })), control],
    ['expired', signed(body({ issuedMs: NOW - 20_000, expiresMs: NOW })), control],
    ['future', signed(body({ issuedMs: NOW + 2001, expiresMs: NOW + 5000 })), control],
    ['lease-too-long', signed(body({ expiresMs: NOW + 40_000 })), control],
  ] as const)('refuses with %s', (code, cmd, peer) => {
    const r = gate().check(cmd, peer);
    expect(r).toMatchObject({ ok: false, code });
    if (!r.ok) expect(r.error.length).toBeGreaterThan(10);
  });

  it('tolerates clock skew within the bound', () => {
    expect(gate().check(signed(body({ issuedMs: NOW + 1999, expiresMs: NOW + 6000 })), control).ok).toBe(true);
  });

  it('forgets nonces only after their command expired, so memory stays bounded', () => {
    let now = NOW;
    const g = new CommandGate({ host: 'gpu-1', now: () => now, maxLeaseMs: 30_000, maxNonces: 2000 });
    for (let i = 0; i < 1500; i++) expect(g.check(signed(body({ issuedMs: now, expiresMs: now + 1000 })), control).ok).toBe(true);
    const old = signed(body({ issuedMs: now, expiresMs: now + 1000 }));
    expect(g.check(old, control).ok).toBe(true);
    now += 5000;
    // Pruned from memory, still refused: it has expired.
    for (let i = 0; i < 1000; i++) expect(g.check(signed(body({ issuedMs: now, expiresMs: now + 1000 })), control).ok).toBe(true);
    expect(g.check(old, control)).toMatchObject({ ok: false, code: 'expired' });
  });

  it('never accepts fuzzed, unsigned or re-signed-by-another-key input (fast-check)', () => {
    const g = gate();
    let tried = 0;
    const anyJson = fc.jsonValue({ maxDepth: 4 });
    const mutated = fc.record({ type: fc.constant('command'), body: fc.oneof(fc.string(), anyJson.map((j) => JSON.stringify(j)), fc.constant(JSON.stringify(body()))), sig: fc.oneof(fc.base64String({ maxLength: 120 }), fc.string()) });
    fc.assert(
      fc.property(fc.oneof(anyJson, mutated), (m) => {
        tried++;
        expect(g.check(m, control).ok).toBe(false);
      }),
      { numRuns: 5000, seed: 3 },
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 3 }), (extra) => {
        tried++;
        // Valid shape, signed with a key that is not the connection's certificate's.
        expect(g.check(signed({ ...body(), extra }, other.privateKey), control).ok).toBe(false);
      }),
      { numRuns: 500, seed: 4 },
    );
    expect(tried).toBe(5500);
  });

  it('agent messages that fail the protocol schema are rejected, never thrown on (fast-check)', () => {
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 5 }), (j) => {
        const r = AgentMessageSchema.safeParse(j);
        expect(typeof r.success).toBe('boolean');
      }),
      { numRuns: 5000, seed: 5 },
    );
    const reading = { uuid: 'GPU-00000000-0000-0000-0000-000000000001', powerW: 100, limitW: 700, tempC: 40, memTempC: 40, smClockMHz: 1000, utilPct: 50, clockEventMask: 0 };
    const base = { type: 'readings', host: 'gpu-1', seq: 1, tMs: NOW, gpus: [reading], state: { mode: 'safe', leaseExpiresMs: null, safeCapW: 420 } };
    expect(AgentMessageSchema.safeParse(base).success).toBe(true);
    for (const bad of [{ powerW: 'NaN' }, { powerW: Infinity }, { uuid: 'GPU-1' }, { clockEventMask: 0x10000 }, { tempC: '40' }]) {
      expect(AgentMessageSchema.safeParse({ ...base, gpus: [{ ...reading, ...bad }] }).success, JSON.stringify(bad)).toBe(false);
    }
  });
});
