import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { connectWs } from './wsClient.js';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { startServer, type HeadlessServer } from '../../../main/server/server.js';
import { ClientLimiter, TokenBucket } from '../../../main/server/limits.js';
import type { Handlers, WireMessage } from '../../../shared/contract.js';

/** Issue 11, item 2 (1): per-connection and per-client rate limits, the bound on unanswered requests, frame size. */
const TOKENS = { admin: 'limit-admin-0123456789', operator: 'limit-operator-012345678', viewer: 'limit-viewer-0123456789' };
const LIMITS = { ratePerS: 20, burst: 40, maxInFlight: 8 };
let rt: Runtime;
let srv: HeadlessServer;
/** 'status:get' answers only when released (a slow request), to hold requests in flight. */
let hold = false;
const held: Array<() => void> = [];

beforeAll(async () => {
  rt = await createRuntime({ scenario: 'default', db: null, speed: 1, log: () => {} });
  const handlers: Handlers = {
    ...rt.handlers,
    'status:get': (p, a) => (hold ? new Promise((r) => held.push(() => r(rt.handlers['status:get'](p, a)))) : rt.handlers['status:get'](p, a)),
  };
  srv = await startServer({ host: '127.0.0.1', port: 0, tokens: TOKENS, handlers, bus: rt.bus, staticDir: null, limits: LIMITS });
});
afterAll(async () => {
  await srv.close();
  await rt.close();
});

const connect = (token: string): Promise<WebSocket> => connectWs(srv.port, token);

/** Send `n` frames at once; collect the responses that arrive within `ms`, and the close code if closed. */
async function burst(ws: WebSocket, n: number, ms = 500, channel = 'status:get'): Promise<{ responses: Array<WireMessage & { kind: 'response' }>; closed: number | null }> {
  const responses: Array<WireMessage & { kind: 'response' }> = [];
  let closed: number | null = null;
  ws.on('message', (d) => {
    const m = JSON.parse(String(d)) as WireMessage;
    if (m.kind === 'response') responses.push(m);
  });
  ws.once('close', (code) => (closed = code));
  for (let i = 0; i < n && ws.readyState === ws.OPEN; i++) ws.send(JSON.stringify({ id: i, channel, payload: {} }));
  await new Promise((r) => setTimeout(r, ms));
  return { responses, closed };
}

describe('token buckets', () => {
  it('allow the burst, then the rate; a client refused past its strikes is to be closed', () => {
    const b = new TokenBucket(10, 20, 0);
    expect(Array.from({ length: 25 }, () => b.take(0)).filter(Boolean)).toHaveLength(20);
    expect(b.take(50)).toBe(false);
    expect(b.take(100)).toBe(true);
    const c = new ClientLimiter({ ratePerS: 10, burst: 20, maxInFlight: 4 }, 0);
    const seen = Array.from({ length: 41 }, () => c.admit(0));
    expect(seen.filter((a) => a === 'ok')).toHaveLength(20);
    expect(seen.filter((a) => a === 'rate')).toHaveLength(20);
    expect(seen[40]).toBe('flood');
  });
});

describe('WebSocket connections', () => {
  it('answer the burst, refuse beyond it with a clear error naming the limit, and keep the connection', async () => {
    const ws = await connect(TOKENS.viewer);
    const { responses, closed } = await burst(ws, 60);
    expect(closed).toBeNull();
    expect(responses).toHaveLength(60);
    expect(responses.filter((r) => r.ok).length).toBeGreaterThanOrEqual(LIMITS.burst);
    const refused = responses.filter((r) => !r.ok);
    expect(refused.length).toBeGreaterThan(10);
    expect(refused[0]).toMatchObject({ ok: false, error: 'rate limit: at most 20 requests/s (burst 40) per connection; slow down' });
    // Refusals carry the request's id, so the client's promise settles.
    expect(new Set(refused.map((r) => r.id)).size).toBe(refused.length);
    ws.close();
  });

  it('close a connection that keeps flooding (1008), and keep its client out for a while', async () => {
    const ws = await connect(TOKENS.viewer);
    const { closed, responses } = await burst(ws, 500, 1500);
    expect(closed).toBe(1008);
    expect(responses.length).toBeLessThanOrEqual(LIMITS.burst * 2 + 2);
    await expect(connect(TOKENS.viewer)).rejects.toThrow('HTTP 429');
    // Another principal is not punished for it.
    (await connect(TOKENS.operator)).close();
  });

  it('bound unanswered requests per connection: beyond the bound they are refused, and the socket is not read', async () => {
    const ws = await connect(TOKENS.admin);
    hold = true;
    const first = burst(ws, LIMITS.maxInFlight + 5, 300);
    const { responses } = await first;
    expect(responses.filter((r) => !r.ok).map((r) => r.ok === false && r.error)).toEqual(Array(5).fill('too many unanswered requests: at most 8 at a time per connection'));
    hold = false;
    held.splice(0).forEach((f) => f());
    await new Promise((r) => setTimeout(r, 200));
    expect(responses.filter((r) => r.ok)).toHaveLength(LIMITS.maxInFlight);
    // Reading resumed: the connection answers again.
    const again = await burst(ws, 1, 300);
    expect(again.responses.at(-1)).toMatchObject({ id: 0, ok: true });
    ws.close();
  });

  it('refuse a frame over 64 KiB by closing the connection (1009)', async () => {
    const ws = await connect(TOKENS.operator);
    const closed = new Promise<number>((r) => ws.once('close', (code) => r(code)));
    ws.send(JSON.stringify({ id: 1, channel: 'status:get', payload: { pad: 'x'.repeat(70 * 1024) } }));
    expect(await closed).toBe(1009);
  });
});

describe('HTTP clients (address + token)', () => {
  it('get 429 with Retry-After beyond the rate; a client that keeps on is disconnected and kept out; other tokens are unaffected', async () => {
    const post = (token: string) =>
      fetch(`http://127.0.0.1:${srv.port}/api/invoke/session:whoami?token=${token}`, { method: 'POST', body: '{}' }).then(async (r) => ({
        status: r.status,
        retry: r.headers.get('retry-after'),
        conn: r.headers.get('connection'),
        body: await r.text(),
      }));
    const results = [];
    for (let i = 0; i < 400; i++) {
      const r = await post(TOKENS.admin);
      results.push(r);
      if (r.conn === 'close') break;
    }
    expect(results.slice(0, LIMITS.burst).every((r) => r.status === 200)).toBe(true);
    const limited = results.filter((r) => r.status !== 200);
    expect(limited.every((r) => r.status === 429)).toBe(true);
    expect(limited[0]).toMatchObject({ retry: '1', body: JSON.stringify({ error: 'rate limit: at most 20 requests/s (burst 40) per connection; slow down' }) });
    expect(results.at(-1)).toMatchObject({ status: 429, conn: 'close', retry: '5' });
    // Kept out for a while; another token from the same address is not.
    expect((await post(TOKENS.admin)).status).toBe(429);
    expect((await post(TOKENS.operator)).status).toBe(200);
    // Health is never limited: monitors and load balancers keep their answer.
    expect((await fetch(`http://127.0.0.1:${srv.port}/api/health`)).status).toBe(200);
  });
});
