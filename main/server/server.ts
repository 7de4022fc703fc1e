import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { ControllerStatus } from '../../shared/domain/controller.js';
import type { User } from '../../shared/domain/users.js';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { eventChannels, WireRequestSchema, type Handlers, type WireMessage } from '../../shared/contract.js';
import type { EventBus } from '../engine/bus.js';
import { dispatch, type DispatchOptions } from '../engine/dispatch.js';
import type { Actor, Role } from '../../shared/domain/control.js';
import { cspFor } from './csp.js';
import { originGuard } from './origin.js';
import { ClientLimiter, DEFAULT_LIMITS, FLOOD_PENALTY_S, inFlightError, KeyedLimiters, rateError, type RateLimits } from './limits.js';

export interface ServeOptions {
  host: string;
  port: number;
  /** One token per role: whoever presents it acts with that role. */
  tokens: Record<Role, string>;
  /** People with their own tokens (`--users`): the audit names them. Checked after the role tokens. */
  users?: readonly User[];
  /** Audit hook for refused acting requests (role, payload, policy refusals). */
  onRefused?: DispatchOptions['onRefused'];
  /** Per-runtime role changes (see DispatchOptions.roles). */
  roles?: DispatchOptions['roles'];
  handlers: Handlers;
  bus: EventBus;
  /** Built renderer (dist/renderer); null serves the API only. */
  staticDir: string | null;
  /** What one client may ask (default 50 requests/s, burst 100, 32 unanswered; see limits.ts). */
  limits?: Partial<RateLimits>;
  /** Serve https and wss with this certificate and key (PEM). */
  tls?: { cert: string | Buffer; key: string | Buffer };
  /** Names accepted in Host besides loopback and `host` (a DNS name, a proxy in front). */
  allowedHosts?: readonly string[];
  /**
   * A controller of a redundant set (`serve --controller`): `/api/health` carries its leadership, `/healthz` says the
   * process is alive, `/readyz` answers 200 only on the leader once it serves the console (a load balancer in front
   * of the set sends clients there), 503 elsewhere with who leads.
   */
  controller?: () => ControllerStatus;
}

/** What answers the contract: swapped when a standby controller takes the lead (`HeadlessServer.setFace`). */
export interface Face {
  handlers: Handlers;
  onRefused?: DispatchOptions['onRefused'];
  roles?: DispatchOptions['roles'];
  /** Serving the whole console (a leader's runtime, or a plain serve); false: a standby's face. */
  ready: boolean;
}

export interface HeadlessServer {
  /** URL with the admin token; `urls` has one per role. */
  url: string;
  urls: Record<Role, string>;
  port: number;
  /** Answer the contract with another face from now on (a standby that took the lead); open WebSockets are closed. */
  setFace(f: Face): void;
  close(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.json': 'application/json',
  '.map': 'application/json',
  '.woff2': 'font/woff2',
};

/** Max size of one WebSocket request frame (requests are small; snapshots only flow outward). */
const MAX_FRAME_BYTES = 64 * 1024;
/** A client this far behind on outgoing data skips snapshots until it catches up. */
const MAX_BUFFERED_BYTES = 8 * 1024 * 1024;

export function generateToken(): string {
  return randomBytes(24).toString('base64url');
}

export function tokenMatches(given: string | null | undefined, expected: string): boolean {
  if (!given) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * The actor a token stands for, or null for a missing or unknown token (constant-time comparisons): a role token
 * acts as "<role> (token)"; a person's token (`users`, compared by its SHA-256) as that person.
 */
export function actorForToken(tokens: Record<Role, string>, given: string | null | undefined, users: readonly User[] = []): Actor | null {
  let found: Role | null = null;
  for (const role of ['viewer', 'operator', 'admin'] as const) if (tokenMatches(given, tokens[role])) found = role;
  if (found) return { user: `${found} (token)`, role: found };
  if (!given || users.length === 0) return null;
  const digest = createHash('sha256').update(given).digest('hex');
  let person: User | null = null;
  for (const u of users) if (tokenMatches(digest, u.tokenSha256)) person = u;
  return person ? { user: person.name, role: person.role } : null;
}

function requestToken(req: IncomingMessage, url: URL): string | null {
  const auth = req.headers.authorization;
  if (auth?.startsWith('Bearer ')) return auth.slice(7);
  return url.searchParams.get('token');
}

/**
 * The headless face: serves the built renderer and the contract over WebSocket (`/api/ws`) and HTTP
 * (`POST /api/invoke/<channel>`). Every API call needs the token; static files do not (the page carries the token
 * in its URL, as Jupyter does). Binds where told; the CLI defaults to 127.0.0.1.
 *
 * No client can starve the engine, which ticks on this event loop: each WebSocket connection and each HTTP client
 * (address + token) has a token bucket (over it: refused; keeps flooding: closed, and kept out a few seconds) and a
 * bound on unanswered requests (at the bound its socket is not read: TCP back-pressure). Host and Origin are
 * checked on every request and upgrade (DNS rebinding, cross-site WebSocket hijacking).
 */
export function startServer(o: ServeOptions): Promise<HeadlessServer> {
  const staticRoot = o.staticDir ? resolve(o.staticDir) : null;
  const limits: RateLimits = { ...DEFAULT_LIMITS, ...o.limits };
  const secure = o.tls !== undefined;
  const guard = originGuard({ bound: o.host, secure, extraHosts: o.allowedHosts });
  const httpClients = new KeyedLimiters(limits);
  const now = () => performance.now();
  const server: Server = secure ? createTlsServer({ cert: o.tls!.cert, key: o.tls!.key }) : createServer();
  server.on('request', (req: IncomingMessage, res: ServerResponse) => void handleHttp(req, res));
  // One message per event-loop turn (not every frame of a 64 KiB chunk in one go): the engine's timer and other
  // clients get their turn between two requests of a flooding client.
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES, allowSynchronousEvents: false });
  let face: Face = { handlers: o.handlers, onRefused: o.onRefused, roles: o.roles, ready: true };
  const dispatchOpts = (signal: AbortSignal): DispatchOptions => ({ onRefused: face.onRefused, roles: face.roles, signal });

  /** The HTTP client a request comes from: its address and the principal its token names. */
  const clientKey = (req: IncomingMessage, actor: Actor | null) => `${req.socket.remoteAddress ?? '?'}|${actor?.role ?? 'anonymous'}`;

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    const foreign = guard.check(req);
    if (foreign) return json(res, 403, { error: foreign });
    if (url.pathname === '/api/health') return json(res, 200, o.controller ? { ok: true, controller: o.controller() } : { ok: true });
    if (url.pathname === '/healthz') return json(res, 200, { ok: true, ...(o.controller ? { role: o.controller().role } : {}) });
    if (url.pathname === '/readyz') {
      const c = o.controller?.();
      const ready = face.ready && (!c || c.role === 'leader');
      return json(res, ready ? 200 : 503, { ready, ...(c ? { role: c.role, leader: c.leader, leaderUrl: c.leaderUrl, epoch: c.epoch } : {}) });
    }
    const actor = url.pathname.startsWith('/api/') ? actorForToken(o.tokens, requestToken(req, url), o.users) : null;
    const key = clientKey(req, actor);
    const lim = httpClients.get(key);
    const admission = lim.admit(now());
    if (admission !== 'ok') {
      res.setHeader('Retry-After', admission === 'flood' ? String(FLOOD_PENALTY_S) : '1');
      if (admission === 'flood') {
        // Keeps sending while refused: close its connection and keep it out a few seconds.
        lim.penalize(now(), FLOOD_PENALTY_S);
        res.setHeader('Connection', 'close');
        res.once('finish', () => req.socket.destroy());
      }
      return json(res, 429, { error: rateError(limits) });
    }
    if (lim.inFlight >= limits.maxInFlight) return json(res, 429, { error: inFlightError(limits) });
    lim.inFlight++;
    try {
      await handleAdmitted(req, res, url, actor);
    } finally {
      lim.inFlight--;
    }
  }

  async function handleAdmitted(req: IncomingMessage, res: ServerResponse, url: URL, actor: Actor | null): Promise<void> {
    if (url.pathname.startsWith('/api/')) {
      if (!actor) return json(res, 401, { error: 'missing or wrong token' });
      const m = /^\/api\/invoke\/([a-z]+:[a-z]+)$/.exec(url.pathname);
      if (!m || req.method !== 'POST') return json(res, 404, { error: 'not found' });
      let body = '';
      for await (const chunk of req) {
        body += chunk;
        if (body.length > MAX_FRAME_BYTES) return json(res, 413, { error: 'request too large' });
      }
      let payload: unknown = {};
      try {
        payload = body ? JSON.parse(body) : {};
      } catch {
        return json(res, 400, { error: 'body is not JSON' });
      }
      // The requester hanging up aborts what it started (a capacity sweep stops).
      const gone = new AbortController();
      res.once('close', () => {
        if (!res.writableFinished) gone.abort();
      });
      const r = await dispatch(face.handlers, m[1], payload, actor, dispatchOpts(gone.signal));
      return json(res, r.ok ? 200 : 400, r.ok ? r.result : { error: r.error });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    serveStatic(url.pathname, req.headers.host!, res);
  }

  function serveStatic(pathname: string, host: string, res: ServerResponse): void {
    if (!staticRoot) return json(res, 404, { error: 'renderer not built (npm run build)' });
    let rel: string;
    try {
      rel = normalize(decodeURIComponent(pathname)).replace(/^([/\\])+/, '');
    } catch {
      return json(res, 400, { error: 'bad path' });
    }
    const file = resolve(join(staticRoot, rel || 'index.html'));
    if (file !== staticRoot && !file.startsWith(staticRoot + sep)) return json(res, 403, { error: 'forbidden' });
    const target = existsSync(file) && statSync(file).isFile() ? file : join(staticRoot, 'index.html');
    if (!existsSync(target)) return json(res, 404, { error: 'renderer not built (npm run build)' });
    res.writeHead(200, {
      'Content-Type': MIME[extname(target)] ?? 'application/octet-stream',
      // The page may connect to this server's own WebSocket, and nowhere else (host: checked by the guard).
      'Content-Security-Policy': cspFor(secure, host.trim().toLowerCase()),
      'Cache-Control': target.endsWith('index.html') ? 'no-store' : 'public, max-age=3600',
    });
    createReadStream(target).pipe(res);
  }

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refuse = (status: string) => {
      socket.write(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
      socket.destroy();
    };
    if (guard.check(req)) return refuse('403 Forbidden');
    const url = new URL(req.url ?? '/', 'http://localhost');
    const actor = url.pathname === '/api/ws' ? actorForToken(o.tokens, requestToken(req, url), o.users) : null;
    const key = clientKey(req, actor);
    // Connecting counts as a request of this client: a client closed for flooding cannot reconnect at once.
    if (httpClients.get(key).admit(now()) !== 'ok') return refuse('429 Too Many Requests');
    if (!actor) return refuse('401 Unauthorized');
    wss.handleUpgrade(req, socket, head, (ws) => onClient(ws, actor, key));
  });

  const clients = new Set<WebSocket>();
  function onClient(ws: WebSocket, actor: Actor, key: string): void {
    clients.add(ws);
    const lim = new ClientLimiter(limits, now());
    const gone = new AbortController();
    let closing = false;
    let paused = false;
    const drop = () => {
      clients.delete(ws);
      gone.abort();
    };
    ws.on('close', drop);
    ws.on('error', drop);
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (closing) return;
      const admission = lim.admit(now());
      if (admission === 'flood') {
        // Still sending while refused: close it (1008) and keep its client out for a few seconds.
        closing = true;
        ws.pause();
        ws.close(1008, `rate limit exceeded (${limits.ratePerS} requests/s)`);
        setTimeout(() => ws.terminate(), 1000).unref();
        httpClients.get(key).penalize(now(), FLOOD_PENALTY_S);
        return;
      }
      if (admission === 'rate') return send(ws, { kind: 'response', id: frameId(data), ok: false, error: rateError(limits) });
      if (lim.inFlight >= limits.maxInFlight) return send(ws, { kind: 'response', id: frameId(data), ok: false, error: inFlightError(limits) });
      lim.inFlight++;
      if (lim.inFlight >= limits.maxInFlight && !paused) {
        // Back-pressure: stop reading this socket until half its requests are answered.
        paused = true;
        ws.pause();
      }
      void handleFrame(ws, data, isBinary, actor, gone.signal).finally(() => {
        lim.inFlight--;
        if (paused && !closing && lim.inFlight <= limits.maxInFlight / 2) {
          paused = false;
          ws.resume();
        }
      });
    });
  }

  async function handleFrame(ws: WebSocket, data: Buffer, isBinary: boolean, actor: Actor, signal: AbortSignal): Promise<void> {
    let id = -1;
    try {
      if (isBinary) throw new Error('binary frames are not accepted');
      const frame = WireRequestSchema.safeParse(JSON.parse(String(data)));
      if (!frame.success) throw new Error('malformed request frame: expected {id, channel, payload}');
      id = frame.data.id;
      const r = await dispatch(face.handlers, frame.data.channel, frame.data.payload, actor, dispatchOpts(signal));
      send(ws, r.ok ? { kind: 'response', id, ok: true, result: r.result } : { kind: 'response', id, ok: false, error: r.error });
    } catch (e) {
      send(ws, { kind: 'response', id, ok: false, error: e instanceof SyntaxError ? 'request is not JSON' : (e as Error).message });
    }
  }

  const unsubscribe = eventChannels.map((channel) =>
    o.bus.on(channel, (payload) => {
      if (clients.size === 0) return;
      const text = JSON.stringify({ kind: 'event', channel, payload } satisfies WireMessage);
      for (const ws of clients) {
        if (channel === 'fleet:snapshot' && ws.bufferedAmount > MAX_BUFFERED_BYTES) continue;
        if (ws.readyState === ws.OPEN) ws.send(text);
      }
    }),
  );

  return new Promise((resolvePromise, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) => {
      unsubscribe.forEach((u) => u());
      if (e.code === 'EADDRINUSE') reject(new Error(`port ${o.port} on ${o.host} is already in use; choose another with --port`));
      else if (e.code === 'EACCES') reject(new Error(`not allowed to listen on ${o.host}:${o.port}; use a port above 1024`));
      else if (e.code === 'EADDRNOTAVAIL') reject(new Error(`address ${o.host} is not available on this machine; check --host`));
      else reject(e);
    });
    server.listen(o.port, o.host, () => {
      const port = (server.address() as AddressInfo).port;
      const hostForUrl = o.host.includes(':') ? `[${o.host}]` : o.host;
      const urlFor = (role: Role) => `${secure ? 'https' : 'http'}://${hostForUrl}:${port}/?token=${encodeURIComponent(o.tokens[role])}`;
      resolvePromise({
        port,
        url: urlFor('admin'),
        urls: { viewer: urlFor('viewer'), operator: urlFor('operator'), admin: urlFor('admin') },
        setFace: (f) => {
          face = f;
          // Clients loaded against the old face reconnect and load the new one (1012: service restart).
          for (const ws of clients) ws.close(1012, 'this controller now leads: reload');
        },
        close: () =>
          new Promise<void>((done) => {
            unsubscribe.forEach((u) => u());
            for (const ws of clients) ws.terminate();
            wss.close();
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}

/** The id of a refused frame, read cheaply (no parse): clients send `{"id":N,…}` first. -1 when not there. */
function frameId(data: Buffer): number {
  const m = /^\s*\{\s*"id"\s*:\s*(\d{1,15})\b/.exec(data.subarray(0, 64).toString('latin1'));
  return m ? Number(m[1]) : -1;
}

function send(ws: WebSocket, m: WireMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
