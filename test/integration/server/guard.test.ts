import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { startServer, type HeadlessServer } from '../../../main/server/server.js';
import { allowedHostNames, hostName } from '../../../main/server/origin.js';
import { CSP } from '../../../main/server/csp.js';
import { tempDir } from '../../helpers.js';

/** Issue 11, item 2 (4): DNS rebinding and cross-site WebSocket hijacking are refused; CSP; optional TLS. */
const TOKENS = { admin: 'guard-admin-0123456789', operator: 'guard-operator-012345678', viewer: 'guard-viewer-0123456789' };
const tmp = tempDir();
let rt: Runtime;
let srv: HeadlessServer;
let www: string;

beforeAll(async () => {
  www = join(tmp.dir, 'www');
  mkdirSync(www);
  writeFileSync(join(www, 'index.html'), '<!doctype html><title>Headroom</title>');
  rt = await createRuntime({ scenario: 'default', db: null, speed: 1, log: () => {} });
  srv = await startServer({ host: '127.0.0.1', port: 0, tokens: TOKENS, handlers: rt.handlers, bus: rt.bus, staticDir: www, allowedHosts: ['console.example.org'] });
});
afterAll(async () => {
  await srv.close();
  await rt.close();
  tmp.cleanup();
});

/** A raw request with exactly these headers (fetch would not let a test set Host). */
function raw(path: string, headers: Record<string, string>, o: { port?: number; tls?: { ca: string }; method?: string; setHost?: boolean } = {}): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = (o.tls ? httpsRequest : httpRequest)(
      { host: '127.0.0.1', port: o.port ?? srv.port, path, method: o.method ?? 'GET', headers, setHost: o.setHost ?? true, ...(o.tls ? { ca: o.tls.ca, servername: 'localhost' } : {}) },
      (res) => {
        let body = '';
        res.on('data', (c) => (body += c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      },
    );
    req.on('error', reject);
    req.end();
  });
}

function wsOpen(headers: Record<string, string>, url = `ws://127.0.0.1:${srv.port}/api/ws?token=${TOKENS.viewer}`, ca?: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url, { headers, ...(ca ? { ca, servername: 'localhost' } : {}) });
    ws.once('open', () => {
      ws.close();
      resolve(101);
    });
    ws.once('unexpected-response', (_req, res) => resolve(res.statusCode!));
    ws.once('error', reject);
  });
}

describe('Host and Origin', () => {
  it('accepts loopback names, the bound address and --allow-host names; refuses any other Host with 403 (DNS rebinding)', async () => {
    for (const host of [`127.0.0.1:${srv.port}`, `localhost:${srv.port}`, `[::1]:${srv.port}`, 'console.example.org', `LOCALHOST:${srv.port}`]) {
      expect((await raw('/api/health', { Host: host })).status, host).toBe(200);
    }
    for (const host of [`evil.example:${srv.port}`, 'localhost.evil.example', '127.0.0.2', 'localhost:80@evil']) {
      const r = await raw('/api/health', { Host: host });
      expect(r.status, host).toBe(403);
    }
    // No Host at all: Node refuses an HTTP/1.1 request without one (400) before the guard would (403).
    expect([400, 403]).toContain((await raw('/api/health', {}, { setHost: false })).status);
    const r = await raw('/', { Host: `rebound.example:${srv.port}` });
    expect(r.body).toMatch(/not a name of this console/);
    expect(r.body).not.toContain('Headroom');
  });

  it("refuses an Origin other than the console's own, on HTTP and on the WebSocket upgrade", async () => {
    const own = `http://127.0.0.1:${srv.port}`;
    const invoke = (origin: string) => raw(`/api/invoke/status:get?token=${TOKENS.viewer}`, { Host: `127.0.0.1:${srv.port}`, Origin: origin }, { method: 'POST' });
    expect((await invoke(own)).status).toBe(200);
    for (const origin of ['http://evil.example', `https://127.0.0.1:${srv.port}`, `http://localhost:${srv.port}`, 'null']) {
      expect((await invoke(origin)).status, origin).toBe(403);
    }
    expect(await wsOpen({ Origin: own })).toBe(101);
    expect(await wsOpen({})).toBe(101);
    expect(await wsOpen({ Origin: 'http://evil.example' })).toBe(403);
    expect(await wsOpen({ Host: `evil.example:${srv.port}` })).toBe(403);
  });

  it('knows the names: a wildcard bind adds the machine’s own addresses', () => {
    expect(hostName('[::1]:8080')).toBe('::1');
    expect(hostName('Example.ORG:443')).toBe('example.org');
    expect(hostName('a b')).toBeNull();
    expect([...allowedHostNames('10.1.2.3')].sort()).toEqual(['10.1.2.3', '127.0.0.1', '::1', 'localhost']);
    expect(allowedHostNames('0.0.0.0').has('127.0.0.1')).toBe(true);
    expect(allowedHostNames('0.0.0.0').size).toBeGreaterThan(3);
  });
});

describe('Content-Security-Policy', () => {
  it("limits connect-src to 'self' and this server's exact WebSocket origin", async () => {
    const r = await raw('/', { Host: `localhost:${srv.port}` });
    expect(r.status).toBe(200);
    const csp = String(r.headers['content-security-policy']);
    expect(csp).toMatch(/script-src 'self'/);
    expect(/connect-src ([^;]*)/.exec(csp)![1]).toBe(`'self' ws://localhost:${srv.port}`);
    // The Electron window connects nowhere but itself (IPC).
    expect(/connect-src ([^;]*)/.exec(CSP)![1]).toBe("'self'");
  });
});

describe('TLS (--tls-cert / --tls-key)', () => {
  it('serves https and wss with a self-signed certificate; plain http is not answered', async () => {
    const key = join(tmp.dir, 'key.pem');
    const cert = join(tmp.dir, 'cert.pem');
    // node:crypto cannot write X.509; openssl (Debian's, as in CI) can.
    execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'], { stdio: 'ignore' });
    const ca = readFileSync(cert, 'utf8');
    const tls = await startServer({ host: '127.0.0.1', port: 0, tokens: TOKENS, handlers: rt.handlers, bus: rt.bus, staticDir: www, tls: { cert: ca, key: readFileSync(key, 'utf8') } });
    try {
      expect(tls.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/\?token=/);
      const page = await raw('/', { Host: `localhost:${tls.port}` }, { port: tls.port, tls: { ca } });
      expect(page.status).toBe(200);
      expect(String(page.headers['content-security-policy'])).toContain(`connect-src 'self' wss://localhost:${tls.port};`);
      const who = await raw(`/api/invoke/session:whoami?token=${TOKENS.operator}`, { Host: `localhost:${tls.port}`, Origin: `https://localhost:${tls.port}` }, { port: tls.port, tls: { ca }, method: 'POST' });
      expect(JSON.parse(who.body)).toEqual({ user: 'operator (token)', role: 'operator' });
      expect(await wsOpen({ Origin: `https://localhost:${tls.port}` }, `wss://localhost:${tls.port}/api/ws?token=${TOKENS.viewer}`, ca)).toBe(101);
      expect(await wsOpen({ Origin: `http://localhost:${tls.port}` }, `wss://localhost:${tls.port}/api/ws?token=${TOKENS.viewer}`, ca)).toBe(403);
      await expect(raw('/api/health', { Host: `localhost:${tls.port}` }, { port: tls.port })).rejects.toThrow();
    } finally {
      await tls.close();
    }
  });
});
