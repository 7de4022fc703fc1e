import { describe, expect, it } from 'vitest';
import { WsApi, backoffMs, type SocketLike } from '../../../renderer/api/ws.js';

class FakeSocket implements SocketLike {
  readyState = 0;
  sent: string[] = [];
  onopen: SocketLike['onopen'] = null;
  onclose: SocketLike['onclose'] = null;
  onerror: SocketLike['onerror'] = null;
  onmessage: SocketLike['onmessage'] = null;
  send(d: string) {
    this.sent.push(d);
  }
  close() {}
  open() {
    this.readyState = 1;
    this.onopen?.({});
  }
  drop(code: number) {
    this.readyState = 3;
    this.onclose?.({ code, reason: '' });
  }
  push(m: unknown) {
    this.onmessage?.({ data: JSON.stringify(m) });
  }
}

function harness(probe?: () => Promise<boolean>, timeoutFor?: (c: string) => number | undefined) {
  const sockets: FakeSocket[] = [];
  const timers: Array<{ fn: () => void; ms: number }> = [];
  const api = new WsApi({
    url: 'ws://x/api/ws?token=t',
    createSocket: () => {
      const s = new FakeSocket();
      sockets.push(s);
      return s;
    },
    probeUnauthorized: probe,
    timeoutFor,
    setTimer: (fn, ms) => (timers.push({ fn, ms }), timers.length),
    clearTimer: () => {},
  });
  return { api, sockets, timers };
}

describe('WebSocket api client', () => {
  it('sends queued requests on open and resolves responses by id', async () => {
    const { api, sockets } = harness();
    const p = api.invoke('status:get', {});
    expect(sockets[0]!.sent).toEqual([]);
    sockets[0]!.open();
    const frame = JSON.parse(sockets[0]!.sent[0]!);
    expect(frame).toMatchObject({ channel: 'status:get', payload: {} });
    sockets[0]!.push({ kind: 'response', id: frame.id, ok: true, result: { paused: true } });
    await expect(p).resolves.toEqual({ paused: true });
  });

  it('rejects with the server error', async () => {
    const { api, sockets } = harness();
    sockets[0]!.open();
    const p = api.invoke('sim:control', { action: 'speed', speed: 5 });
    const frame = JSON.parse(sockets[0]!.sent[0]!);
    sockets[0]!.push({ kind: 'response', id: frame.id, ok: false, error: 'sim:control: speed: too big' });
    await expect(p).rejects.toThrow('too big');
  });

  it('delivers pushed events to listeners until unsubscribed', () => {
    const { api, sockets } = harness();
    sockets[0]!.open();
    const got: unknown[] = [];
    const off = api.on('alerts:changed', (a) => got.push(a));
    sockets[0]!.push({ kind: 'event', channel: 'alerts:changed', payload: [1] });
    off();
    sockets[0]!.push({ kind: 'event', channel: 'alerts:changed', payload: [2] });
    expect(got).toEqual([[1]]);
  });

  it('reconnects with backoff after a drop and tells listeners to resync', () => {
    const { api, sockets, timers } = harness();
    let connected = 0;
    const states: string[] = [];
    api.onConnected(() => connected++);
    api.onConnection((i) => states.push(i.state));
    sockets[0]!.open();
    sockets[0]!.drop(1006);
    expect(api.connection.state).toBe('disconnected');
    expect(timers.at(-1)!.ms).toBeGreaterThanOrEqual(400);
    timers.at(-1)!.fn();
    sockets[1]!.open();
    expect(connected).toBe(2);
    expect(states).toEqual(['connecting', 'open', 'disconnected', 'connecting', 'open']);
  });

  it('hands a close with 1012 (a standby controller now leads) to onServiceRestart instead of reconnecting', async () => {
    const sockets: FakeSocket[] = [];
    const timers: unknown[] = [];
    const restarts: string[] = [];
    const api = new WsApi({
      url: 'ws://x/api/ws?token=t',
      createSocket: () => (sockets.push(new FakeSocket()), sockets.at(-1)!),
      setTimer: (fn, ms) => (timers.push({ fn, ms }), timers.length),
      clearTimer: () => {},
      onServiceRestart: (reason) => restarts.push(reason),
    });
    sockets[0]!.open();
    const pending = api.invoke('status:get', {});
    sockets[0]!.readyState = 3;
    sockets[0]!.onclose?.({ code: 1012, reason: 'this controller now leads: reload' });
    expect(restarts).toEqual(['this controller now leads: reload']);
    expect(timers).toHaveLength(1); // the request's own deadline, no reconnect
    expect(sockets).toHaveLength(1);
    await expect(pending).rejects.toThrow();
    // Without the hook (tests, other embedders), 1012 is a drop like any other.
    const plain = harness();
    plain.sockets[0]!.open();
    plain.sockets[0]!.drop(1012);
    expect(plain.api.connection.state).toBe('disconnected');
  });

  it('stops and reports a wrong token on close code 4401', async () => {
    const { api, sockets, timers } = harness();
    sockets[0]!.drop(4401);
    expect(api.connection.state).toBe('unauthorized');
    expect(timers.length).toBe(0);
    await expect(api.invoke('status:get', {})).rejects.toThrow('token');
  });

  it('asks the probe when the handshake fails before ever opening (HTTP 401)', async () => {
    const { api, sockets } = harness(async () => true);
    sockets[0]!.drop(1006);
    await new Promise((r) => setTimeout(r, 0));
    expect(api.connection.state).toBe('unauthorized');
  });

  it('gives slow requests (the planner sweep) their own deadline', async () => {
    const { api, sockets, timers } = harness(undefined, (c) => (c === 'planner:sweep' ? 900_000 : undefined));
    sockets[0]!.open();
    void api.invoke('planner:sweep', {}).catch(() => {});
    void api.invoke('status:get', {}).catch(() => {});
    expect(timers.map((t) => t.ms)).toEqual([900_000, 15_000]);
  });

  it('backs off from 0.5 s to at most 10 s', () => {
    expect(backoffMs(0, 0.5)).toBe(500);
    expect(backoffMs(3, 0.5)).toBe(4000);
    expect(backoffMs(20, 0.5)).toBe(10_000);
    expect(backoffMs(20, 0.999)).toBeLessThanOrEqual(12_000);
  });
});
