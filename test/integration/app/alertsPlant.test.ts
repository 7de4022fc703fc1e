/**
 * Issue 13 item 1: a failed plant device raises one plantOut alert naming the rows whose budget it lowered, and
 * inhibits those rows' power alerts (the operator sees the cause, not twenty consequences); a device out for
 * approved maintenance raises none. Through the real runtime, simulator, PlantWatch and AlertHandling.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import type { Actor } from '../../../shared/domain/control.js';

const runtimes: Runtime[] = [];
afterAll(async () => {
  for (const r of runtimes) await r.close();
});

describe('plant failures in the alerts', () => {
  it('UPS2 in maintenance raises nothing; two UPS1 modules failing raise one plantOut alert that inhibits the row-power alerts it causes', async () => {
    const rt = await createRuntime({ scenario: 'default', db: null });
    runtimes.push(rt);
    const op: Actor = { user: 'oli', role: 'operator' };
    const inject = (event: unknown, reason: string) => dispatch(rt.handlers, 'sim:inject', { event, reason }, op, { onRefused: rt.auditRefusal });
    for (let i = 0; i < 120; i++) rt.engine.tick();
    expect(await inject({ kind: 'deviceFailure', devices: ['UPS2'], durationS: 3600, maintenance: true }, 'UPS2 battery swap')).toMatchObject({ ok: true });
    for (let i = 0; i < 3; i++) rt.engine.tick();
    expect(rt.engine.activeAlerts().filter((a) => a.rule === 'plantOut')).toEqual([]);
    expect(await inject({ kind: 'deviceFailure', devices: ['UPS1/module', 'UPS1/module'] }, 'module faults')).toMatchObject({ ok: true });
    rt.engine.tick();
    rt.engine.tick();
    const alerts = rt.engine.activeAlerts();
    const out = alerts.filter((a) => a.rule === 'plantOut');
    expect(out.map((a) => [a.subject.id, a.state, a.summary])).toEqual([['UPS1/module', 'firing', 'UPS1/module out of service (failure); budgets lowered on rows A, B, C, D']]);
    const rowPower = alerts.filter((a) => a.rule.startsWith('rowPower'));
    expect(rowPower.length).toBeGreaterThan(0);
    expect(rowPower.map((a) => a.inhibitedBy)).toEqual(rowPower.map(() => 'plantOut:UPS1/module'));
    // Alerts that are not the failure's consequence stay as they are.
    expect(alerts.filter((a) => a.rule === 'controllerStage').every((a) => a.inhibitedBy === null)).toBe(true);
  });
});
