import { afterEach, describe, expect, it } from 'vitest';
import type { AddressInfo } from 'node:net';
import { WebSocketServer, type WebSocket } from 'ws';
import { controllerWsUrl, RemoteBridge, retryDelayMs } from '../../../main/electron/remoteBridge.js';
import type { DesktopLink } from '../../../shared/desktop.js';

/** A stand-in controller face on loopback: answers `status:get`, pushes what the test asks, closes with a code. */
async function face(o: { verify?: (token: string | null) => boolean } = {}) {
  const wss = new WebSocketServer({
    port: 0,
    host: '127.0.0.1',
    verifyClient: (info, cb) => (o.verify && !o.verify(new URL(info.req.url ?? '', 'http://x').searchParams.get('token')) ? cb(false, 401) : cb(true)),
  });
  await new Promise<void>((ok) => wss.once('listening', () => ok()));
  const clients: WebSocket[] = [];
  let connections = 0;
  wss.on('connection', (ws) => {
    connections++;
    clients.push(ws);
    ws.on('message', (d) => {
      const f = JSON.parse(String(d)) as { id: number; channel: string };
      if (f.channel === 'status:get') ws.send(JSON.stringify({ kind: 'response', id: f.id, ok: true, result: { n: connections } }));
      else if (f.channel === 'sim:control') ws.send(JSON.stringify({ kind: 'response', id: f.id, ok: false, error: 'sim:control: not allowed for role viewer (needs operator)' }));
      // Anything else: never answered.
    });
  });
  const url = `http://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  return { wss, url, clients, connections: () => connections, close: () => new Promise<void>((ok) => (clients.forEach((c) => c.terminate()), wss.close(() => ok()))) };
}

const until = async (ok: () => boolean, ms = 3000) => {
  for (const end = Date.now() + ms; !ok(); ) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
};

let cleanup: Array<() => unknown> = [];
afterEach(async () => {
  for (const c of cleanup) await c();
  cleanup = [];
});

describe("the desktop's bridge to a controller", () => {
  it('only builds ws(s) addresses from http(s) ones, the token encoded', () => {
    expect(controllerWsUrl('http://10.0.0.1:8080/?token=x', 'a&b')).toBe('ws://10.0.0.1:8080/api/ws?token=a%26b');
    expect(controllerWsUrl('https://ctl.example:8443/path', 't')).toBe('wss://ctl.example:8443/api/ws?token=t');
    expect(() => controllerWsUrl('file:///etc/passwd', 't')).toThrow(/http:\/\/ or https:\/\//);
    expect(retryDelayMs(0, 0.5)).toBe(500);
    expect(retryDelayMs(10, 0.5)).toBe(10_000);
  });

  it('answers requests, passes refusals through, pushes events, and times out a request never answered', async () => {
    const f = await face();
    cleanup.push(f.close);
    const events: unknown[] = [];
    const b = new RemoteBridge({ url: f.url, token: 't', onEvent: (c, p) => events.push([c, p]), requestTimeoutMs: 200 });
    cleanup.push(() => b.close());
    const early = b.invoke('status:get', {}); // before the socket opens: sent on open
    await b.opened();
    await expect(early).resolves.toEqual({ n: 1 });
    await expect(b.invoke('sim:control', { action: 'pause' })).rejects.toThrow('not allowed for role viewer');
    await expect(b.invoke('alerts:list', {})).rejects.toThrow(/alerts:list: no answer from http:\/\/127\.0\.0\.1:\d+ within 200 ms/);
    f.clients[0]!.send(JSON.stringify({ kind: 'event', channel: 'status:changed', payload: { paused: true } }));
    await until(() => events.length === 1);
    expect(events).toEqual([['status:changed', { paused: true }]]);
  });

  it('on close 1012 (a standby now leads) asks the window to reload and connects again at once', async () => {
    const f = await face();
    cleanup.push(f.close);
    let reloads = 0;
    const links: DesktopLink['state'][] = [];
    const b = new RemoteBridge({ url: f.url, token: 't', onEvent: () => {}, onReload: () => reloads++, onLink: (l) => links.push(l.state) });
    cleanup.push(() => b.close());
    await b.opened();
    f.clients[0]!.close(1012, 'this controller now leads: reload');
    await until(() => f.connections() === 2 && b.link.state === 'open');
    expect(reloads).toBe(1);
    await expect(b.invoke('status:get', {})).resolves.toEqual({ n: 2 });
    expect(links).toEqual(['connecting', 'open', 'connecting', 'open']);
  });

  it('after a drop, says so and retries with backoff until the controller is back', async () => {
    const f = await face();
    cleanup.push(f.close);
    const links: DesktopLink[] = [];
    const b = new RemoteBridge({ url: f.url, token: 't', onEvent: () => {}, onLink: (l) => links.push(l) });
    cleanup.push(() => b.close());
    await b.opened();
    f.clients[0]!.terminate();
    await until(() => links.some((l) => l.state === 'disconnected'));
    expect(links.find((l) => l.state === 'disconnected')).toMatchObject({ url: f.url, retryInMs: expect.any(Number) });
    await until(() => b.link.state === 'open');
    expect(f.connections()).toBe(2);
  });

  it('a refused token stops it (no retries) and the first attempt says why', async () => {
    const f = await face({ verify: (t) => t === 'good' });
    cleanup.push(f.close);
    const b = new RemoteBridge({ url: f.url, token: 'bad', onEvent: () => {} });
    await expect(b.opened()).rejects.toThrow(/missing or wrong token/);
    expect(b.link.state).toBe('unauthorized');
    await expect(b.invoke('status:get', {})).rejects.toThrow(/missing or wrong token/);
    const gone = new RemoteBridge({ url: 'http://127.0.0.1:9', token: 't', onEvent: () => {} });
    await expect(gone.opened()).rejects.toThrow(/cannot reach http:\/\/127\.0\.0\.1:9/);
    expect(f.connections()).toBe(0);
  });
});
