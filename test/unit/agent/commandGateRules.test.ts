import { generateKeyPairSync, sign } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL_VERSION, type CommandBody } from '../../../shared/agentProtocol.js';
import { CommandGate } from '../../../main/agent/commandGate.js';

/** The gate's refusal texts and its bounded nonce memory, exactly (what the console shows and logs). */
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const NOW = 1_800_000_000_000;
const control = { publicKey, scopes: ['read', 'control'] as const };
let n = 0;
const body = (over: Partial<CommandBody> = {}): CommandBody => ({
  v: AGENT_PROTOCOL_VERSION,
  host: 'gpu-1',
  nonce: (0xabc000 + n++).toString(16).padStart(32, '0'),
  issuedMs: NOW,
  expiresMs: NOW + 10_000,
  actions: [],
  auditHead: { seq: 0, hash: '0'.repeat(64) },
  ...over,
});
const signed = (b: unknown) => {
  const text = JSON.stringify(b);
  return { type: 'command', body: text, sig: sign('sha256', Buffer.from(text), privateKey).toString('base64') };
};
const gate = (o: Partial<ConstructorParameters<typeof CommandGate>[0]> = {}) => new CommandGate({ host: 'gpu-1', now: () => NOW, maxLeaseMs: 30_000, maxSkewMs: 2000, ...o });
const refusal = (r: ReturnType<CommandGate['check']>) => (r.ok ? 'accepted' : `${r.code}: ${r.error}`);

describe('CommandGate refusals, exactly', () => {
  it('names what is wrong and by how much', () => {
    const g = gate();
    expect(refusal(g.check({ type: 'command', body: 1, sig: '' }, control))).toMatch(/^schema: not a command: (?!invalid$).{5,}/);
    expect(refusal(g.check(signed({ ...body(), nonce: 'xyz' }), control))).toBe('schema: command body: nonce: 32 lowercase hex digits');
    expect(refusal(g.check(signed({ ...body(), actions: [{ kind: 'setPowerLimit', uuid: 'GPU-00000000-0000-0000-0000-000000000001', watts: -1 }] }), control))).toMatch(/^schema: command body: actions\.0\.watts: ./);
    expect(refusal(g.check(signed(body({ host: 'gpu-2' })), control))).toBe('host: command is for host "gpu-2", this is "gpu-1"');
    expect(refusal(g.check(signed(body({ issuedMs: NOW - 20_000, expiresMs: NOW - 5 })), control))).toBe('expired: command expired 5 ms ago');
    expect(refusal(g.check(signed(body({ issuedMs: NOW + 2001, expiresMs: NOW + 5000 })), control))).toBe('future: command issued 2001 ms in the future (clock skew above 2000 ms)');
    expect(refusal(g.check(signed(body({ issuedMs: NOW - 1000, expiresMs: NOW + 40_000 })), control))).toBe("lease-too-long: lease of 41000 ms exceeds this agent's 30000 ms");
    const ok = body();
    expect(g.check(signed(ok), control).ok).toBe(true);
    expect(refusal(g.check(signed(ok), control))).toBe(`replay: nonce ${ok.nonce} was already used`);
    // The nonce echoed with a refusal is cut to 64 characters (it is only read from the unverified body).
    const r = g.check({ type: 'command', body: JSON.stringify({ nonce: 'n'.repeat(100) }), sig: 'AAAA' }, control);
    expect(r).toMatchObject({ ok: false, code: 'signature', nonce: 'n'.repeat(64) });
  });

  it('refuses rather than forget: beyond maxNonces in flight, commands are refused until some expire', () => {
    const g = gate({ maxNonces: 3 });
    for (let i = 0; i < 3; i++) expect(g.check(signed(body()), control).ok).toBe(true);
    expect(refusal(g.check(signed(body()), control))).toBe('replay: too many commands in flight to track their nonces; retry later');
  });

  it('a small maxNonces full of expired nonces takes commands again (pruned at the table size, not only at 1,024)', () => {
    let now = NOW;
    const g = gate({ now: () => now, maxNonces: 3 });
    for (let i = 0; i < 3; i++) expect(g.check(signed(body({ expiresMs: NOW + 1000 })), control).ok).toBe(true);
    expect(g.check(signed(body({ expiresMs: NOW + 1000 })), control).ok).toBe(false);
    now = NOW + 1000;
    expect(g.check(signed(body({ issuedMs: now, expiresMs: now + 1000 })), control).ok).toBe(true);
  });

  it('prunes nonces whose command has expired (at its expiry instant), once 1,024 are held, and never an unexpired one', () => {
    let now = NOW;
    const g = gate({ now: () => now, maxNonces: 1024 });
    const keep = body({ expiresMs: NOW + 20_000 });
    expect(g.check(signed(keep), control).ok).toBe(true);
    for (let i = 0; i < 1023; i++) expect(g.check(signed(body({ expiresMs: NOW + 1000 })), control).ok).toBe(true);
    // 1,024 held, all unexpired: full.
    expect(g.check(signed(body({ expiresMs: NOW + 1000 })), control)).toMatchObject({ ok: false, code: 'replay' });
    // At the expiry instant of 1,023 of them: pruned, room again; the unexpired one is still remembered.
    now = NOW + 1000;
    expect(g.check(signed(body({ issuedMs: now, expiresMs: now + 1000 })), control).ok).toBe(true);
    expect(refusal(g.check(signed(keep), control))).toBe(`replay: nonce ${keep.nonce} was already used`);
  });
});
