import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import WebSocket from 'ws';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { startServer, type HeadlessServer } from '../../../main/server/server.js';
import type { WireMessage } from '../../../shared/contract.js';
import { tempDir } from '../../helpers.js';

const TOKEN = 'test-token-0123456789';
const TOKENS = { admin: TOKEN, operator: 'operator-token-0123456789', viewer: 'viewer-token-012345678901' };
let rt: Runtime;
let srv: HeadlessServer;
let base: string;
const tmp = tempDir();

beforeAll(async () => {
  const staticDir = join(tmp.dir, 'www');
  mkdirSync(staticDir);
  writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>Headroom</title>');
  writeFileSync(join(tmp.dir, 'secret.txt'), 'outside the web root');
  rt = await createRuntime({ scenario: 'default', db: tmp.file('telemetry.db'), speed: 600 });
  srv = await startServer({ host: '127.0.0.1', port: 0, tokens: TOKENS, handlers: rt.handlers, bus: rt.bus, staticDir, onRefused: rt.auditRefusal });
  base = `http://127.0.0.1:${srv.port}`;
  rt.runner.start();
});
afterAll(async () => {
  await srv.close();
  await rt.close();
  tmp.cleanup();
});

function connect(token: string | null): Promise<WebSocket> {
  const ws = new WebSocket(`ws://127.0.0.1:${srv.port}/api/ws${token === null ? '' : `?token=${token}`}`);
  return new Promise((resolve, reject) => {
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`HTTP ${res.statusCode}`)));
    ws.once('error', reject);
  });
}

function call(ws: WebSocket, frame: unknown): Promise<WireMessage & { kind: 'response' }> {
  return new Promise((resolve) => {
    const onMsg = (data: WebSocket.RawData) => {
      const m = JSON.parse(String(data)) as WireMessage;
      if (m.kind === 'response') {
        ws.off('message', onMsg);
        resolve(m);
      }
    };
    ws.on('message', onMsg);
    ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  });
}

describe('headless server', () => {
  it('rejects API calls with a missing or wrong token (HTTP and WebSocket)', async () => {
    expect((await fetch(`${base}/api/invoke/status:get`, { method: 'POST' })).status).toBe(401);
    expect((await fetch(`${base}/api/invoke/status:get`, { method: 'POST', headers: { Authorization: 'Bearer nope' } })).status).toBe(401);
    await expect(connect(null)).rejects.toThrow('HTTP 401');
    await expect(connect('wrong-token-000000000')).rejects.toThrow('HTTP 401');
  });

  it('serves the contract over HTTP with the right token', async () => {
    const res = await fetch(`${base}/api/invoke/fleet:topology`, { method: 'POST', headers: { Authorization: `Bearer ${TOKEN}` }, body: '{}' });
    expect(res.status).toBe(200);
    const topo = (await res.json()) as { gpuCount: number };
    expect(topo.gpuCount).toBe(1280);
    const bad = await fetch(`${base}/api/invoke/sim:control?token=${TOKEN}`, { method: 'POST', body: JSON.stringify({ action: 'speed', speed: 'fast' }) });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as { error: string }).error).toMatch(/sim:control: speed/);
  });

  it('answers requests and pushes live snapshots over the WebSocket; refuses bad frames', async () => {
    const ws = await connect(TOKEN);
    const snapshot = new Promise<{ tMs: number; gpu: { powerW: number[] } }>((resolve) =>
      ws.on('message', (d) => {
        const m = JSON.parse(String(d)) as WireMessage;
        if (m.kind === 'event' && m.channel === 'fleet:snapshot') resolve(m.payload as { tMs: number; gpu: { powerW: number[] } });
      }),
    );
    const status = await call(ws, { id: 1, channel: 'status:get', payload: {} });
    expect(status).toMatchObject({ id: 1, ok: true });
    const snap = await snapshot;
    expect(snap.gpu.powerW).toHaveLength(1280);
    expect(await call(ws, { id: 2, channel: 'fleet:uncapAll', payload: {} })).toMatchObject({ id: 2, ok: false, error: expect.stringMatching(/unknown channel/) });
    expect(await call(ws, { id: 3, channel: 'sim:control', payload: { action: 'speed', speed: 1e9 } })).toMatchObject({ ok: false });
    expect(await call(ws, '{not json')).toMatchObject({ ok: false, error: 'request is not JSON' });
    expect(await call(ws, { id: 4, channel: 'status:get', payload: {}, extra: 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/malformed/) });
    const paused = await call(ws, { id: 5, channel: 'sim:control', payload: { action: 'pause' } });
    expect(paused).toMatchObject({ ok: true, result: { paused: true } });
    await call(ws, { id: 6, channel: 'sim:control', payload: { action: 'resume' } });
    ws.close();
  });

  it('each token acts with its role: a viewer reads but cannot act, and the refusal is audited', async () => {
    const post = (token: string, channel: string, body: unknown) =>
      fetch(`${base}/api/invoke/${channel}`, { method: 'POST', headers: { Authorization: `Bearer ${token}` }, body: JSON.stringify(body) });
    const who = await (await post(TOKENS.viewer, 'session:whoami', {})).json();
    expect(who).toEqual({ user: 'viewer (token)', role: 'viewer' });
    expect((await post(TOKENS.viewer, 'fleet:topology', {})).status).toBe(200);
    const refused = await post(TOKENS.viewer, 'sim:control', { action: 'pause' });
    expect(refused.status).toBe(400);
    expect(((await refused.json()) as { error: string }).error).toMatch(/not allowed for role viewer \(needs operator\)/);
    const records = (await (await post(TOKENS.viewer, 'audit:list', { kind: 'refusal' })).json()) as Array<{ actor: string; target: string; outcome: string }>;
    expect(records[0]).toMatchObject({ actor: 'viewer (token)', target: 'sim:control', outcome: 'refused' });
    expect((await post(TOKENS.operator, 'sim:control', { action: 'resume' })).status).toBe(200);
    expect(srv.urls.viewer).toContain(TOKENS.viewer);
  });

  it('serves the renderer with a strict CSP and never a file outside its folder', async () => {
    const res = await fetch(`${base}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(await res.text()).toContain('<title>Headroom</title>');
    const escape = await fetch(`${base}/..%2fsecret.txt`);
    expect(await escape.text()).not.toContain('outside the web root');
  });

  it('says clearly when the port is in use', async () => {
    await expect(startServer({ host: '127.0.0.1', port: srv.port, tokens: TOKENS, handlers: rt.handlers, bus: rt.bus, staticDir: null })).rejects.toThrow(
      new RegExp(`port ${srv.port} on 127.0.0.1 is already in use`),
    );
  });

  it('stores telemetry while running, and serves it back as rollups', async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const res = await fetch(`${base}/api/invoke/telemetry:range`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${TOKEN}` },
      body: JSON.stringify({ scope: 'row', fromMs: Date.parse('2026-01-01T00:00:00Z'), toMs: Date.parse('2026-01-01T01:00:00Z'), resS: 10 }),
    });
    const body = (await res.json()) as { ids: string[]; avgKW: Array<Array<number | null>> };
    expect(body.ids).toEqual(['A', 'B', 'C', 'D']);
    expect(body.avgKW[3]!.some((v) => v !== null && v > 100)).toBe(true);
  });
});
