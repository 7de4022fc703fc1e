import { generateKeyPairSync, randomBytes, sign } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CommandGate } from '../../main/agent/commandGate.js';
import { EpochFence } from '../../main/agent/epochFence.js';
import { leaseStillHolds } from '../../main/core/ha/fence.js';
import { AGENT_PROTOCOL_VERSION, type CommandBody } from '../../shared/agentProtocol.js';

/**
 * Randomized freeze/resume trials of fencing (issue 17, docs/RELIABILITY.md "Controllers"), on the agent's real
 * command gate and epoch fence (signed commands, the fence kept on disk and read back when the agent restarts) and
 * the controller's real self-fence rule, in virtual time:
 *   - leader A (epoch eA) renews every lease/3 and sends setpoints at random; at a random moment it freezes for a
 *     random time (up to 6 TTLs), then resumes and fires what its timers had due;
 *   - etcd lets A's lease lapse TTL after its last keepalive; B wins after a random campaign delay with a higher
 *     epoch and starts commanding;
 *   - every command reaches the agent after a random delay — mostly under 200 ms, one in ten up to 8 s (TCP
 *     retransmits, a queue behind a slow nvidia-smi batch): one sent before the freeze can arrive after B's first —
 *     and the agent restarts at random (its fence read back from disk).
 * A violation: the agent accepts a command of A after it has accepted one of B. Guards can be switched off to show
 * what each contributes — and that the trials do catch a broken fence.
 */
export interface TrialGuards {
  /** The agent's epoch fence (gate check + fence on disk). */
  agentFence: boolean;
  /** The controller's own rule: act only while its lease is confirmed within TTL − margin. */
  selfFence: boolean;
}

export interface TrialsResult {
  trials: number;
  /** Trials with at least one command of the deposed leader accepted after the new leader's. */
  violations: number;
  /** Commands of the deposed leader refused as stale (all trials). */
  refusedStale: number;
  /** Commands of the deposed leader accepted after the new one's (all trials). */
  acceptedStale: number;
  commands: number;
}

const TTL_MS = 5_000;
const RENEW_MS = 5_000;
const HOST = 'gpu-t1';

/** A small seeded PRNG (mulberry32): the trials are reproducible. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function runFencingTrials(n: number, guards: TrialGuards, seed = 1): TrialsResult {
  const keys = { A: generateKeyPairSync('ec', { namedCurve: 'P-256' }), B: generateKeyPairSync('ec', { namedCurve: 'P-256' }) };
  const out: TrialsResult = { trials: n, violations: 0, refusedStale: 0, acceptedStale: 0, commands: 0 };
  const dir = mkdtempSync(join(tmpdir(), 'headroom-fencing-'));
  try {
    for (let k = 0; k < n; k++) trial(join(dir, `t${k}`), rng(seed * 100_003 + k), guards, keys, out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return out;
}

type Keys = Record<'A' | 'B', ReturnType<typeof generateKeyPairSync>>;
interface Msg {
  at: number;
  from: 'A' | 'B';
  text: string;
  sig: string;
}

function trial(stateDir: string, r: () => number, g: TrialGuards, keys: Keys, out: TrialsResult): void {
  const T0 = 1_800_000_000_000;
  const eA = 10 + Math.floor(r() * 1000);
  const eB = eA + 1 + Math.floor(r() * 50);
  const freezeAt = T0 + 1_000 + r() * 20_000;
  const freezeFor = r() * 6 * TTL_MS;
  const resumeAt = freezeAt + freezeFor;
  // A's last confirmed keepalive before the freeze (keepalives every TTL/3); etcd drops its key TTL after it.
  const lastKeepalive = freezeAt - r() * (TTL_MS / 3);
  const lapse = lastKeepalive + TTL_MS;
  const bStart = resumeAt > lapse ? lapse + r() * 500 : Infinity; // B leads only if A's lease lapsed while frozen
  const end = Math.max(resumeAt, Number.isFinite(bStart) ? bStart : 0) + 15_000;
  const msgs: Msg[] = [];
  const send = (from: 'A' | 'B', at: number, epoch: number) => {
    const b: CommandBody = {
      v: AGENT_PROTOCOL_VERSION,
      host: HOST,
      nonce: randomBytes(16).toString('hex'),
      issuedMs: Math.round(at),
      expiresMs: Math.round(at) + 30_000,
      actions: r() < 0.5 ? [] : [{ kind: 'setPowerLimit', uuid: 'GPU-00000000-0000-4000-8000-000000000001', watts: 300 + Math.round(r() * 400) }],
      auditHead: { seq: 1, hash: 'a'.repeat(64) },
      epoch,
    };
    const text = JSON.stringify(b);
    // Mostly fast; one in ten held up for seconds (TCP retransmits, a queue behind a slow nvidia-smi batch).
    const delay = r() < 0.9 ? r() * 200 : r() * 8_000;
    msgs.push({ at: at + delay, from, text, sig: sign('sha256', Buffer.from(text), keys[from].privateKey).toString('base64') });
  };
  // A: sends while it runs — before the freeze; at the instant it resumes (the timers that fell due while it was
  // frozen fire at once); then on, while it believes it leads.
  const aTimes: number[] = [];
  for (let t = T0; t < freezeAt; t += RENEW_MS / 3 + r() * 500) aTimes.push(t);
  aTimes.push(resumeAt);
  for (let t = resumeAt + r() * 500; t < end; t += RENEW_MS / 3 + r() * 500) aTimes.push(t);
  for (const at of aTimes) {
    // The self-fence judges by the last confirmation from etcd: before the freeze, the moment itself; after it, the
    // last keepalive before the freeze (its lease may be gone). Without it, A acts on until told otherwise.
    const confirmed = at < freezeAt ? at : lastKeepalive;
    if (g.selfFence && !leaseStillHolds(confirmed, TTL_MS, at)) continue;
    // A learns it lost the lease a few seconds after resuming (its keepalive fails): then it stops in any case.
    if (Number.isFinite(bStart) && at > resumeAt + 3_000) continue;
    send('A', at, eA);
  }
  if (Number.isFinite(bStart)) for (let t = bStart; t < end; t += RENEW_MS / 3 + r() * 500) send('B', t, eB);
  msgs.sort((a, b) => a.at - b.at);
  const restartAt = r() < 0.3 ? T0 + r() * (end - T0) : Infinity;
  let now = T0;
  let fence = new EpochFence(stateDir, () => now);
  let gate = makeGate(fence, () => now, g);
  let restarted = false;
  let bAccepted = false;
  let violated = false;
  for (const m of msgs) {
    now = m.at;
    if (!restarted && now >= restartAt) {
      restarted = true;
      fence = new EpochFence(stateDir, () => now);
      gate = makeGate(fence, () => now, g);
    }
    out.commands++;
    const peer = { publicKey: keys[m.from].publicKey, scopes: ['read', 'control'] as const };
    const res = gate.check({ type: 'command', body: m.text, sig: m.sig }, peer);
    if (!res.ok) {
      if (m.from === 'A' && res.code === 'stale-epoch') out.refusedStale++;
      continue;
    }
    if (g.agentFence) fence.raise(res.body.epoch, m.from);
    if (m.from === 'B') bAccepted = true;
    else if (bAccepted) {
      out.acceptedStale++;
      violated = true;
    }
  }
  if (violated) out.violations++;
}

function makeGate(fence: EpochFence, now: () => number, g: TrialGuards): CommandGate {
  return new CommandGate({ host: HOST, now, maxLeaseMs: 60_000, maxSkewMs: 5_000, highestEpoch: g.agentFence ? () => fence.highest : () => 0 });
}
