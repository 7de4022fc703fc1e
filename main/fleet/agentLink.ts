import { randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { checkServerIdentity, connect, type PeerCertificate, type TLSSocket } from 'node:tls';
import type { z } from 'zod';
import {
  AGENT_PROTOCOL_VERSION,
  AgentMessageSchema,
  AuditHeadSchema,
  MAX_LINE_BYTES,
  type AuditHead,
  type CommandAction,
  type CommandBody,
  type GpuInfo,
  type Hello,
  type LeaseState,
  type Result,
} from '../../shared/agentProtocol.js';
import type { AgentSourceSchema, SourceTestResult } from '../../shared/domain/sources.js';
import type { TlsIdentity } from '../pki/certs.js';
import { readLines, writeLine } from '../pki/lines.js';
import { signBody } from '../pki/signing.js';
import { revocationListFor } from '../pki/revocation.js';
import { certKeyId, checkResultCountersig, type Countersigned } from '../pki/countersig.js';
import type { Feed, FeedSink } from '../core/source.js';

export type AgentSourceConfig = z.output<typeof AgentSourceSchema>;

export interface AgentLinkOptions {
  /** The console's client certificate, key and the site CA. */
  identity: TlsIdentity;
  /** Called after every hello: a new boot id (or first contact) means the agent lost its setpoints. */
  onHello?: (link: AgentLink, hello: Hello, restarted: boolean) => void;
  /** Called when a command comes back refused or failed. */
  onRefused?: (link: AgentLink, result: Result) => void;
  /**
   * The console's audit trail. Every command carries `head()` (the committed chain head); each countersignature the
   * agent returns is checked against its TLS certificate and handed to `countersigned` (control.db keeps it). Without
   * it a link sends the empty trail's head (seq 0): a console with no audit trail (tests, probes).
   */
  audit?: { head: () => AuditHead; countersigned?: (c: Countersigned) => void };
  /**
   * The controller's leadership epoch, carried by every command (`serve --controller`; agents refuse epochs older
   * than the highest they have seen). Absent or returning undefined: no epoch (a console outside a redundant set).
   */
  epoch?: () => number | undefined;
  connectTimeoutMs?: number;
  maxBackoffMs?: number;
}

/**
 * The console's end of one host agent: a mutually authenticated TLS connection that verifies the agent's certificate
 * against the configured host name (a certificate for another host is refused), validates every message against the
 * protocol schema, forwards readings to the fleet, and signs outgoing commands with the console's key. Reconnects with
 * exponential backoff (1 s → 30 s) while started.
 */
export class AgentLink implements Feed {
  readonly kind = 'agent' as const;
  readonly id: string;
  hello: Hello | null = null;
  lastState: LeaseState | null = null;
  private socket: TLSSocket | null = null;
  private sink: FeedSink | null = null;
  private timer: NodeJS.Timeout | null = null;
  private backoffMs = 1000;
  private stopped = true;
  private lastBootId: string | null = null;
  private readonly pending = new Map<string, { done: (r: Result) => void; head: AuditHead | null }>();
  /** The agent's certificate on this connection (countersignatures verify under it). */
  private peer: { pem: string; key: KeyObject } | null = null;
  private consoleKeyId: string | null = null;
  /** The last countersignature handed on (a renewal's repeat of the same head is not stored again). */
  private lastCountersig = '';
  /**
   * Set when the agent refused this console's audit head (`audit-head`: the console's chain went back or forked from
   * what the agent countersigned). The actuator then stops acting on this host; it stays set for this link's life
   * (until the console restarts or the source is removed and added again): someone has to look.
   */
  auditRefused: string | null = null;

  constructor(
    readonly config: AgentSourceConfig,
    private readonly o: AgentLinkOptions,
  ) {
    this.id = config.id;
  }

  get host(): string {
    return this.config.host;
  }

  get connected(): boolean {
    return this.hello !== null && this.socket !== null && !this.socket.destroyed;
  }

  start(sink: FeedSink): void {
    this.sink = sink;
    this.stopped = false;
    this.connect();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.socket?.destroy();
    this.socket = null;
    this.hello = null;
  }

  detail(): string {
    const where = `${this.config.address ?? this.config.host}:${this.config.port}`;
    if (!this.hello) return `${where} · not connected`;
    const s = this.lastState;
    const lease = s ? (s.mode === 'leased' ? `leased until ${new Date(s.leaseExpiresMs ?? 0).toISOString().slice(11, 19)}` : s.mode) : '?';
    const refused = this.auditRefused ? ' · REFUSES this console: its audit chain went back or forked (audit-head)' : '';
    return `${where} · ${this.hello.gpus.length} GPUs · ${this.hello.backend} · scopes ${this.hello.scopes.join('+')} · lease ${lease}${refused}`;
  }

  intervalMs(): number {
    return this.hello?.intervalMs ?? 1000;
  }

  /** The agent's GPUs as its hello described them (limits used to clamp setpoints). */
  gpus(): readonly GpuInfo[] {
    return this.hello?.gpus ?? [];
  }

  /**
   * Sign and send a command; resolves with the agent's result (or a local failure when not connected / no answer in
   * `timeoutMs`). An empty `actions` list renews the lease.
   */
  send(actions: CommandAction[], leaseMs: number, timeoutMs = 5000): Promise<Result> {
    const now = Date.now();
    const auditHead = this.o.audit?.head() ?? EMPTY_TRAIL_HEAD;
    const epoch = this.o.epoch?.();
    const body: CommandBody = {
      v: AGENT_PROTOCOL_VERSION,
      host: this.config.host,
      nonce: randomBytes(16).toString('hex'),
      issuedMs: now,
      expiresMs: now + leaseMs,
      actions,
      auditHead,
      ...(epoch !== undefined ? { epoch } : {}),
    };
    return this.sendBody(JSON.stringify(body), body.nonce, timeoutMs);
  }

  /** The key id of this console's certificate: what the agent keeps heads under. */
  get consoleKey(): string {
    return (this.consoleKeyId ??= certKeyId(this.o.identity.cert));
  }

  /** Send a body as given (tests use it to replay or tamper); signs it unless `sig` is supplied. */
  sendBody(text: string, nonce: string, timeoutMs = 5000, sig?: string): Promise<Result> {
    const local = (error: string) => this.localFailure(nonce, error);
    if (!this.connected || !this.socket) return Promise.resolve(local(`agent ${this.config.host} is not connected`));
    const signature = sig ?? signBody(text, this.o.identity.key);
    const head = headOf(text);
    return new Promise((resolve) => {
      const t = setTimeout(() => {
        this.pending.delete(nonce);
        resolve(local(`no answer from agent ${this.config.host} within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(nonce, {
        head,
        done: (r) => {
          clearTimeout(t);
          resolve(r);
        },
      });
      if (!writeLine(this.socket!, { type: 'command', body: text, sig: signature })) {
        this.pending.delete(nonce);
        clearTimeout(t);
        resolve(local(`agent ${this.config.host} is not reading (send buffer full)`));
      }
    });
  }

  /** A command that failed on this side (not connected, no answer, connection closed): what the agent last said of its lease. */
  private localFailure(nonce: string, error: string): Result {
    return { type: 'result', nonce, ok: false, code: 'backend', error, state: this.lastState ?? { mode: 'safe', leaseExpiresMs: null, safeCapW: 1 } };
  }

  private connect(): void {
    if (this.stopped) return;
    const id = this.o.identity;
    const socket = connect({
      host: this.config.address ?? this.config.host,
      port: this.config.port,
      servername: this.config.host,
      cert: id.cert,
      key: id.key,
      ca: id.ca,
      minVersion: 'TLSv1.2',
      timeout: this.o.connectTimeoutMs ?? 10_000,
      // The host name first, as TLS would; then the site's deny list (revoked.json, re-read when it changes).
      checkServerIdentity: (host: string, cert: PeerCertificate) => checkServerIdentity(host, cert) ?? this.checkRevoked(cert),
    });
    this.socket = socket;
    socket.setNoDelay(true);
    socket.on('timeout', () => socket.destroy(new Error('connection timed out')));
    // The timeout guards the handshake only: an agent reporting every 30 s is not idle.
    socket.once('secureConnect', () => {
      socket.setTimeout(0);
      const raw = socket.getPeerCertificate().raw;
      const cert = raw ? new X509Certificate(raw) : null;
      this.peer = cert ? { pem: cert.toString(), key: cert.publicKey } : null;
    });
    let failed = false;
    socket.on('error', (e: NodeJS.ErrnoException) => {
      failed = true;
      this.error(describeTlsError(e, this.config.host));
    });
    socket.on('close', () => {
      // TLS 1.3: the client finishes its side first; an agent refusing our certificate then just hangs up.
      if (!failed && this.hello === null && !this.stopped) {
        this.error(`the agent refused this console's certificate or closed the connection before saying hello`);
      } else if (!failed && this.hello !== null && !this.stopped && this.socket === socket) {
        this.error(`connection to agent ${this.config.host} lost; reconnecting`);
      }
      if (this.socket === socket) {
        this.socket = null;
        this.hello = null;
        this.peer = null;
      }
      for (const [nonce, p] of this.pending) p.done(this.localFailure(nonce, 'connection closed'));
      this.pending.clear();
      if (!this.stopped) {
        this.timer = setTimeout(() => this.connect(), this.backoffMs);
        this.backoffMs = Math.min(this.o.maxBackoffMs ?? 30_000, this.backoffMs * 2);
      }
    });
    readLines(socket, MAX_LINE_BYTES, (line) => this.onLine(line), () => {
      this.error(`agent ${this.config.host} sent a line longer than ${MAX_LINE_BYTES} bytes: disconnected`);
      socket.destroy();
    });
  }

  /** An Error (refusing the agent) when its certificate's serial is on the deny list, or the list is unreadable. */
  private checkRevoked(cert: PeerCertificate): Error | undefined {
    const path = this.o.identity.revokedPath;
    if (!path) return undefined;
    const r = revocationListFor(path).check(cert.serialNumber);
    return r.ok ? undefined : Object.assign(new Error(r.error), { code: 'CERT_REVOKED' });
  }

  private error(message: string): void {
    this.sink?.error(this.id, message);
  }

  private onLine(line: string): void {
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch {
      this.error(`agent ${this.config.host} sent a line that is not JSON`);
      return;
    }
    const m = AgentMessageSchema.safeParse(raw);
    if (!m.success) {
      const i = m.error.issues[0];
      this.error(`agent ${this.config.host}: message failed the schema (${i ? `${i.path.join('.')}: ${i.message}` : 'invalid'})`);
      return;
    }
    const msg = m.data;
    if (msg.type !== 'result' && msg.host !== this.config.host) {
      this.error(`agent at ${this.config.address ?? this.config.host}:${this.config.port} says it is "${msg.host}", expected "${this.config.host}": disconnected`);
      this.socket?.destroy();
      return;
    }
    this.lastState = msg.state;
    switch (msg.type) {
      case 'hello': {
        const restarted = this.lastBootId !== msg.bootId;
        this.lastBootId = msg.bootId;
        this.hello = msg;
        this.backoffMs = 1000;
        this.o.onHello?.(this, msg, restarted);
        break;
      }
      case 'readings':
        this.sink?.readings(this.id, msg.host, msg.tMs, msg.gpus);
        break;
      case 'result': {
        const p = msg.nonce ? this.pending.get(msg.nonce) : undefined;
        if (msg.nonce) this.pending.delete(msg.nonce);
        if (msg.countersig) this.countersigned(msg.countersig, p?.head ?? null);
        if (msg.code === 'audit-head') {
          this.auditRefused = msg.error ?? 'audit head refused';
          this.error(
            `agent ${this.config.host} REFUSED this console (audit-head): ${msg.error ?? ''} — this console's audit trail (control.db) was rewritten or truncated ` +
              `since the agent countersigned it; it will not act on ${this.config.host} until someone looks (headroom audit verify)`,
          );
          this.o.onRefused?.(this, msg);
        } else if (!msg.ok) {
          this.error(`agent ${this.config.host} refused a command (${msg.code ?? 'error'}): ${msg.error ?? ''}`);
          this.o.onRefused?.(this, msg);
        }
        p?.done(msg);
        break;
      }
    }
  }

  /** Check a countersignature against the agent's certificate and the head sent; hand on a new one, report a bad one. */
  private countersigned(cs: NonNullable<Result['countersig']>, sent: AuditHead | null): void {
    const key = `${cs.seq}|${cs.hash}|${cs.atMs}|${cs.sig}`;
    if (key === this.lastCountersig) return;
    // A late answer to a command given up on (timed out): nothing to hold it against; a later one will do.
    if (!sent) return;
    const peer = this.peer;
    const problem = !peer ? 'no agent certificate on this connection' : checkResultCountersig(cs, sent, this.config.host, this.consoleKey, peer.key);
    if (problem || !peer) {
      this.error(`agent ${this.config.host} returned a countersignature of the audit head that does not hold (${problem}): not stored`);
      return;
    }
    this.lastCountersig = key;
    this.o.audit?.countersigned?.({ host: this.config.host, consoleKey: this.consoleKey, seq: cs.seq, hash: cs.hash, atMs: cs.atMs, sig: cs.sig, cert: peer.pem });
  }

  /** Connect once, wait for the hello, and say what was found (Settings → Sources → Test). */
  static async test(config: AgentSourceConfig, identity: TlsIdentity, timeoutMs = 5000): Promise<SourceTestResult> {
    const t0 = performance.now();
    return new Promise((resolve) => {
      let lastError = '';
      const link = new AgentLink(config, {
        identity,
        onHello: (_l, h) => finish({ ok: true, message: `${h.gpus.length} GPUs on ${h.host} (${h.backend}), scopes ${h.scopes.join('+')}, lease ${h.state.mode}, safe cap ${h.state.safeCapW} W`, gpus: h.gpus.length }),
      });
      const timer = setTimeout(() => finish({ ok: false, message: lastError || `no hello from ${config.host} within ${timeoutMs} ms`, gpus: 0 }), timeoutMs);
      function finish(r: { ok: boolean; message: string; gpus: number }): void {
        clearTimeout(timer);
        void link.stop();
        resolve({ ...r, latencyMs: Math.round(performance.now() - t0) });
      }
      link.start({
        readings: () => {},
        error: (_id, message) => {
          lastError = message;
          // A refused handshake will not fix itself within the test: report it at once.
          finish({ ok: false, message, gpus: 0 });
        },
      });
    });
  }
}

/** The head a link sends without an audit trail: the empty trail's (seq 0, the genesis hash). */
export const EMPTY_TRAIL_HEAD: AuditHead = Object.freeze({ seq: 0, hash: '0'.repeat(64) });

/** The audit head inside a body's text (null when it has none: the agent refuses such a body anyway). */
function headOf(text: string): AuditHead | null {
  try {
    const h = AuditHeadSchema.safeParse((JSON.parse(text) as { auditHead?: unknown }).auditHead);
    return h.success ? h.data : null;
  } catch {
    return null;
  }
}

/** TLS failures in words an operator can act on. */
export function describeTlsError(e: NodeJS.ErrnoException, host: string): string {
  const code = e.code ?? '';
  if (code === 'ERR_TLS_CERT_ALTNAME_INVALID') return `certificate for another host: the agent's certificate does not name "${host}" (${e.message})`;
  if (code === 'CERT_HAS_EXPIRED') return `the agent's certificate has expired`;
  if (code === 'CERT_REVOKED') return `the agent's certificate is refused: ${e.message}`;
  if (code === 'UNABLE_TO_VERIFY_LEAF_SIGNATURE' || code === 'SELF_SIGNED_CERT_IN_CHAIN' || code === 'DEPTH_ZERO_SELF_SIGNED_CERT') {
    return `the agent's certificate is not signed by this site's CA (${code})`;
  }
  if (code === 'ECONNREFUSED') return `connection refused by ${host} (is the agent running and listening on that port?)`;
  if (code === 'ENOTFOUND') return `host ${host} not found (set an address for it)`;
  if (code === 'ECONNRESET' || /alert|handshake/i.test(e.message)) return `the agent refused this console's certificate or closed the connection (${e.message})`;
  return `connection to ${host}: ${e.message}`;
}
