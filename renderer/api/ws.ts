/**
 * Transport for a browser talking to `headroom serve`: one WebSocket carrying request/response frames and pushed
 * events (see `WireMessage` in the contract). Reconnects with capped, jittered exponential backoff; a close with code
 * 4401 (or a 401 on the probe after a failed handshake) means the token is missing or wrong, and stops retrying; a
 * close with 1012 (a standby controller now leads) hands over to `onServiceRestart` (the page reloads).
 */
import type { EventChannel, EventTypes, RequestChannel, RequestPayload, ResponseOf, WireMessage } from '../../shared/contract.js';
import type { ApiClient, ConnectionInfo } from './types.js';

/** Close code the server uses for a missing or wrong token. */
export const CLOSE_UNAUTHORIZED = 4401;
/** Close code of a standby controller that now leads (1012, service restart): the page must load the new face. */
export const CLOSE_SERVICE_RESTART = 1012;

/** Delay before reconnect attempt `attempt` (0-based): 0.5 s doubling to 10 s, ±20 % jitter from `rand` ∈ [0,1). */
export function backoffMs(attempt: number, rand: number = Math.random()): number {
  const base = Math.min(10_000, 500 * 2 ** Math.max(0, attempt));
  return Math.round(base * (0.8 + 0.4 * rand));
}

/** The minimal WebSocket surface used here, so tests can pass a fake. */
export interface SocketLike {
  readyState: number;
  onopen: ((ev: unknown) => void) | null;
  onclose: ((ev: { code: number; reason: string }) => void) | null;
  onerror: ((ev: unknown) => void) | null;
  onmessage: ((ev: { data: unknown }) => void) | null;
  send(data: string): void;
  close(code?: number, reason?: string): void;
}

export interface WsOptions {
  url: string;
  createSocket?: (url: string) => SocketLike;
  /** Asks the server whether the token is refused (true = 401), used when the handshake fails before opening. */
  probeUnauthorized?: () => Promise<boolean>;
  requestTimeoutMs?: number;
  /** Per-channel answer deadline (ms), for requests known to take long (the planner's sweep); falls back to requestTimeoutMs. */
  timeoutFor?: (channel: RequestChannel) => number | undefined;
  setTimer?: (fn: () => void, ms: number) => unknown;
  clearTimer?: (t: unknown) => void;
  /** Called instead of reconnecting when the server closes with 1012 (a standby now leads): the page reloads. */
  onServiceRestart?: (reason: string) => void;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: unknown;
  frame: string;
  sent: boolean;
}

const OPEN = 1;

export class WsApi implements ApiClient {
  readonly transport = 'websocket' as const;
  connection: ConnectionInfo = { state: 'connecting' };

  private socket: SocketLike | null = null;
  private nextId = 1;
  private attempt = 0;
  private everOpened = false;
  private closed = false;
  private retryTimer: unknown = null;
  private readonly pending = new Map<number, Pending>();
  private readonly listeners = new Map<string, Set<(p: unknown) => void>>();
  private readonly connectionListeners = new Set<(i: ConnectionInfo) => void>();
  private readonly connectedListeners = new Set<() => void>();
  private readonly createSocket: (url: string) => SocketLike;
  private readonly setTimer: (fn: () => void, ms: number) => unknown;
  private readonly clearTimer: (t: unknown) => void;

  constructor(private readonly opts: WsOptions) {
    this.createSocket = opts.createSocket ?? ((url) => new WebSocket(url) as unknown as SocketLike);
    this.setTimer = opts.setTimer ?? ((fn, ms) => setTimeout(fn, ms));
    this.clearTimer = opts.clearTimer ?? ((t) => clearTimeout(t as number));
    this.connect();
  }

  invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<ResponseOf<C>> {
    if (this.connection.state === 'unauthorized') return Promise.reject(new Error('missing or wrong token'));
    const id = this.nextId++;
    const frame = JSON.stringify({ id, channel, payload: payload ?? {} });
    const timeoutMs = this.opts.timeoutFor?.(channel) ?? this.opts.requestTimeoutMs ?? 15_000;
    return new Promise<ResponseOf<C>>((resolve, reject) => {
      const timer = this.setTimer(() => {
        this.pending.delete(id);
        reject(new Error(`${channel}: no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      const p: Pending = { resolve: resolve as (v: unknown) => void, reject, timer, frame, sent: false };
      this.pending.set(id, p);
      // Requests made while (re)connecting wait in `pending` and go out on open.
      if (this.socket && this.socket.readyState === OPEN) this.send(p);
    });
  }

  on<E extends EventChannel>(channel: E, listener: (payload: EventTypes[E]) => void): () => void {
    let set = this.listeners.get(channel);
    if (!set) this.listeners.set(channel, (set = new Set()));
    const l = listener as (p: unknown) => void;
    set.add(l);
    return () => set.delete(l);
  }

  onConnection(listener: (info: ConnectionInfo) => void): () => void {
    this.connectionListeners.add(listener);
    listener(this.connection);
    return () => this.connectionListeners.delete(listener);
  }

  onConnected(listener: () => void): () => void {
    this.connectedListeners.add(listener);
    if (this.connection.state === 'open') queueMicrotask(listener);
    return () => this.connectedListeners.delete(listener);
  }

  close(): void {
    this.closed = true;
    if (this.retryTimer !== null) this.clearTimer(this.retryTimer);
    this.socket?.close(1000, 'client closed');
    this.failPending('connection closed');
  }

  private setConnection(info: ConnectionInfo): void {
    this.connection = info;
    for (const l of this.connectionListeners) l(info);
  }

  private send(p: Pending): void {
    p.sent = true;
    this.socket!.send(p.frame);
  }

  private connect(): void {
    if (this.closed) return;
    this.retryTimer = null;
    this.setConnection({ state: 'connecting' });
    let opened = false;
    let sock: SocketLike;
    try {
      sock = this.createSocket(this.opts.url);
    } catch (e) {
      this.scheduleRetry(String(e));
      return;
    }
    this.socket = sock;
    sock.onopen = () => {
      opened = true;
      this.everOpened = true;
      this.attempt = 0;
      this.setConnection({ state: 'open' });
      for (const p of this.pending.values()) if (!p.sent) this.send(p);
      for (const l of this.connectedListeners) l();
    };
    sock.onmessage = (ev) => this.receive(ev.data);
    sock.onerror = () => {};
    sock.onclose = (ev) => {
      if (this.socket !== sock) return;
      this.socket = null;
      // Answers to requests already sent will never come; unsent ones wait for the next connection.
      for (const [id, p] of this.pending) {
        if (!p.sent) continue;
        this.clearTimer(p.timer);
        this.pending.delete(id);
        p.reject(new Error('disconnected'));
      }
      if (ev.code === CLOSE_UNAUTHORIZED) return this.unauthorized();
      if (ev.code === CLOSE_SERVICE_RESTART && this.opts.onServiceRestart) {
        this.closed = true;
        this.failPending('reloading');
        this.setConnection({ state: 'connecting', reason: ev.reason || 'service restart' });
        this.opts.onServiceRestart(ev.reason);
        return;
      }
      if (!opened && !this.everOpened && this.opts.probeUnauthorized) {
        this.opts.probeUnauthorized().then(
          (refused) => (refused ? this.unauthorized() : this.scheduleRetry(reasonOf(ev))),
          () => this.scheduleRetry(reasonOf(ev)),
        );
        return;
      }
      this.scheduleRetry(reasonOf(ev));
    };
  }

  private unauthorized(): void {
    this.closed = true;
    this.failPending('missing or wrong token');
    this.setConnection({ state: 'unauthorized', reason: 'missing or wrong token' });
  }

  private scheduleRetry(reason: string): void {
    if (this.closed) return;
    const delay = backoffMs(this.attempt++);
    this.setConnection({ state: 'disconnected', retryInMs: delay, reason });
    this.retryTimer = this.setTimer(() => this.connect(), delay);
  }

  private failPending(reason: string): void {
    for (const p of this.pending.values()) {
      this.clearTimer(p.timer);
      p.reject(new Error(reason));
    }
    this.pending.clear();
  }

  private receive(data: unknown): void {
    if (typeof data !== 'string') return;
    let msg: WireMessage;
    try {
      msg = JSON.parse(data) as WireMessage;
    } catch {
      return;
    }
    if (msg.kind === 'response') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      this.clearTimer(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
    } else if (msg.kind === 'event') {
      const set = this.listeners.get(msg.channel);
      if (!set) return;
      for (const l of set) {
        try {
          l(msg.payload);
        } catch (e) {
          console.error(`listener for ${msg.channel} failed`, e);
        }
      }
    }
  }
}

function reasonOf(ev: { code: number; reason: string }): string {
  return ev.reason ? `${ev.reason} (${ev.code})` : `connection closed (${ev.code})`;
}
