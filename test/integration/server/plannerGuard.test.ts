import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';
import { connectWs } from './wsClient.js';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { startServer, type HeadlessServer } from '../../../main/server/server.js';
import { channelRoles, parseRequest, type WireMessage } from '../../../shared/contract.js';

/** Issue 11, item 2 (3): sweeps are operator-only, bounded, cancellable, stopped when their requester leaves. */
const TOKENS = { admin: 'plan-admin-0123456789', operator: 'plan-operator-012345678', viewer: 'plan-viewer-0123456789' };
/** Many seconds of work: long enough to be stopped long before it ends. */
const LONG = { fromServers: 40, toServers: 60, step: 2, durationS: 3600 };
let rt: Runtime;
let srv: HeadlessServer;

beforeAll(async () => {
  rt = await createRuntime({ scenario: 'default', db: null, speed: 1, log: () => {} });
  srv = await startServer({ host: '127.0.0.1', port: 0, tokens: TOKENS, handlers: rt.handlers, bus: rt.bus, staticDir: null, onRefused: rt.auditRefusal });
});
afterAll(async () => {
  rt.handlers['planner:cancel']({}, { user: 'test', role: 'admin' });
  await srv.close();
  await rt.close();
});

const connect = (token: string): Promise<WebSocket> => connectWs(srv.port, token);

let nextId = 1;
function call(ws: WebSocket, channel: string, payload: unknown): Promise<WireMessage & { kind: 'response' }> {
  const id = nextId++;
  return new Promise((resolve) => {
    const onMsg = (d: WebSocket.RawData) => {
      const m = JSON.parse(String(d)) as WireMessage;
      if (m.kind === 'response' && m.id === id) {
        ws.off('message', onMsg);
        resolve(m);
      }
    };
    ws.on('message', onMsg);
    ws.send(JSON.stringify({ id, channel, payload }));
  });
}

/** Whether a sweep is running: a tiny sweep is refused while one runs (then cancelled again at once if it started). */
async function sweepRunning(ws: WebSocket): Promise<boolean> {
  const probe = call(ws, 'planner:sweep', { fromServers: 40, toServers: 40, step: 1, durationS: 60 });
  const first = await Promise.race([probe, new Promise<null>((r) => setTimeout(() => r(null), 300))]);
  if (first && !first.ok && first.error.includes('already running')) return true;
  await call(ws, 'planner:cancel', {});
  await probe;
  return false;
}

describe('capacity sweeps from the faces', () => {
  it('are operator-only in the role table; a viewer is refused (and audited)', async () => {
    expect(channelRoles['planner:sweep']).toBe('operator');
    expect(channelRoles['planner:cancel']).toBe('operator');
    const ws = await connect(TOKENS.viewer);
    expect(await call(ws, 'planner:sweep', LONG)).toMatchObject({ ok: false, error: 'planner:sweep: not allowed for role viewer (needs operator)' });
    expect(await call(ws, 'planner:cancel', {})).toMatchObject({ ok: false, error: 'planner:cancel: not allowed for role viewer (needs operator)' });
    expect(rt.audit.list({ kind: 'refusal' }).map((r) => r.target)).toContain('planner:sweep');
    ws.close();
  });

  it('are bounded: at most 60 server counts and 24 h of simulated time; the refusal names the bound', async () => {
    expect(parseRequest('planner:sweep', { fromServers: 1, toServers: 400, step: 1, durationS: 86_400 })).toEqual({
      ok: false,
      error: 'planner:sweep: step: at most 60 server counts per sweep (× each policy), got 400: raise step or narrow the range',
    });
    expect(parseRequest('planner:sweep', { fromServers: 1, toServers: 60, step: 1, durationS: 3600 })).toEqual({
      ok: false,
      error: 'planner:sweep: durationS: at most 24 h of simulated time per sweep (server counts × duration), got 60 × 3600 s = 60.0 h',
    });
    expect(parseRequest('planner:sweep', { fromServers: 1, toServers: 60, step: 1, durationS: 1440 }).ok).toBe(true);
    // The form's defaults fit.
    expect(parseRequest('planner:sweep', {}).ok).toBe(true);
    const ws = await connect(TOKENS.operator);
    expect(await call(ws, 'planner:sweep', { fromServers: 1, toServers: 400, step: 1, durationS: 86_400 })).toMatchObject({ ok: false, error: expect.stringMatching(/at most 60 server counts/) });
    ws.close();
  });

  it('run one at a time, and planner:cancel stops the one running at once', async () => {
    const ws = await connect(TOKENS.operator);
    const t0 = performance.now();
    const sweep = call(ws, 'planner:sweep', LONG);
    await new Promise((r) => setTimeout(r, 300));
    expect(await call(ws, 'planner:sweep', LONG)).toMatchObject({ ok: false, error: expect.stringMatching(/already running/) });
    expect(await call(ws, 'planner:cancel', {})).toMatchObject({ ok: true, result: { cancelled: true } });
    expect(await sweep).toMatchObject({ ok: false, error: 'planner:sweep: the capacity sweep was cancelled (cancelled by an operator)' });
    expect(performance.now() - t0).toBeLessThan(5000);
    expect(await call(ws, 'planner:cancel', {})).toMatchObject({ ok: true, result: { cancelled: false } });
    expect(await sweepRunning(ws)).toBe(false);
    ws.close();
  }, 30_000);

  it('stop when the requesting WebSocket closes, or the requesting HTTP client hangs up', async () => {
    const asker = await connect(TOKENS.operator);
    void call(asker, 'planner:sweep', LONG);
    const watcher = await connect(TOKENS.admin);
    await new Promise((r) => setTimeout(r, 300));
    expect(await sweepRunning(watcher)).toBe(true);
    asker.close();
    await new Promise((r) => setTimeout(r, 300));
    expect(await sweepRunning(watcher)).toBe(false);

    const hangUp = new AbortController();
    const req = fetch(`http://127.0.0.1:${srv.port}/api/invoke/planner:sweep?token=${TOKENS.operator}`, { method: 'POST', body: JSON.stringify(LONG), signal: hangUp.signal }).catch((e: Error) => e);
    await new Promise((r) => setTimeout(r, 300));
    expect(await sweepRunning(watcher)).toBe(true);
    hangUp.abort();
    expect(await req).toBeInstanceOf(Error);
    await new Promise((r) => setTimeout(r, 300));
    expect(await sweepRunning(watcher)).toBe(false);
    watcher.close();
  }, 30_000);
});
