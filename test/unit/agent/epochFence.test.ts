import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { generateKeyPairSync, sign } from 'node:crypto';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL_VERSION, type CommandBody } from '../../../shared/agentProtocol.js';
import { CommandGate } from '../../../main/agent/commandGate.js';
import { AGENT_EPOCH_FILE, EpochFence } from '../../../main/agent/epochFence.js';
import { AgentStateError } from '../../../main/agent/auditHeads.js';
import { tempDir } from '../../helpers.js';

/**
 * Fencing of deposed controllers on the agent (issue 17): the highest epoch acted for is kept (on disk) and a command
 * from a lower epoch is refused by the gate, whatever else about it is right.
 */
const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
const NOW = 1_800_000_000_000;
const peer = { publicKey, scopes: ['read', 'control'] as const };
let n = 0;
const cmd = (epoch: number | undefined) => {
  const b: CommandBody = {
    v: AGENT_PROTOCOL_VERSION,
    host: 'gpu-1',
    nonce: (n++).toString(16).padStart(32, '0'),
    issuedMs: NOW,
    expiresMs: NOW + 10_000,
    actions: [],
    auditHead: { seq: 1, hash: 'a'.repeat(64) },
    ...(epoch === undefined ? {} : { epoch }),
  };
  const text = JSON.stringify(b);
  return { type: 'command', body: text, sig: sign('sha256', Buffer.from(text), privateKey).toString('base64') };
};
const cleanups: Array<() => void> = [];
afterEach(() => cleanups.splice(0).forEach((f) => f()));
const dir = () => {
  const t = tempDir('headroom-fence-');
  cleanups.push(t.cleanup);
  return t.dir;
};

describe('EpochFence', () => {
  it('admits the highest epoch and above, refuses below; absent counts as 0', () => {
    const f = new EpochFence(null);
    expect(f.admits(undefined)).toBe(true);
    expect(f.raise(41, 'c1')).toBe(true);
    expect(f.raise(7, 'c0')).toBe(false);
    expect(f.highest).toBe(41);
    expect([f.admits(40), f.admits(41), f.admits(42), f.admits(undefined)]).toEqual([false, true, true, false]);
  });

  it('keeps the epoch across a restart (written before it counts) and refuses a damaged file', () => {
    const d = dir();
    new EpochFence(d, () => NOW).raise(57, 'console key x');
    expect(JSON.parse(readFileSync(join(d, AGENT_EPOCH_FILE), 'utf8'))).toMatchObject({ epoch: 57, atMs: NOW, from: 'console key x' });
    expect(new EpochFence(d).highest).toBe(57);
    writeFileSync(join(d, AGENT_EPOCH_FILE), '{"format":"headroom-agent-epoch/1","epoch":"57"');
    expect(() => new EpochFence(d)).toThrow(AgentStateError);
    writeFileSync(join(d, AGENT_EPOCH_FILE), JSON.stringify({ format: 'headroom-agent-epoch/1', epoch: -1, atMs: 0, from: '' }));
    expect(() => new EpochFence(d)).toThrow(/epoch/);
  });

  it('does not raise when the epoch cannot be written: the command must not act', () => {
    if (process.getuid?.() === 0) {
      // root writes anywhere: make the state path a file instead, so the folder cannot be created.
      const d = dir();
      const f = new EpochFence(join(d, 'state'));
      writeFileSync(join(d, 'state'), 'not a folder');
      expect(() => f.raise(9, 'c')).toThrow(AgentStateError);
      expect(f.highest).toBe(0);
      return;
    }
    const d = dir();
    mkdirSync(join(d, 'ro'));
    chmodSync(join(d, 'ro'), 0o500);
    const f = new EpochFence(join(d, 'ro'));
    expect(() => f.raise(9, 'c')).toThrow(AgentStateError);
    expect(f.highest).toBe(0);
    expect(existsSync(join(d, 'ro', AGENT_EPOCH_FILE))).toBe(false);
  });
});

describe('CommandGate with a fence', () => {
  it('refuses a command from an epoch below the highest seen, with the two epochs in words', () => {
    const f = new EpochFence(null);
    const g = new CommandGate({ host: 'gpu-1', now: () => NOW, highestEpoch: () => f.highest });
    expect(g.check(cmd(5), peer)).toMatchObject({ ok: true });
    f.raise(9, 'c2');
    const r = g.check(cmd(5), peer);
    expect(r).toMatchObject({ ok: false, code: 'stale-epoch' });
    if (!r.ok) expect(r.error).toMatch(/epoch 5.*epoch 9/);
    expect(g.check(cmd(undefined), peer)).toMatchObject({ ok: false, code: 'stale-epoch' });
    expect(g.check(cmd(9), peer)).toMatchObject({ ok: true });
    expect(g.check(cmd(12), peer)).toMatchObject({ ok: true });
  });

  it('never admits an epoch below the highest raised so far, in any order of arrivals (property)', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 60 }), (epochs) => {
        const f = new EpochFence(null);
        const g = new CommandGate({ host: 'gpu-1', now: () => NOW, highestEpoch: () => f.highest });
        let highest = 0;
        for (const e of epochs) {
          const r = g.check(cmd(e), peer);
          if (e < highest) expect(r.ok).toBe(false);
          else {
            expect(r.ok).toBe(true);
            f.raise(e, 'x');
            highest = e;
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
