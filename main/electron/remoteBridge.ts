/**
 * The desktop as a client of a controller (`headroom serve [--controller]`, issue 17): the main process holds one
 * WebSocket to the controller's `/api/ws?token=…` (wss with the given CA) and bridges the window's IPC requests and
 * the pushed events over the same contract a browser uses. It only ever asks: closing it (or the desktop) changes
 * nothing on the controller. No 'electron' here, so it is tested against a real server without Electron.
 */
import WebSocket from 'ws';
import type { EventChannel, RequestChannel, WireMessage } from '../../shared/contract.js';
import type { DesktopLink } from '../../shared/desktop.js';

/** Close codes the server uses: a wrong token; a standby that now leads (clients load the new face). */
export const CLOSE_UNAUTHORIZED = 4401;
export const CLOSE_SERVICE_RESTART = 1012;

export interface RemoteBridgeOptions {
  /** The controller's console address (http or https; path and query ignored). */
  url: string;
  token: string;
  /** PEM CA certificate(s) trusted for an https controller (else the system's). */
  ca?: string | Buffer;
  onEvent: (channel: EventChannel, payload: unknown) => void;
  onLink?: (link: DesktopLink) => void;
  /** The controller changed face (1012): whatever the window loaded from the old one must load again. */
  onReload?: () => void;
  requestTimeoutMs?: number;
  timeoutFor?: (channel: RequestChannel) => number | undefined;
}

interface Pending {
  resolve: (v: unknown) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
  frame: string;
  sent: boolean;
}

/** `ws(s)://host:port/api/ws?token=…` for a console address; only http and https addresses are accepted. */
export function controllerWsUrl(url: string, token: string): string {
  const u = new URL(url);
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error(`${url}: a controller's address starts with http:// or https://`);
  return `${u.protocol === 'https:' ? 'wss:' : 'ws:'}//${u.host}/api/ws?token=${encodeURIComponent(token)}`;
}

/** Reconnect delay after `attempt` failures: 0.5 s doubling to 10 s, ±20 % jitter. */
export function retryDelayMs(attempt: number, rand = Math.random()): number {
  return Math.round(Math.min(10_000, 500 * 2 ** Math.max(0, attempt)) * (0.8 + 0.4 * rand));
}

export class RemoteBridge {
  link: DesktopLink;
  private socket: WebSocket | null = null;
  private nextId = 1;
  private attempt = 0;
  private closed = false;
  private retry: NodeJS.Timeout | null = null;
  private readonly pending = new Map<number, Pending>();
  private readonly firstOpen: Promise<void>;
  private settleFirst: { ok: () => void; fail: (e: Error) => void } | null = null;

  constructor(private readonly o: RemoteBridgeOptions) {
    this.link = { state: 'connecting', url: new URL(o.url).origin };
    this.firstOpen = new Promise<void>((ok, fail) => (this.settleFirst = { ok, fail }));
    // Callers that never await opened() must not see an unhandled rejection.
    this.firstOpen.catch(() => {});
    this.connect();
  }

  /** Resolves on the first connection; rejects when the token is refused or the first attempt fails. */
  opened(): Promise<void> {
    return this.firstOpen;
  }

  invoke(channel: RequestChannel, payload: unknown): Promise<unknown> {
    if (this.closed) return Promise.reject(new Error(this.link.state === 'unauthorized' ? 'missing or wrong token' : 'not connected to a controller'));
    const id = this.nextId++;
    const frame = JSON.stringify({ id, channel, payload: payload ?? {} });
    const timeoutMs = this.o.timeoutFor?.(channel) ?? this.o.requestTimeoutMs ?? 15_000;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(id);
        reject(new Error(`${channel}: no answer from ${this.link.url} within ${timeoutMs} ms`));
      }, timeoutMs);
      const p: Pending = { resolve, reject, timer, frame, sent: false };
      this.pending.set(id, p);
      // Requests made while (re)connecting wait and go out on open.
      if (this.socket?.readyState === WebSocket.OPEN) this.send(p);
    });
  }

  /** Closes this client's link only: the controller and its control are unaffected. */
  close(): void {
    this.closed = true;
    if (this.retry) clearTimeout(this.retry);
    this.socket?.close(1000, 'desktop client closed');
    this.socket = null;
    this.failPending('connection closed');
    this.settleFirst?.fail(new Error('connection closed'));
  }

  private setLink(l: Omit<DesktopLink, 'url'>): void {
    this.link = { ...l, url: this.link.url };
    this.o.onLink?.(this.link);
  }

  private send(p: Pending): void {
    p.sent = true;
    this.socket!.send(p.frame);
  }

  private connect(): void {
    if (this.closed) return;
    this.retry = null;
    this.setLink({ state: 'connecting' });
    let sock: WebSocket;
    try {
      sock = new WebSocket(controllerWsUrl(this.o.url, this.o.token), { ca: this.o.ca, handshakeTimeout: 10_000, maxPayload: 64 * 1024 * 1024 });
    } catch (e) {
      this.fail((e as Error).message);
      return;
    }
    this.socket = sock;
    let refusedStatus: number | null = null;
    sock.on('unexpected-response', (_req, res) => {
      refusedStatus = res.statusCode ?? null;
      res.resume();
      sock.terminate();
    });
    sock.on('open', () => {
      this.attempt = 0;
      this.setLink({ state: 'open' });
      this.settleFirst?.ok();
      this.settleFirst = null;
      for (const p of this.pending.values()) if (!p.sent) this.send(p);
    });
    sock.on('message', (data, isBinary) => {
      if (!isBinary) this.receive(String(data));
    });
    let error = '';
    sock.on('error', (e) => (error = e.message));
    sock.on('close', (code, reasonBuf) => {
      if (this.socket !== sock) return;
      this.socket = null;
      for (const [id, p] of this.pending) {
        if (!p.sent) continue;
        clearTimeout(p.timer);
        this.pending.delete(id);
        p.reject(new Error('disconnected'));
      }
      const reason = reasonBuf.toString();
      if (code === CLOSE_UNAUTHORIZED || refusedStatus === 401 || refusedStatus === 403) return this.unauthorized(refusedStatus === 403 ? 'refused (403): check the address the controller is reached by' : 'missing or wrong token');
      if (code === CLOSE_SERVICE_RESTART) {
        // The controller swapped its face (a standby now leads): connect again at once, and have the window reload.
        this.o.onReload?.();
        this.connect();
        return;
      }
      this.fail(refusedStatus !== null ? `HTTP ${refusedStatus}` : error || (reason ? `${reason} (${code})` : `connection closed (${code})`));
    });
  }

  private fail(reason: string): void {
    if (this.closed) return;
    if (this.settleFirst) {
      // The first attempt failed: the first screen says why instead of retrying behind the operator's back.
      const first = this.settleFirst;
      this.settleFirst = null;
      this.closed = true;
      this.failPending(reason);
      this.setLink({ state: 'disconnected', reason });
      first.fail(new Error(`cannot reach ${this.link.url}: ${reason}`));
      return;
    }
    const delay = retryDelayMs(this.attempt++);
    this.setLink({ state: 'disconnected', retryInMs: delay, reason });
    this.retry = setTimeout(() => this.connect(), delay);
  }

  private unauthorized(reason: string): void {
    this.closed = true;
    this.failPending(reason);
    this.setLink({ state: 'unauthorized', reason });
    this.settleFirst?.fail(new Error(`${this.link.url}: ${reason}`));
    this.settleFirst = null;
  }

  private failPending(reason: string): void {
    for (const p of this.pending.values()) {
      clearTimeout(p.timer);
      p.reject(new Error(reason));
    }
    this.pending.clear();
  }

  private receive(text: string): void {
    let msg: WireMessage;
    try {
      msg = JSON.parse(text) as WireMessage;
    } catch {
      return;
    }
    if (msg.kind === 'response') {
      const p = this.pending.get(msg.id);
      if (!p) return;
      this.pending.delete(msg.id);
      clearTimeout(p.timer);
      if (msg.ok) p.resolve(msg.result);
      else p.reject(new Error(msg.error));
    } else if (msg.kind === 'event') {
      this.o.onEvent(msg.channel, msg.payload);
    }
  }
}
