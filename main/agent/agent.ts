import { randomBytes, X509Certificate, type KeyObject } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type Server as TlsServer, type TLSSocket } from 'node:tls';
import {
  AGENT_PROTOCOL_VERSION,
  MAX_LINE_BYTES,
  type AgentReading,
  type CommandAction,
  type GpuInfo,
  type Hello,
  type LeaseState,
  type Readings,
  type RejectCode,
  type Result,
  type Scope,
} from '../../shared/agentProtocol.js';
import { BackendError, type GpuBackend } from './backend.js';
import { scopesOf, type TlsIdentity } from './certs.js';
import { CommandGate } from './commandGate.js';
import { readLines, writeLine } from './lines.js';
import { renderMetrics, type AgentCounters } from './metrics.js';

export const AGENT_VERSION = '0.1.0';

export interface Listen {
  host: string;
  port: number;
}

export interface AgentOptions {
  host: string;
  backend: GpuBackend;
  identity: TlsIdentity;
  listen: Listen;
  /** Read-only Prometheus page; null = off. */
  metricsListen?: Listen | null;
  intervalMs?: number;
  /** Where GPUs go when no lease holds (and at start-up): watts, or percent of each GPU's max limit. */
  safeCap: { watts: number } | { pct: number };
  maxLeaseMs?: number;
  maxSkewMs?: number;
  /** Never act on the GPUs (no root needed); commands are refused with `read-only`. */
  readOnly?: boolean;
  now?: () => number;
  log?: (line: string) => void;
}

interface Desired {
  limitW: number;
  clocks: [number, number] | null;
  braked: boolean;
}

interface Conn {
  socket: TLSSocket;
  scopes: Scope[];
  publicKey: KeyObject;
}

/**
 * The Headroom host agent: reads the GPUs every interval and streams the readings to connected consoles over mutual
 * TLS; applies leased, signed commands from consoles with the control scope; falls back to the safe cap when the lease
 * lapses (and applies it at start-up, since a fresh driver load or agent restart has lost any console's caps); serves a
 * read-only /metrics page in dcgm-exporter's names. All GPU actions run one at a time, in arrival order.
 */
export class HostAgent {
  readonly bootId = randomBytes(8).toString('hex');
  readonly counters: AgentCounters = { commandsAccepted: 0, rejected: {}, readErrors: 0, consoles: 0 };
  /** TLS handshakes refused (no certificate, wrong CA, expired…). */
  tlsRejected = 0;
  private gpus: GpuInfo[] = [];
  private desired: Desired[] = [];
  private lastReadings: AgentReading[] = [];
  private mode: LeaseState['mode'] = 'safe';
  private leaseExpiresMs: number | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private readTimer: NodeJS.Timeout | null = null;
  private seq = 0;
  private serial: Promise<unknown> = Promise.resolve();
  private readonly conns = new Set<Conn>();
  private readonly gate: CommandGate;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly intervalMs: number;
  private tls: TlsServer | null = null;
  private http: HttpServer | null = null;
  private stopped = false;

  private constructor(private readonly o: AgentOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => {});
    this.intervalMs = o.intervalMs ?? 1000;
    this.gate = new CommandGate({ host: o.host, maxLeaseMs: o.maxLeaseMs, maxSkewMs: o.maxSkewMs, now: this.now });
  }

  /** Discover the GPUs, apply the safe cap, then listen. Throws BackendError / listen errors with clear messages. */
  static async start(o: AgentOptions): Promise<HostAgent> {
    const a = new HostAgent(o);
    a.gpus = await o.backend.discover();
    if (a.gpus.length === 0) throw new BackendError('no GPUs found on this host');
    a.desired = a.gpus.map((g) => ({ limitW: a.safeCapFor(g), clocks: null, braked: false }));
    if (o.readOnly) a.mode = 'read-only';
    else await a.applySafeCap('start-up');
    await a.listen();
    await a.readOnce();
    a.scheduleRead();
    return a;
  }

  get port(): number {
    return (this.tls?.address() as AddressInfo | null)?.port ?? 0;
  }

  get metricsPort(): number | null {
    return this.http ? ((this.http.address() as AddressInfo | null)?.port ?? null) : null;
  }

  get gpuInfo(): readonly GpuInfo[] {
    return this.gpus;
  }

  state(): LeaseState {
    return { mode: this.mode, leaseExpiresMs: this.leaseExpiresMs, safeCapW: this.gpus.length ? this.safeCapFor(this.gpus[0]!) : 0 };
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.readTimer) clearTimeout(this.readTimer);
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    for (const c of this.conns) c.socket.destroy();
    await Promise.all([closeServer(this.tls), closeServer(this.http)]);
    await this.serial.catch(() => {});
    await this.o.backend.close();
  }

  private safeCapFor(g: GpuInfo): number {
    const sc = this.o.safeCap;
    const w = 'watts' in sc ? sc.watts : (sc.pct / 100) * g.maxLimitW;
    return Math.min(g.maxLimitW, Math.max(g.minLimitW, Math.round(w * 100) / 100));
  }

  /** Run GPU actions one at a time. */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.serial.then(fn, fn);
    this.serial = p.catch(() => {});
    return p;
  }

  private async applySafeCap(why: string): Promise<void> {
    for (const [i, g] of this.gpus.entries()) {
      const d = this.desired[i]!;
      d.limitW = this.safeCapFor(g);
      try {
        if (d.braked) continue; // a brake is lower than any cap: keep it
        if (d.clocks) await this.o.backend.resetClocks(i);
        d.clocks = null;
        await this.o.backend.setPowerLimit(i, d.limitW);
      } catch (e) {
        this.log(`agent: could not apply the safe cap to GPU ${i} (${why}): ${errorText(e)}`);
      }
    }
    this.log(`agent: GPUs at the safe cap (${why})`);
  }

  private async listen(): Promise<void> {
    const id = this.o.identity;
    this.tls = createTlsServer(
      { cert: id.cert, key: id.key, ca: id.ca, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2', handshakeTimeout: 10_000 },
      (socket) => this.onConnection(socket),
    );
    this.tls.on('tlsClientError', (e) => {
      this.tlsRejected++;
      this.log(`agent: refused a TLS connection: ${e.message}`);
    });
    await listenOn(this.tls, this.o.listen);
    if (this.o.metricsListen) {
      this.http = createHttpServer((req, res) => {
        if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this agent serves GET /metrics only\n');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(renderMetrics(this.o.host, this.gpus, this.lastReadings, this.state(), this.counters));
      });
      await listenOn(this.http, this.o.metricsListen);
    }
  }

  private onConnection(socket: TLSSocket): void {
    const peer = socket.getPeerCertificate(true);
    const scopes = scopesOf(peer);
    if (!peer?.raw || scopes.length === 0) {
      this.tlsRejected++;
      this.log('agent: refused a console whose certificate carries no Headroom scope');
      socket.destroy();
      return;
    }
    const conn: Conn = { socket, scopes, publicKey: new X509Certificate(peer.raw).publicKey };
    this.conns.add(conn);
    this.counters.consoles = this.conns.size;
    socket.setNoDelay(true);
    socket.on('error', () => {});
    socket.on('close', () => {
      this.conns.delete(conn);
      this.counters.consoles = this.conns.size;
    });
    const hello: Hello = {
      type: 'hello',
      v: AGENT_PROTOCOL_VERSION,
      host: this.o.host,
      bootId: this.bootId,
      agentVersion: AGENT_VERSION,
      backend: this.o.backend.kind,
      scopes,
      intervalMs: this.intervalMs,
      maxLeaseMs: this.gate.maxLeaseMs,
      gpus: this.gpus,
      state: this.state(),
    };
    writeLine(socket, hello);
    if (this.lastReadings.length) writeLine(socket, this.readingsMessage(this.now()));
    readLines(
      socket,
      MAX_LINE_BYTES,
      (line) => void this.onLine(conn, line),
      () => {
        this.reply(conn, { nonce: null, code: 'schema', error: `line longer than ${MAX_LINE_BYTES} bytes: connection closed` });
        socket.end();
      },
    );
  }

  private async onLine(conn: Conn, line: string): Promise<void> {
    let msg: unknown;
    try {
      msg = JSON.parse(line);
    } catch {
      this.reject(conn, null, 'schema', 'not JSON');
      return;
    }
    const g = this.gate.check(msg, conn);
    if (!g.ok) {
      this.reject(conn, g.nonce, g.code, g.error);
      return;
    }
    const body = g.body;
    if (this.o.readOnly) {
      this.reject(conn, body.nonce, 'read-only', 'this agent runs --read-only and does not act on GPUs');
      return;
    }
    const bad = this.checkActions(body.actions);
    if (bad) {
      this.reject(conn, body.nonce, bad.code, bad.error);
      return;
    }
    const outcome = await this.enqueue(async () => {
      // A command that waited behind others may have expired meanwhile: its lease must not be revived.
      if (body.expiresMs <= this.now()) return { code: 'expired' as const, error: 'command expired while queued' };
      try {
        for (const a of body.actions) await this.apply(a);
      } catch (e) {
        return { code: 'backend' as const, error: errorText(e) };
      }
      this.extendLease(body.expiresMs);
      return null;
    });
    if (outcome) this.reject(conn, body.nonce, outcome.code, outcome.error);
    else {
      this.counters.commandsAccepted++;
      this.reply(conn, { nonce: body.nonce, ok: true });
    }
  }

  private index(uuid: string): number {
    return this.gpus.findIndex((g) => g.uuid.toLowerCase() === uuid.toLowerCase());
  }

  /** All-or-nothing range check before anything touches a GPU. */
  private checkActions(actions: readonly CommandAction[]): { code: RejectCode; error: string } | null {
    for (const a of actions) {
      const i = this.index(a.uuid);
      if (i < 0) return { code: 'unknown-gpu', error: `no GPU ${a.uuid} on ${this.o.host}` };
      const g = this.gpus[i]!;
      if (a.kind === 'setPowerLimit' && !(a.watts >= g.minLimitW && a.watts <= g.maxLimitW)) {
        return { code: 'range', error: `power limit ${a.watts} W is outside ${g.minLimitW}–${g.maxLimitW} W for GPU ${i} (${g.uuid})` };
      }
      if (a.kind === 'lockClocks' && !(a.minMHz <= a.maxMHz && a.minMHz >= g.minClockMHz && a.maxMHz <= g.maxClockMHz)) {
        return { code: 'range', error: `clock lock ${a.minMHz},${a.maxMHz} MHz is outside ${g.minClockMHz}–${g.maxClockMHz} MHz for GPU ${i}` };
      }
    }
    return null;
  }

  private async apply(a: CommandAction): Promise<void> {
    const i = this.index(a.uuid);
    const g = this.gpus[i]!;
    const d = this.desired[i]!;
    const b = this.o.backend;
    switch (a.kind) {
      case 'setPowerLimit':
        d.limitW = a.watts;
        if (!d.braked) await b.setPowerLimit(i, a.watts);
        break;
      case 'lockClocks':
        d.clocks = [a.minMHz, a.maxMHz];
        if (!d.braked) await b.lockClocks(i, a.minMHz, a.maxMHz);
        break;
      case 'resetClocks':
        d.clocks = null;
        if (!d.braked) await b.resetClocks(i);
        break;
      case 'brake':
        if (a.on === d.braked) break;
        d.braked = a.on;
        if (a.on) {
          await b.lockClocks(i, g.minClockMHz, g.minClockMHz);
          await b.setPowerLimit(i, g.minLimitW);
        } else {
          if (d.clocks) await b.lockClocks(i, d.clocks[0], d.clocks[1]);
          else await b.resetClocks(i);
          await b.setPowerLimit(i, d.limitW);
        }
        break;
    }
  }

  private extendLease(untilMs: number): void {
    if (this.leaseExpiresMs !== null && this.mode === 'leased' && untilMs <= this.leaseExpiresMs) return;
    this.mode = 'leased';
    this.leaseExpiresMs = untilMs;
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = setTimeout(() => this.checkLease(), Math.max(0, untilMs - this.now()) + 1);
  }

  private checkLease(): void {
    if (this.mode !== 'leased' || this.leaseExpiresMs === null || this.now() < this.leaseExpiresMs || this.stopped) return;
    void this.enqueue(async () => {
      // Renewed while we waited in the queue?
      if (this.mode !== 'leased' || this.leaseExpiresMs === null || this.now() < this.leaseExpiresMs) return;
      this.mode = 'safe';
      this.leaseExpiresMs = null;
      await this.applySafeCap('lease lapsed');
    });
  }

  private scheduleRead(): void {
    if (this.stopped) return;
    this.readTimer = setTimeout(() => {
      void this.readOnce().finally(() => this.scheduleRead());
    }, this.intervalMs);
  }

  private async readOnce(): Promise<void> {
    try {
      const r = await this.o.backend.read();
      this.lastReadings = r.readings;
      this.checkLease();
      const msg = this.readingsMessage(r.tMs);
      for (const c of this.conns) writeLine(c.socket, msg);
    } catch (e) {
      this.counters.readErrors++;
      this.log(`agent: reading the GPUs failed: ${errorText(e)}`);
    }
  }

  private readingsMessage(tMs: number): Readings {
    return { type: 'readings', host: this.o.host, seq: this.seq++, tMs: Math.round(tMs), gpus: this.lastReadings, state: this.state() };
  }

  private reject(conn: Conn, nonce: string | null, code: RejectCode, error: string): void {
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
    this.log(`agent: refused a command (${code}): ${error}`);
    this.reply(conn, { nonce, code, error });
  }

  private reply(conn: Conn, r: { nonce: string | null; ok?: boolean; code?: RejectCode; error?: string }): void {
    const msg: Result = { type: 'result', nonce: r.nonce, ok: r.ok ?? false, ...(r.code ? { code: r.code } : {}), ...(r.error ? { error: r.error.slice(0, 1000) } : {}), state: this.state() };
    writeLine(conn.socket, msg);
  }
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function listenOn(server: TlsServer | HttpServer, l: Listen): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      reject(new Error(e.code === 'EADDRINUSE' ? `${l.host}:${l.port} is already in use` : e.code === 'EACCES' ? `not allowed to listen on ${l.host}:${l.port}` : e.message));
    });
    server.listen(l.port, l.host, () => resolve());
  });
}

function closeServer(s: TlsServer | HttpServer | null): Promise<void> {
  if (!s) return Promise.resolve();
  return new Promise((resolve) => s.close(() => resolve()));
}

/** Parse HOST:PORT (IPv6 in brackets). */
export function parseListen(text: string, what: string): Listen {
  const m = /^(?:\[([^\]]+)\]|([^:]+)):(\d{1,5})$/.exec(text);
  const port = m ? Number(m[3]) : NaN;
  if (!m || !(port >= 0 && port <= 65535)) throw new Error(`${what} must be HOST:PORT (e.g. 127.0.0.1:9400), got "${text}"`);
  return { host: m[1] ?? m[2]!, port };
}
