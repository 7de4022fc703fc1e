/**
 * Issue 13 item 5, one truth: a row braked by hand says so at once (before the brake lands) and offers only Release;
 * a second brake, a release of nothing and a no-op automation change are refused (not audited as changes); while a
 * playbook's caps are on their way the row counts them as commanded — the number the audit's actuation records
 * give — not as "0 GPUs capped".
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import type { Actor } from '../../../shared/domain/control.js';

const runtimes: Runtime[] = [];
afterAll(async () => {
  for (const r of runtimes) await r.close();
});

describe('one truth on screen', () => {
  it('brake by hand: shown at once, a second one refused; release and automation no-ops refused', async () => {
    const rt = await createRuntime({ scenario: 'default', db: null });
    runtimes.push(rt);
    const bo: Actor = { user: 'bo', role: 'operator' };
    const call = (channel: string, p: unknown) => dispatch(rt.handlers, channel, p, bo, { onRefused: rt.auditRefusal });
    for (let i = 0; i < 30; i++) rt.engine.tick();
    const r = (await call('brake:row', { row: 'A', engage: true, reason: 'hand brake', confirmRow: 'A' })) as { ok: true; result: { manualBrake: { by: string } | null; brakedGpus: number } };
    expect(r.ok).toBe(true);
    // Not landed yet (the brake takes 5 s), but the row says who braked it.
    expect(r.result.brakedGpus).toBe(0);
    expect(r.result.manualBrake).toMatchObject({ by: 'bo' });
    expect(rt.control.summary().rows[0]!.manualBrake).toMatchObject({ by: 'bo' });
    expect(await call('brake:row', { row: 'A', engage: true, reason: 'again', confirmRow: 'A' })).toMatchObject({ ok: false, error: expect.stringMatching(/^brake:row: row A's brake is already engaged by bo since/) });
    expect(await call('brake:row', { row: 'B', engage: false, reason: 'nothing', confirmRow: 'B' })).toMatchObject({ ok: false, error: 'brake:row: row B has no brake engaged by hand to release' });
    expect(await call('automation:set', { row: 'B', enabled: true, reason: 'already' })).toMatchObject({ ok: false, error: 'automation:set: automation on row B is already on' });
    const brakes = rt.audit.list({ kind: 'brake' });
    expect(brakes.filter((b) => b.outcome === 'ok').map((b) => b.newValue)).toEqual(['manual brake on']);
  });

  it('a lost feed: the playbook\'s caps count as commanded while they travel, and the count is the audit\'s', async () => {
    const rt = await createRuntime({ scenario: 'default', db: null });
    runtimes.push(rt);
    const op: Actor = { user: 'cy', role: 'operator' };
    for (let i = 0; i < 120; i++) rt.engine.tick();
    await dispatch(rt.handlers, 'sim:inject', { event: { kind: 'powerBudgetLoss', row: 'C', fraction: 0.3, durationS: 600 }, reason: 'drill' }, op, {});
    for (let i = 0; i < 3; i++) rt.engine.tick();
    const c = rt.control.summary().rows.find((x) => x.row === 'C')!;
    expect(c.playbook).toBe('power-budget-loss');
    expect(c.commandedGpus).toBe(320);
    // Out-of-band caps take 40 s to land: none is in effect yet, and the panel says "320 commanded, 0 landed".
    expect(c.cappedGpus).toBeLessThan(c.commandedGpus!);
    for (let i = 0; i < 60; i++) rt.engine.tick();
    const later = rt.control.summary().rows.find((x) => x.row === 'C')!;
    expect(later.cappedGpus).toBe(later.commandedGpus);
    const issued = rt.audit.list({ kind: 'actuation', limit: 100 }).filter((a) => a.target === 'row C' && /playbook power-budget-loss/.test(a.reason));
    const counted = issued.map((a) => Number(/^(\d+) GPU/.exec(a.newValue)?.[1] ?? 0));
    expect(Math.max(...counted)).toBe(320);
  });
});
