/**
 * Issue 13 item 9 through the real runtime: an operator runs the cooling-loss drill on row C with automation off,
 * acknowledges the grouped alert, caps the row and ends the drill; a worker re-simulates the same timeline with the
 * controller on; the report puts the operator beside the automatic response, is kept in the data folder and listed,
 * automation comes back on, and every step is audited with the operator's name.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import type { Actor } from '../../../shared/domain/control.js';
import { alertGroupKey } from '../../../shared/domain/alertGroups.js';
import type { DrillStatus } from '../../../shared/domain/drills.js';
import { tempDir } from '../../helpers.js';

const tmp = tempDir();
const runtimes: Runtime[] = [];
afterAll(async () => {
  for (const r of runtimes) await r.close();
  tmp.cleanup();
});

const until = async (what: string, ok: () => boolean, ms: number) => {
  const end = Date.now() + ms;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

describe('a drill in the console', () => {
  it('cooling loss on row C, automation off: ack, cap, end — scored beside the automatic controller, kept and listed', async () => {
    const db = join(tmp.dir, 'data', 'telemetry.db');
    const rt = await createRuntime({ scenario: 'default', db });
    runtimes.push(rt);
    const ana: Actor = { user: 'ana', role: 'operator' };
    const call = async <T>(channel: string, p: unknown, actor: Actor = ana) => {
      const r = (await dispatch(rt.handlers, channel, p, actor, { onRefused: rt.auditRefusal })) as { ok: boolean; result?: T; error?: string };
      if (!r.ok) throw new Error(`${channel}: ${r.error}`);
      return r.result as T;
    };
    for (let i = 0; i < 120; i++) rt.engine.tick();
    const lib = await call<Array<{ id: string; applies: boolean; why: string | null }>>('drill:library', {});
    expect(lib.find((d) => d.id === 'cooling-loss-c')).toMatchObject({ applies: true });
    expect(lib.find((d) => d.id === 'cdu-pump-loss')).toMatchObject({ applies: false, why: expect.stringMatching(/row G/) });
    const startMs = rt.engine.nowMs;
    const st = await call<{ active: { drill: string; automation: boolean } }>('drill:start', { drill: 'cooling-loss-c', automation: false, reason: 'monthly cooling drill' });
    expect(st.active).toMatchObject({ drill: 'cooling-loss-c', automation: false });
    expect(rt.control.summary().rows.find((r) => r.row === 'C')!.automation).toBe(false);
    // A second drill while one runs is refused.
    expect(await dispatch(rt.handlers, 'drill:start', { drill: 'load-spike-x2', automation: true, reason: 'another' }, ana, {})).toMatchObject({ ok: false, error: expect.stringMatching(/cooling-loss-c is running/) });
    // The alerts of row C come; the operator acknowledges the biggest group, then caps the row.
    let group = '';
    for (let i = 0; i < 300 && !group; i++) {
      rt.engine.tick();
      const firing = rt.engine.activeAlerts().filter((a) => a.row === 'C' && a.state === 'firing' && a.rule !== 'controllerStage');
      if (firing.length) group = alertGroupKey(firing[0]!);
    }
    expect(group).not.toBe('');
    // She acknowledges a few seconds after the alert fired: that is her detection, not the alert's firing.
    for (let i = 0; i < 4; i++) rt.engine.tick();
    const ackMs = rt.engine.nowMs;
    await call('alerts:ackGroup', { group, comment: 'on it' });
    for (let i = 0; i < 5; i++) rt.engine.tick();
    await call('override:set', { target: { kind: 'row', id: 'C' }, action: { kind: 'powerCap', watts: 350 }, reason: 'cooling drill: cap row C', expiresInS: 3600 });
    for (let i = 0; i < 120; i++) rt.engine.tick();
    await call('drill:end', { reason: 'drill objectives met' });
    expect(rt.control.summary().rows.find((r) => r.row === 'C')!.automation).toBe(true);
    await until('the automatic side', () => (rt.handlers['drill:status']({}, ana) as DrillStatus).lastReport !== null, 60_000);
    const [summary] = await call<Array<{ id: string; by: string; score: number; automaticScore: number | null }>>('drill:reports', {});
    expect(summary).toMatchObject({ by: 'ana', automation: false });
    const { report, html } = await call<{ report: { sides: Array<{ responder: string; detectS: number | null; firstActionS: number | null; score: number }>; detectS: number }; html: string }>('drill:report', { id: summary!.id });
    const [op, auto] = report.sides;
    expect(op!.responder).toBe('operator');
    expect(auto!.responder).toBe('automatic');
    expect(op!.detectS).toBe((ackMs - startMs) / 1000);
    expect(auto!.detectS!).toBeLessThan(op!.detectS!);
    expect(op!.firstActionS).toBeGreaterThanOrEqual(op!.detectS!);
    expect(auto!.firstActionS).not.toBeNull();
    expect(summary!.automaticScore).toBe(auto!.score);
    expect(html).toMatch(/After-action report: Cooling loss on row C/);
    expect(html).toMatch(/ana \(automation off\)/);
    expect(html).toMatch(/Headroom&#39;s controller/);
    // Kept in the data folder.
    expect(existsSync(join(tmp.dir, 'data', 'drills', `${summary!.id}.html`))).toBe(true);
    expect(JSON.parse(readFileSync(join(tmp.dir, 'data', 'drills', `${summary!.id}.json`), 'utf8')).sides).toHaveLength(2);
    // Audited with her name: start, automation off and back on, the group ack, the cap, the end.
    const records = rt.audit.list({ limit: 50 }).filter((r) => r.actor === 'ana');
    expect(records.map((r) => r.kind)).toEqual(expect.arrayContaining(['drill', 'automation', 'ack', 'override']));
    expect(records.find((r) => r.kind === 'drill' && r.newValue === 'ended early')).toMatchObject({ reason: 'drill objectives met' });
  }, 120_000);
});
