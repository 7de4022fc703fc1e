import { randomBytes } from 'node:crypto';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  AGENT_PROTOCOL_VERSION,
  MAX_LINE_BYTES,
  type AgentReading,
  type GpuInfo,
  type Hello,
  type LeaseState,
  type Readings,
  type RejectCode,
  type Countersig,
  type Result,
} from '../../shared/agentProtocol.js';
import { ClockEvent } from '../../shared/domain/fleet.js';
import { BackendError, type GpuBackend } from './backend.js';
import { closeServer, listenOn, type Listen } from './listen.js';
import { errorText, GpuSetpoints } from './setpoints.js';
import type { TlsIdentity } from '../pki/certs.js';
import type { AdmissionLimits, AdmissionStats } from './admission.js';
import { ControlPort, type ConsolePeer } from './controlPort.js';
import { CommandGate } from './commandGate.js';
import { EpochFence } from './epochFence.js';
import { AuditHeadKeeper } from './auditHeads.js';
import { readLines, writeLine } from '../pki/lines.js';
import { countAcceptedEpoch, renderMetrics, type AgentCounters } from './metrics.js';

export const AGENT_VERSION = '0.1.0';

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
  /**
   * Where the agent keeps each console's audit chain head (audit-heads.json) and its log of countersigned heads
   * (audit-heads.jsonl). Absent or null: kept in memory only, forgotten on restart (tests; `headroom agent` always
   * gives one). A damaged state file stops the start (AgentStateError).
   */
  stateDir?: string | null;
  /** Limits on the control port: handshake deadline, unauthenticated sockets per source and in all, console slots. */
  limits?: Partial<AdmissionLimits>;
  now?: () => number;
  log?: (line: string) => void;
}

type Conn = ConsolePeer;

/**
 * The Headroom host agent: reads the GPUs every interval and streams the readings to connected consoles over mutual
 * TLS; applies leased, signed commands from consoles with the control scope; falls back to the safe cap when the lease
 * lapses (and applies it at start-up, since a fresh driver load or agent restart has lost any console's caps); serves a
 * read-only /metrics page in dcgm-exporter's names. All GPU actions run one at a time, in arrival order.
 */
export class HostAgent {
  readonly bootId = randomBytes(8).toString('hex');
  readonly counters: AgentCounters = { commandsAccepted: 0, rejected: {}, readErrors: 0, consoles: 0, dropped: {}, pending: 0, epoch: 0, leaseLapses: 0 };
  /** The host's GPUs and what is wanted on each; set by `start`. */
  private sp!: GpuSetpoints;
  private lastReadings: AgentReading[] = [];
  private lastReadingsTMs = 0;
  private mode: LeaseState['mode'] = 'safe';
  private leaseExpiresMs: number | null = null;
  private leaseTimer: NodeJS.Timeout | null = null;
  private readTimer: NodeJS.Timeout | null = null;
  private seq = 0;
  private serial: Promise<unknown> = Promise.resolve();
  private readonly conns = new Set<Conn>();
  private readonly gate: CommandGate;
  /** The highest controller epoch acted for (fencing of deposed leaders). */
  private readonly fence: EpochFence;
  /** Each console key's audit head, kept and countersigned. */
  readonly auditHeads: AuditHeadKeeper;
  private readonly now: () => number;
  private readonly log: (line: string) => void;
  private readonly intervalMs: number;
  private readonly control: ControlPort;
  private http: HttpServer | null = null;
  private stopped = false;

  private constructor(private readonly o: AgentOptions) {
    this.now = o.now ?? Date.now;
    this.log = o.log ?? (() => {});
    this.intervalMs = o.intervalMs ?? 1000;
    this.auditHeads = AuditHeadKeeper.open({ host: o.host, identity: o.identity, dir: o.readOnly ? null : (o.stateDir ?? null), now: this.now });
    this.fence = new EpochFence(o.readOnly ? null : (o.stateDir ?? null), this.now);
    this.counters.epoch = this.fence.highest;
    const keptHead = (k: string) => this.auditHeads.kept(k);
    this.gate = new CommandGate({ host: o.host, maxLeaseMs: o.maxLeaseMs, maxSkewMs: o.maxSkewMs, now: this.now, keptHead, highestEpoch: () => this.fence.highest });
    this.control = new ControlPort({ identity: o.identity, listen: o.listen, limits: o.limits, log: this.log, onConsole: (c) => this.onConnection(c) });
    this.counters.dropped = this.control.dropped; // the same object: /metrics reads the live counts
  }

  /** Discover the GPUs, apply the safe cap, then listen. Throws BackendError / listen errors with clear messages. */
  static async start(o: AgentOptions): Promise<HostAgent> {
    const a = new HostAgent(o);
    try {
      const gpus = await o.backend.discover();
      if (gpus.length === 0) throw new BackendError('no GPUs found on this host');
      a.sp = new GpuSetpoints(gpus, o.backend, o.safeCap, o.host, a.log);
      if (o.readOnly) a.mode = 'read-only';
      else await a.sp.applySafeCap('start-up');
      await a.listen();
    } catch (e) {
      a.auditHeads.close();
      throw e;
    }
    await a.readOnce();
    a.scheduleRead();
    return a;
  }

  get port(): number {
    return this.control.port;
  }

  /** TLS handshakes refused (no certificate, wrong CA, expired…) and certificates refused (no scope, revoked). */
  get tlsRejected(): number {
    return this.control.tlsRejected;
  }

  /** Unauthenticated sockets, consoles, and what was dropped (tests). */
  /** The control port's connection limits in force (`headroom agent --max-pending …`). */
  get admissionLimits(): AdmissionLimits {
    return this.control.limits;
  }

  connectionStats(): AdmissionStats {
    return this.control.stats();
  }

  get metricsPort(): number | null {
    return this.http ? ((this.http.address() as AddressInfo | null)?.port ?? null) : null;
  }

  get gpuInfo(): readonly GpuInfo[] {
    return this.sp.gpus;
  }

  state(): LeaseState {
    return { mode: this.mode, leaseExpiresMs: this.leaseExpiresMs, safeCapW: this.sp.gpus[0] ? this.sp.safeCapFor(this.sp.gpus[0]) : 0 };
  }

  /**
   * Stop serving. A stopped agent can no longer let a lease lapse, and NVIDIA limits outlive the process, so unless it
   * is read-only it leaves its GPUs at the safe cap (after any command still queued).
   */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.readTimer) clearTimeout(this.readTimer);
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    for (const c of this.conns) c.socket.destroy();
    await Promise.all([this.control.close(), closeServer(this.http)]);
    if (this.mode !== 'read-only') {
      await this.enqueue(async () => {
        this.mode = 'safe';
        this.leaseExpiresMs = null;
        await this.sp.applySafeCap('agent stopping');
      }).catch(() => {});
    }
    await this.serial.catch(() => {});
    this.auditHeads.close();
    await this.o.backend.close();
  }

  /** Run GPU actions one at a time. */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.serial.then(fn, fn);
    this.serial = p.catch(() => {});
    return p;
  }

  private async listen(): Promise<void> {
    await this.control.start();
    if (this.o.metricsListen) {
      this.http = createHttpServer((req, res) => {
        if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/metrics') {
          res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: this agent serves GET /metrics only\n');
          return;
        }
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        this.counters.pending = this.control.stats().pending;
        res.end(renderMetrics(this.o.host, this.sp.gpus, this.lastReadings, this.state(), this.counters));
      });
      // A page read by one Prometheus: no client may hold a connection half-sent.
      this.http.headersTimeout = 5000;
      this.http.requestTimeout = 10_000;
      await listenOn(this.http, this.o.metricsListen);
      this.http.on('error', (e) => this.log(`agent: metrics listener error: ${e.message}`));
      this.http.maxConnections = 64;
    }
  }

  /** A console that passed the control port's checks (admission, CA, scope, deny list). */
  private onConnection(conn: Conn): void {
    const { socket, scopes } = conn;
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
      gpus: this.sp.gpus.map((g) => ({ ...g, safeCapW: this.sp.safeCapFor(g) })),
      state: this.state(),
    };
    writeLine(socket, hello);
    // The last readings, if still fresh: a new console should not wait a whole interval, nor get old values as new.
    if (this.lastReadings.length && this.now() - this.lastReadingsTMs <= 2 * this.intervalMs) writeLine(socket, this.readingsMessage(this.lastReadingsTMs));
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
    // The head is on disk (and in the log) before anything acts: an agent that cannot keep it does not act.
    let cs: Countersig;
    try {
      cs = this.auditHeads.keep(g.consoleKey, body.auditHead);
    } catch (e) {
      this.reject(conn, body.nonce, 'agent-state', errorText(e));
      return;
    }
    // A newer leader's epoch is on disk before its first command acts: a restart cannot let the deposed one back in.
    try {
      if (this.fence.raise(body.epoch, g.consoleKey)) this.log(`agent: controller epoch now ${(this.counters.epoch = this.fence.highest)}: older epochs are refused from here on`);
    } catch (e) {
      this.reject(conn, body.nonce, 'agent-state', errorText(e), cs);
      return;
    }
    if (body.actions.length === 0 && this.mode !== 'leased') {
      this.reject(conn, body.nonce, 'no-lease', 'no lease to renew: it lapsed and the GPUs are at the safe cap; send the setpoints again', cs);
      return;
    }
    const bad = this.sp.checkActions(body.actions);
    if (bad) {
      this.reject(conn, body.nonce, bad.code, bad.error, cs);
      return;
    }
    const outcome = await this.enqueue(async () => {
      // A command that waited behind others may have expired meanwhile: its lease must not be revived.
      if (body.expiresMs <= this.now()) return { code: 'expired' as const, error: 'command expired while queued' };
      // A newer leader spoke while this waited: the deposed one's command must not act after it.
      if (!this.fence.admits(body.epoch)) return { code: 'stale-epoch' as const, error: `a newer controller epoch (${this.fence.highest}) arrived while this command (epoch ${body.epoch ?? 0}) waited` };
      // The lease may have lapsed while this renewal waited: it must not revive it over the safe cap.
      if (body.actions.length === 0 && this.mode !== 'leased') return { code: 'no-lease' as const, error: 'the lease lapsed while this renewal waited; send the setpoints again' };
      try {
        for (const a of body.actions) await this.sp.apply(a);
      } catch (e) {
        // What ran before the failure is on the GPUs: it holds under this command's lease and lapses with it.
        this.extendLease(body.expiresMs);
        return { code: 'backend' as const, error: errorText(e) };
      }
      this.extendLease(body.expiresMs);
      return null;
    });
    if (outcome) this.reject(conn, body.nonce, outcome.code, outcome.error, cs);
    else {
      this.counters.commandsAccepted++;
      countAcceptedEpoch(this.counters, body.epoch ?? 0);
      this.reply(conn, { nonce: body.nonce, ok: true, countersig: cs });
    }
  }

  private extendLease(untilMs: number): void {
    if (this.stopped) return;
    if (this.leaseExpiresMs !== null && this.mode === 'leased' && untilMs <= this.leaseExpiresMs) return;
    this.mode = 'leased';
    this.leaseExpiresMs = untilMs;
    if (this.leaseTimer) clearTimeout(this.leaseTimer);
    this.leaseTimer = setTimeout(() => this.checkLease(), Math.max(0, untilMs - this.now()) + 1);
  }

  private checkLease(): void {
    if (this.mode !== 'leased' || this.leaseExpiresMs === null || this.stopped) return;
    const left = this.leaseExpiresMs - this.now();
    if (left > 0) {
      // Early (the wall clock stepped back): look again when it is due.
      if (this.leaseTimer) clearTimeout(this.leaseTimer);
      this.leaseTimer = setTimeout(() => this.checkLease(), left + 1);
      return;
    }
    void this.enqueue(async () => {
      // Renewed while we waited in the queue?
      if (this.mode !== 'leased' || this.leaseExpiresMs === null || this.now() < this.leaseExpiresMs) return;
      this.mode = 'safe';
      this.leaseExpiresMs = null;
      this.counters.leaseLapses = (this.counters.leaseLapses ?? 0) + 1;
      await this.sp.applySafeCap('lease lapsed');
    });
  }

  private scheduleRead(): void {
    if (this.stopped) return;
    this.readTimer = setTimeout(() => {
      void this.readOnce().finally(() => this.scheduleRead());
    }, this.intervalMs);
  }

  private async readOnce(): Promise<void> {
    this.control.recheck(this.conns);
    this.checkLease();
    if (this.mode === 'safe' && this.sp.desired.some((d) => d.safePending)) {
      void this.enqueue(async () => {
        if (this.mode === 'safe') await this.sp.retrySafeCap('retry');
      });
    }
    try {
      const r = await this.o.backend.read();
      this.lastReadings = this.withBrakeFlag(r.readings);
      this.lastReadingsTMs = r.tMs;
      const msg = this.readingsMessage(r.tMs);
      for (const c of this.conns) writeLine(c.socket, msg);
    } catch (e) {
      this.counters.readErrors++;
      this.log(`agent: reading the GPUs failed: ${errorText(e)}`);
    }
  }

  /**
   * An engaged Headroom brake (minimum power limit + minimum clock lock) is reported as NVML's hw_power_brake reason, the
   * nearest one, so consoles and dashboards can confirm the brake from readings alone.
   */
  private withBrakeFlag(readings: AgentReading[]): AgentReading[] {
    if (!this.sp.desired.some((d) => d.braked)) return readings;
    return readings.map((r) => {
      const i = this.sp.index(r.uuid);
      return i >= 0 && this.sp.desired[i]?.braked ? { ...r, clockEventMask: ((r.clockEventMask ?? 0) | ClockEvent.hwPowerBrake) & 0xffff } : r;
    });
  }

  private readingsMessage(tMs: number): Readings {
    return { type: 'readings', host: this.o.host, seq: this.seq++, tMs: Math.round(tMs), gpus: this.lastReadings, state: this.state() };
  }

  private reject(conn: Conn, nonce: string | null, code: RejectCode, error: string, countersig?: Countersig): void {
    this.counters.rejected[code] = (this.counters.rejected[code] ?? 0) + 1;
    this.log(`agent: refused a command (${code}): ${error}`);
    this.reply(conn, { nonce, code, error, countersig });
  }

  private reply(conn: Conn, r: { nonce: string | null; ok?: boolean; code?: RejectCode; error?: string; countersig?: Countersig }): void {
    const msg: Result = {
      type: 'result',
      nonce: r.nonce,
      ok: r.ok ?? false,
      ...(r.code ? { code: r.code } : {}),
      ...(r.error ? { error: r.error.slice(0, 1000) } : {}),
      state: this.state(),
      ...(r.countersig ? { countersig: r.countersig } : {}),
    };
    writeLine(conn.socket, msg);
  }
}

