import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import type { Actor } from '../../../shared/domain/control.js';

const operator: Actor = { user: 'ann', role: 'operator' };
const viewer: Actor = { user: 'vic', role: 'viewer' };
let rt: Runtime;
beforeAll(async () => {
  rt = await createRuntime({ scenario: 'default', db: null });
  for (let i = 0; i < 60; i++) rt.engine.tick();
});
afterAll(() => rt.close());

const call = (actor: Actor, channel: string, payload: unknown) => dispatch(rt.handlers, channel, payload, actor, { onRefused: rt.auditRefusal });

describe('drills: an operator starts an emergency on the running simulator', () => {
  it('a lost feed on row D lowers its budget from the next tick, the controller answers, and the drill is audited', async () => {
    const before = rt.engine.rowBudgetKW[3]!;
    const r = await call(operator, 'sim:inject', { event: { kind: 'powerBudgetLoss', row: 'D', fraction: 0.3, durationS: 60 }, reason: 'feed B drill' });
    expect(r).toMatchObject({ ok: true, result: { event: 'lost feed: row D loses 30 % of its power budget for 60 s' } });
    rt.engine.tick();
    expect(rt.engine.rowBudgetKW[3]).toBeCloseTo(before * 0.7, 6);
    for (let i = 0; i < 15; i++) rt.engine.tick();
    // Within the 10 s UPS ride-through (+ a tick), row D's true power is back under the new budget.
    expect(rt.engine.agg.rowW[3]! / 1000).toBeLessThanOrEqual(rt.engine.rowBudgetKW[3]! * 1.0001);
    const drills = rt.audit.list({ kind: 'drill', limit: 10 });
    expect(drills[0]).toMatchObject({ actor: 'ann', role: 'operator', kind: 'drill', target: 'row D', reason: 'feed B drill', outcome: 'ok' });
  });

  it('a viewer cannot start a drill, an unknown row is refused, and both refusals are audited', async () => {
    expect(await call(viewer, 'sim:inject', { event: { kind: 'coolingLoss', row: 'B', fraction: 0.5 }, reason: 'try' })).toMatchObject({ ok: false });
    const bad = await call(operator, 'sim:inject', { event: { kind: 'coolingLoss', row: 'Z', fraction: 0.5 }, reason: 'typo' });
    expect(bad).toMatchObject({ ok: false, error: expect.stringMatching(/unknown row "Z"/) });
    const refusals = rt.audit.list({ kind: 'refusal', limit: 10 });
    expect(refusals.map((r) => r.actor).sort()).toEqual(['ann', 'vic']);
  });
});
