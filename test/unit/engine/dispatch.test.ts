import { describe, expect, it } from 'vitest';
import { channelRoles, requestSchemas, type Handlers } from '../../../shared/contract.js';
import { ROLE_RANK, type Actor, type Role } from '../../../shared/domain/control.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import { RefusalError } from '../../../main/core/ports.js';

/** Handlers that record calls and answer "ok"; validation and role checks are dispatch's job. */
function recordingHandlers(calls: string[]): Handlers {
  return Object.fromEntries(
    Object.keys(requestSchemas).map((c) => [
      c,
      (p: unknown) => {
        calls.push(c);
        if ((p as { reason?: string }).reason === 'refuse me') throw new RefusalError('not today');
        return 'ok';
      },
    ]),
  ) as unknown as Handlers;
}

/** A valid payload for every channel, so only the role decides. */
const validPayloads: Record<string, unknown> = {
  'telemetry:range': { scope: 'row', fromMs: 0, toMs: 1000, resS: 10 },
  'telemetry:events': { fromMs: 0, toMs: 1000, kinds: ['budget'] },
  'telemetry:gpu': { gpu: 0, fromMs: 0, toMs: 1000 },
  'sim:control': { action: 'pause' },
  'sim:inject': { event: { kind: 'coolingLoss', row: 'B', fraction: 0.5 }, reason: 'drill' },
  'control:gpus': { gpus: [0] },
  'override:preview': { target: { kind: 'row', id: 'D' }, action: { kind: 'exempt' } },
  'override:set': { target: { kind: 'row', id: 'D' }, action: { kind: 'powerCap', watts: 400 }, reason: 'drill', expiresInS: 600 },
  'override:clear': { id: 'o1', reason: 'done' },
  'automation:set': { row: 'D', enabled: false, reason: 'maintenance' },
  'brake:row': { row: 'D', engage: true, reason: 'drill', confirmRow: 'D' },
  'policy:set': { config: {}, reason: 'tune' },
  'alerts:ack': { id: 'a', comment: '' },
  'alerts:ackGroup': { group: 'rowPower80/D', comment: '' },
  'drill:library': {},
  'drill:start': { drill: 'cooling-loss-c', automation: false, reason: 'drill' },
  'drill:end': { reason: 'done' },
  'drill:status': {},
  'drill:reports': {},
  'drill:report': { id: 'x' },
  'alerts:silence': { matchers: [{ field: 'row', value: 'D' }], durationS: 600, comment: 'drill' },
  'alerts:unsilence': { id: 's', reason: 'over' },
  'audit:list': {},
  'sources:test': { source: { kind: 'agent', id: 'a1', host: 'gpu-1' } },
  'sources:add': { source: { kind: 'dcgm', id: 'd1', url: 'http://gpu-1:9400/metrics' }, reason: 'racked' },
  'sources:remove': { id: 'd1', reason: 'decommissioned' },
  'incident:save': { fromMs: 0, toMs: 60_000, title: 'drill', reason: 'keep it' },
  'replay:start': { policy: 'none' },
  'replay:status': { id: 'replay-1' },
  'recording:annotate': { kind: 'bookmark', tMs: 0 },
  'plant:lift': { device: 'UPS1/module', reason: 'operator takes over' },
  'controller:status': {},
  'placement:query': { gpus: 64 },
  'profiles:rack': { rack: 3 },
  'profiles:forecast': {},
  'grid:window': { seconds: 30 },
  'workflows:overview': { budgetPct: 80 },
  'routing:weights': {},
};

describe('dispatch: roles × actions', () => {
  const roles: Role[] = ['viewer', 'operator', 'admin'];
  for (const role of roles) {
    it(`role ${role}: exactly the channels its rank allows are served, the rest refused and reported`, async () => {
      const calls: string[] = [];
      const refused: string[] = [];
      const h = recordingHandlers(calls);
      const actor: Actor = { user: 'u', role };
      for (const channel of Object.keys(requestSchemas)) {
        const r = await dispatch(h, channel, validPayloads[channel] ?? {}, actor, { onRefused: (_a, c) => refused.push(c) });
        const allowed = ROLE_RANK[role] >= ROLE_RANK[channelRoles[channel as keyof typeof channelRoles]];
        expect(r.ok, `${role} → ${channel}`).toBe(allowed);
        if (!allowed && !r.ok) expect(r.error).toMatch(new RegExp(`not allowed for role ${role}`));
      }
      const expected = Object.keys(requestSchemas).filter((c) => ROLE_RANK[role] >= ROLE_RANK[channelRoles[c as keyof typeof channelRoles]]);
      expect(calls).toEqual(expected);
      expect(refused.length).toBe(Object.keys(requestSchemas).length - expected.length);
    });
  }

  it('refuses a bad payload before the handler, and reports acting refusals for the audit trail', async () => {
    const calls: string[] = [];
    const refused: string[] = [];
    const h = recordingHandlers(calls);
    const op: Actor = { user: 'ann', role: 'operator' };
    const bad = await dispatch(h, 'override:set', { target: { kind: 'row', id: 'D' }, action: { kind: 'powerCap', watts: 400 }, reason: '', expiresInS: 600 }, op, {
      onRefused: (_a, c, e) => refused.push(`${c}: ${e}`),
    });
    expect(bad.ok).toBe(false);
    expect(refused[0]).toMatch(/override:set: .*reason.*at least 3/);
    const brake = await dispatch(h, 'brake:row', { row: 'D', engage: true, reason: 'drill', confirmRow: 'C' }, op);
    expect(brake).toMatchObject({ ok: false, error: expect.stringMatching(/type the row id to confirm/) });
    const policy = await dispatch(h, 'override:set', { ...(validPayloads['override:set'] as object), reason: 'refuse me' }, op, { onRefused: (_a, c, e) => refused.push(`${c}: ${e}`) });
    expect(policy).toMatchObject({ ok: false, error: 'override:set: not today' });
    expect(refused).toHaveLength(2);
    expect(calls).toEqual(['override:set']);
    // A viewer reading never produces a refusal record, even when the payload is bad.
    await dispatch(h, 'telemetry:range', { scope: 'nope' }, { user: 'v', role: 'viewer' }, { onRefused: () => refused.push('x') });
    expect(refused).toHaveLength(2);
  });

  it('a runtime may change a role (a recording opens playback control to viewers); the table stays as it is', async () => {
    const calls: string[] = [];
    const viewer: Actor = { user: 'v', role: 'viewer' };
    const h = recordingHandlers(calls);
    expect(await dispatch(h, 'sim:control', { action: 'pause' }, viewer)).toMatchObject({ ok: false });
    expect(await dispatch(h, 'sim:control', { action: 'seek', tMs: 1000 }, viewer, { roles: { 'sim:control': 'viewer' } })).toEqual({ ok: true, result: 'ok' });
    expect(await dispatch(h, 'override:set', validPayloads['override:set'], viewer, { roles: { 'sim:control': 'viewer' } })).toMatchObject({ ok: false });
    expect(calls).toEqual(['sim:control']);
    expect(channelRoles['sim:control']).toBe('operator');
  });
});
