import type { KeyObject } from 'node:crypto';
import { verifyBody } from '../pki/signing.js';
import { keyIdOf } from '../pki/countersig.js';
import {
  type AuditHead,
  CommandBodySchema,
  CommandSchema,
  DEFAULT_MAX_LEASE_MS,
  DEFAULT_MAX_SKEW_MS,
  type CommandBody,
  type RejectCode,
  type Scope,
} from '../../shared/agentProtocol.js';

export interface Peer {
  /** Public key of the client certificate presented on this connection. */
  publicKey: KeyObject;
  scopes: readonly Scope[];
}

/** `consoleKey`: the key id of the connection's certificate, under which the agent keeps the body's audit head. */
export type GateResult = { ok: true; body: CommandBody; consoleKey: string } | { ok: false; code: RejectCode; error: string; nonce: string | null };

export interface GateOptions {
  host: string;
  maxLeaseMs?: number;
  maxSkewMs?: number;
  now?: () => number;
  /** Most nonces remembered at once; beyond it commands are refused rather than replay protection weakened. */
  maxNonces?: number;
  /** The audit head kept for a console key (read only; the agent keeps heads and persists them). Default: none kept. */
  keptHead?: (consoleKey: string) => AuditHead | undefined;
  /** The highest controller epoch this agent has seen (EpochFence; read only). Default: 0, every epoch admitted. */
  highestEpoch?: () => number;
}

/** Key ids of the keys seen (a connection's key is the same object for all its commands). */
const keyIds = new WeakMap<KeyObject, string>();
function keyIdCached(k: KeyObject): string {
  let id = keyIds.get(k);
  if (id === undefined) keyIds.set(k, (id = keyIdOf(k)));
  return id;
}

/**
 * Decides whether a console command may act on this host. Checks, in order: shape, the connection's scope, the
 * signature over the exact body bytes (tampering), the body's schema, the target host, freshness (expired, issued in
 * the future beyond the skew, lease longer than allowed), the controller epoch (lower than the highest seen: a deposed
 * leader, `stale-epoch`), the nonce (replay), and finally the console's audit chain
 * head against the one kept for the certificate's key: a lower seq is refused (`audit-head`: the chain went back —
 * its tail was cut, or it was rewritten shorter), and so is the same seq with another hash (a fork: rewritten and
 * re-hashed to the same length); a higher seq, or the kept head itself, passes. The head check comes after the nonce
 * so that a replayed old command reads as a replay, not as a rewritten chain. A nonce is remembered until its command
 * expires — after that the expiry check alone refuses a replay — so memory stays bounded by the command rate times
 * the longest lease. Pure: heads are read through `keptHead`; keeping them is the agent's.
 */
export class CommandGate {
  readonly host: string;
  readonly maxLeaseMs: number;
  private readonly maxSkewMs: number;
  private readonly now: () => number;
  private readonly maxNonces: number;
  private readonly nonces = new Map<string, number>();
  private readonly keptHead: (consoleKey: string) => AuditHead | undefined;
  private readonly highestEpoch: () => number;

  constructor(o: GateOptions) {
    this.keptHead = o.keptHead ?? (() => undefined);
    this.highestEpoch = o.highestEpoch ?? (() => 0);
    this.host = o.host;
    this.maxLeaseMs = o.maxLeaseMs ?? DEFAULT_MAX_LEASE_MS;
    this.maxSkewMs = o.maxSkewMs ?? DEFAULT_MAX_SKEW_MS;
    this.now = o.now ?? Date.now;
    this.maxNonces = o.maxNonces ?? 100_000;
  }

  check(message: unknown, peer: Peer): GateResult {
    const cmd = CommandSchema.safeParse(message);
    if (!cmd.success) return reject('schema', `not a command: ${cmd.error.issues[0]?.message ?? 'invalid'}`, null);
    let raw: unknown;
    try {
      raw = JSON.parse(cmd.data.body);
    } catch {
      raw = undefined;
    }
    const nonce = typeof raw === 'object' && raw !== null && typeof (raw as { nonce?: unknown }).nonce === 'string' ? String((raw as { nonce: string }).nonce).slice(0, 64) : null;
    if (!peer.scopes.includes('control')) return reject('scope', 'this certificate may read but not control (scope read)', nonce);
    if (!verifyBody(cmd.data.body, peer.publicKey, cmd.data.sig)) return reject('signature', 'signature does not match the body and the presented certificate (tampered or signed by another key)', nonce);
    const body = CommandBodySchema.safeParse(raw);
    if (!body.success) {
      const i = body.error.issues[0];
      return reject('schema', `command body: ${i ? `${i.path.join('.')}: ${i.message}` : 'invalid'}`, nonce);
    }
    const b = body.data;
    if (b.host !== this.host) return reject('host', `command is for host "${b.host}", this is "${this.host}"`, b.nonce);
    const now = this.now();
    if (b.expiresMs <= now) return reject('expired', `command expired ${now - b.expiresMs} ms ago`, b.nonce);
    if (b.issuedMs > now + this.maxSkewMs) return reject('future', `command issued ${b.issuedMs - now} ms in the future (clock skew above ${this.maxSkewMs} ms)`, b.nonce);
    if (b.expiresMs - Math.min(b.issuedMs, now) > this.maxLeaseMs + this.maxSkewMs) {
      return reject('lease-too-long', `lease of ${b.expiresMs - b.issuedMs} ms exceeds this agent's ${this.maxLeaseMs} ms`, b.nonce);
    }
    const highest = this.highestEpoch();
    if ((b.epoch ?? 0) < highest) {
      return reject('stale-epoch', `command from controller epoch ${b.epoch ?? 0}; this agent has acted for epoch ${highest}: a newer leader took over (fencing)`, b.nonce);
    }
    this.prune(now);
    if (this.nonces.has(b.nonce)) return reject('replay', `nonce ${b.nonce} was already used`, b.nonce);
    if (this.nonces.size >= this.maxNonces) return reject('replay', 'too many commands in flight to track their nonces; retry later', b.nonce);
    this.nonces.set(b.nonce, b.expiresMs);
    const consoleKey = keyIdCached(peer.publicKey);
    const kept = this.keptHead(consoleKey);
    const h = b.auditHead;
    if (kept && h.seq < kept.seq) {
      return reject('audit-head', `the console's audit chain went back from seq ${kept.seq} to ${h.seq}: rewritten or truncated`, b.nonce);
    }
    if (kept && h.seq === kept.seq && h.hash !== kept.hash) {
      return reject('audit-head', `the console's audit chain forked at seq ${h.seq} (hash ${h.hash.slice(0, 16)}…, this agent countersigned ${kept.hash.slice(0, 16)}…): rewritten and re-hashed`, b.nonce);
    }
    return { ok: true, body: b, consoleKey };
  }

  /** Forget expired nonces once there are many (or the table is full: a small maxNonces must not refuse forever). */
  private prune(now: number): void {
    if (this.nonces.size < Math.min(1024, this.maxNonces)) return;
    for (const [n, exp] of this.nonces) if (exp <= now) this.nonces.delete(n);
  }
}

function reject(code: RejectCode, error: string, nonce: string | null): GateResult {
  return { ok: false, code, error, nonce };
}
