import { randomBytes, timingSafeEqual } from 'node:crypto';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { WebSocketServer, type WebSocket } from 'ws';
import { eventChannels, WireRequestSchema, type Handlers, type WireMessage } from '../../shared/contract.js';
import type { EventBus } from '../engine/bus.js';
import { dispatch, type DispatchOptions } from '../engine/dispatch.js';
import type { Actor, Role } from '../../shared/domain/control.js';
import { CSP } from './csp.js';

export interface ServeOptions {
  host: string;
  port: number;
  /** One token per role: whoever presents it acts with that role. */
  tokens: Record<Role, string>;
  /** Audit hook for refused acting requests (role, payload, policy refusals). */
  onRefused?: DispatchOptions['onRefused'];
  /** Per-runtime role changes (see DispatchOptions.roles). */
  roles?: DispatchOptions['roles'];
  handlers: Handlers;
  bus: EventBus;
  /** Built renderer (dist/renderer); null serves the API only. */
  staticDir: string | null;
}

export interface HeadlessServer {
  /** URL with the admin token; `urls` has one per role. */
  url: string;
  urls: Record<Role, string>;
  port: number;
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

/** The actor a token stands for, or null for a missing or unknown token (constant-time comparisons). */
export function actorForToken(tokens: Record<Role, string>, given: string | null | undefined): Actor | null {
  let found: Role | null = null;
  for (const role of ['viewer', 'operator', 'admin'] as const) if (tokenMatches(given, tokens[role])) found = role;
  return found ? { user: `${found} (token)`, role: found } : null;
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
 */
export function startServer(o: ServeOptions): Promise<HeadlessServer> {
  const staticRoot = o.staticDir ? resolve(o.staticDir) : null;
  const server: Server = createServer((req, res) => void handleHttp(req, res));
  const wss = new WebSocketServer({ noServer: true, maxPayload: MAX_FRAME_BYTES });

  async function handleHttp(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    res.setHeader('X-Content-Type-Options', 'nosniff');
    res.setHeader('Referrer-Policy', 'no-referrer');
    if (url.pathname === '/api/health') return json(res, 200, { ok: true });
    if (url.pathname.startsWith('/api/')) {
      const actor = actorForToken(o.tokens, requestToken(req, url));
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
      const r = await dispatch(o.handlers, m[1], payload, actor, { onRefused: o.onRefused, roles: o.roles });
      return json(res, r.ok ? 200 : 400, r.ok ? r.result : { error: r.error });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') return json(res, 405, { error: 'method not allowed' });
    serveStatic(url.pathname, res);
  }

  function serveStatic(pathname: string, res: ServerResponse): void {
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
      'Content-Security-Policy': CSP,
      'Cache-Control': target.endsWith('index.html') ? 'no-store' : 'public, max-age=3600',
    });
    createReadStream(target).pipe(res);
  }

  server.on('upgrade', (req, socket, head) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const actor = url.pathname === '/api/ws' ? actorForToken(o.tokens, requestToken(req, url)) : null;
    if (!actor) {
      socket.write('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      socket.destroy();
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onClient(ws, actor));
  });

  const clients = new Set<WebSocket>();
  function onClient(ws: WebSocket, actor: Actor): void {
    clients.add(ws);
    ws.on('close', () => clients.delete(ws));
    ws.on('error', () => clients.delete(ws));
    ws.on('message', (data, isBinary) => {
      void (async () => {
        let id = -1;
        try {
          if (isBinary) throw new Error('binary frames are not accepted');
          const frame = WireRequestSchema.safeParse(JSON.parse(String(data)));
          if (!frame.success) throw new Error('malformed request frame: expected {id, channel, payload}');
          id = frame.data.id;
          const r = await dispatch(o.handlers, frame.data.channel, frame.data.payload, actor, { onRefused: o.onRefused, roles: o.roles });
          send(ws, r.ok ? { kind: 'response', id, ok: true, result: r.result } : { kind: 'response', id, ok: false, error: r.error });
        } catch (e) {
          send(ws, { kind: 'response', id, ok: false, error: e instanceof SyntaxError ? 'request is not JSON' : (e as Error).message });
        }
      })();
    });
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
      const urlFor = (role: Role) => `http://${hostForUrl}:${port}/?token=${encodeURIComponent(o.tokens[role])}`;
      resolvePromise({
        port,
        url: urlFor('admin'),
        urls: { viewer: urlFor('viewer'), operator: urlFor('operator'), admin: urlFor('admin') },
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

function send(ws: WebSocket, m: WireMessage): void {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(m));
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(JSON.stringify(body));
}
