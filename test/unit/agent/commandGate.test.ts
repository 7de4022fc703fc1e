import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL_VERSION, AgentMessageSchema, type CommandAction, type CommandBody, type RejectCode } from '../../../shared/agentProtocol.js';
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
  auditHead: { seq: 7, hash: 'a'.repeat(64) },
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

  it('fuzz from validly signed commands: each mutated field (host, expiry, issue time, lease, nonce, value ranges, channel, signature, scope) is refused by its own check (fast-check)', () => {
    const MAX_LEASE = 30_000;
    const SKEW = 2000;
    const g = gate({ maxLeaseMs: MAX_LEASE, maxSkewMs: SKEW });
    const accepted: string[] = [];
    const reached = new Map<string, number>();
    let fresh = 0;
    const nonce = () => (0x5eed0000 + fresh++).toString(16).padStart(32, '0');
    const hex = (len: number) => fc.stringMatching(new RegExp(`^[0-9a-f]{${len}}$`));
    const uuid = fc.tuple(hex(8), hex(4), hex(4), hex(4), hex(12)).map((p) => `GPU-${p.join('-')}`);
    const watts = fc.double({ min: 0.001, max: 10_000, noNaN: true });
    const action: fc.Arbitrary<CommandAction> = fc.oneof(
      fc.record({ kind: fc.constant('setPowerLimit' as const), uuid, watts }),
      fc.record({ kind: fc.constant('lockClocks' as const), uuid, minMHz: watts, maxMHz: watts }),
      fc.record({ kind: fc.constant('resetClocks' as const), uuid }),
      fc.record({ kind: fc.constant('brake' as const), uuid, on: fc.boolean() }),
    );
    // A valid body: fresh, issued at most SKEW in the future, lease within the agent's bound, expiring after NOW.
    const valid = fc
      .record({ issuedOff: fc.integer({ min: -MAX_LEASE, max: SKEW }), leaseFrac: fc.double({ min: 0, max: 1, noNaN: true }), actions: fc.array(action, { maxLength: 6 }) })
      .map(({ issuedOff, leaseFrac, actions }): CommandBody => {
        const from = Math.min(NOW + issuedOff, NOW);
        const minLease = NOW - from + 1;
        const lease = minLease + Math.floor(leaseFrac * (MAX_LEASE + SKEW - minLease));
        return { v: AGENT_PROTOCOL_VERSION, host: 'gpu-1', nonce: '', issuedMs: NOW + issuedOff, expiresMs: from + lease, actions, auditHead: { seq: 7, hash: 'a'.repeat(64) } };
      });
    type Mutation = { field: string; code: RejectCode | 'ok'; apply: (b: CommandBody) => unknown };
    const badNumber = fc.constantFrom(0, -1, -0.5, 10_000.5, 1e9, NaN, Infinity, -Infinity, '400' as unknown as number, null as unknown as number);
    const withAction = (b: CommandBody, a: CommandAction | Record<string, unknown>, at: number) => {
      const actions: unknown[] = [...b.actions];
      actions.splice(at % (actions.length + 1), 0, a);
      return { ...b, actions };
    };
    const mutation: fc.Arbitrary<Mutation> = fc.oneof(
      fc.constant<Mutation>({ field: 'none', code: 'ok', apply: (b) => b }),
      // Host: a well-formed name that is not this agent's → host; a malformed one → schema.
      fc
        .stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,20}[A-Za-z0-9])?$/)
        .filter((h) => h !== 'gpu-1')
        .map((host): Mutation => ({ field: 'host', code: 'host', apply: (b) => ({ ...b, host }) })),
      fc.constantFrom('', 'gpu 1', '-gpu-1', 'gpu-1.', 'gpu_1', 'x'.repeat(254)).map((host): Mutation => ({ field: 'host (malformed)', code: 'schema', apply: (b) => ({ ...b, host }) })),
      // Expiry at or before now → expired (whatever the issue time).
      fc.integer({ min: 1, max: NOW }).map((expiresMs): Mutation => ({ field: 'expiresMs', code: 'expired', apply: (b) => ({ ...b, expiresMs }) })),
      // Issued beyond the allowed skew, lease otherwise fine → future.
      fc
        .tuple(fc.integer({ min: NOW + SKEW + 1, max: NOW + 1e9 }), fc.integer({ min: NOW + 1, max: NOW + MAX_LEASE + SKEW }))
        .map(([issuedMs, expiresMs]): Mutation => ({ field: 'issuedMs', code: 'future', apply: (b) => ({ ...b, issuedMs, expiresMs }) })),
      // Lease longer than the agent's bound (+ skew), counted from the earlier of issue time and now (still unexpired).
      fc
        .tuple(fc.integer({ min: NOW - 1e9, max: NOW + SKEW }), fc.integer({ min: 1, max: 1e9 }))
        .map(([issuedMs, over]): Mutation => ({ field: 'lease', code: 'lease-too-long', apply: (b) => ({ ...b, issuedMs, expiresMs: Math.max(Math.min(issuedMs, NOW) + MAX_LEASE + SKEW + over, NOW + 1) }) })),
      // Times that are not positive integers → schema.
      fc
        .tuple(fc.constantFrom('issuedMs', 'expiresMs'), fc.constantFrom(0, -5, NOW + 0.5, '1800000000000', null))
        .map(([k, v]): Mutation => ({ field: `${k} (not an integer)`, code: 'schema', apply: (b) => ({ ...b, [k]: v }) })),
      // Nonce: one this gate already accepted → replay; malformed → schema.
      fc.nat().map((i): Mutation => ({ field: 'nonce (reused)', code: 'replay', apply: (b) => ({ ...b, nonce: accepted[i % accepted.length] }) })),
      fc
        .oneof(hex(31), hex(33), hex(32).map((h) => h.toUpperCase()).filter((h) => /[A-F]/.test(h)), fc.constant(''), fc.constant(42))
        .map((n): Mutation => ({ field: 'nonce (malformed)', code: 'schema', apply: (b) => ({ ...b, nonce: n }) })),
      // Value ranges: watts and MHz must be finite, positive, ≤ 10,000.
      fc
        .tuple(uuid, badNumber, fc.nat())
        .map(([u, w, at]): Mutation => ({ field: 'watts', code: 'schema', apply: (b) => withAction(b, { kind: 'setPowerLimit', uuid: u, watts: w }, at) })),
      fc
        .tuple(uuid, badNumber, fc.boolean(), fc.nat())
        .map(([u, m, lo, at]): Mutation => ({ field: 'MHz', code: 'schema', apply: (b) => withAction(b, { kind: 'lockClocks', uuid: u, minMHz: lo ? m : 1000, maxMHz: lo ? 1500 : m }, at) })),
      // Channel: an action kind the agent does not know, a brake that is not a boolean, a GPU that is not a UUID.
      fc
        .tuple(fc.constantFrom('uncapAll', 'setClock', 'SetPowerLimit', 'reboot', ''), uuid, fc.nat())
        .map(([kind, u, at]): Mutation => ({ field: 'action kind', code: 'schema', apply: (b) => withAction(b, { kind, uuid: u, watts: 400 }, at) })),
      fc.tuple(uuid, fc.nat()).map(([u, at]): Mutation => ({ field: 'brake.on', code: 'schema', apply: (b) => withAction(b, { kind: 'brake', uuid: u, on: 'yes' }, at) })),
      fc.tuple(fc.constantFrom('GPU-1', 'gpu-00000000-0000-0000-0000-000000000001', ''), fc.nat()).map(([u, at]): Mutation => ({ field: 'uuid', code: 'schema', apply: (b) => withAction(b, { kind: 'resetClocks', uuid: u }, at) })),
      fc.constantFrom(0, 2, '1', null).map((v): Mutation => ({ field: 'v', code: 'schema', apply: (b) => ({ ...b, v }) })),
      // The audit head: required, seq a non-negative integer, hash 64 lowercase hex digits.
      fc
        .constantFrom(undefined, null, {}, { seq: 7 }, { seq: -1, hash: 'a'.repeat(64) }, { seq: 1.5, hash: 'a'.repeat(64) }, { seq: 7, hash: 'A'.repeat(64) }, { seq: 7, hash: 'a'.repeat(63) }, { seq: '7', hash: 'a'.repeat(64) })
        .map((h): Mutation => ({ field: 'auditHead (malformed)', code: 'schema', apply: (b) => ({ ...b, auditHead: h }) })),
    );
    // How the mutated body reaches the gate: signed correctly (the default), signed by another key, tampered after
    // signing, or over a connection whose certificate may only read.
    const delivery = fc.constantFrom('signed', 'signed', 'signed', 'signed', 'signed', 'signed', 'other-key', 'tampered', 'read-scope');

    let runs = 0;
    fc.assert(
      fc.property(valid, mutation, delivery, (base, m, how) => {
        if (m.code === 'replay' && accepted.length === 0) return;
        runs++;
        const b = m.apply({ ...base, nonce: nonce() });
        const text = JSON.stringify(b);
        let cmd = { type: 'command', body: text, sig: sign('sha256', Buffer.from(text), how === 'other-key' ? other.privateKey : privateKey).toString('base64') };
        // Tampered: a value changed after signing (the JSON stays valid).
        if (how === 'tampered') cmd = { ...cmd, body: text.replace(/"host":"/, '"host":"x') };
        const expected: RejectCode | 'ok' = how === 'read-scope' ? 'scope' : how !== 'signed' ? 'signature' : m.code;
        const r = g.check(cmd, how === 'read-scope' ? { publicKey, scopes: ['read'] as const } : control);
        const label = `${how} ${m.field}`;
        reached.set(label, (reached.get(label) ?? 0) + 1);
        if (expected === 'ok') {
          expect(r, label).toMatchObject({ ok: true, body: b });
          accepted.push((b as CommandBody).nonce);
          return;
        }
        expect(r.ok ? 'ok' : r.code, `${label}: ${text}`).toBe(expected);
        // Every refusal names itself and, once the body parsed, the command's nonce (the console matches results by it).
        if (!r.ok) {
          expect(r.error.length).toBeGreaterThan(10);
          const n = (b as { nonce: unknown }).nonce;
          expect(r.nonce).toBe(typeof n === 'string' ? n.slice(0, 64) : null);
        }
      }),
      { numRuns: 3000, seed: 11 },
    );
    const by = (field: string) => reached.get(`signed ${field}`) ?? 0;
    // Every check was reached, many times each.
    for (const f of ['none', 'host', 'host (malformed)', 'expiresMs', 'issuedMs', 'lease', 'nonce (reused)', 'nonce (malformed)', 'watts', 'MHz', 'action kind', 'uuid', 'v', 'auditHead (malformed)']) {
      expect(by(f), f).toBeGreaterThanOrEqual(20);
    }
    for (const how of ['other-key', 'tampered', 'read-scope']) expect([...reached].filter(([k]) => k.startsWith(how)).reduce((s, [, n]) => s + n, 0), how).toBeGreaterThanOrEqual(100);
    console.log(`command gate fuzz: ${runs} mutated signed commands, ${accepted.length} valid ones accepted, every mutation refused by its own check`);
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
