/**
 * The run's history through the contract: a runtime on a real telemetry.db (store worker included), a drill that
 * cuts row C's feed, then `telemetry:events` and `telemetry:gpu` as a viewer asks for them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import type { Actor } from '../../../shared/domain/control.js';
import type { EventWindow, GpuHistory } from '../../../shared/domain/history.js';
import type { RangeSeries } from '../../../shared/domain/fleet.js';
import { tempDir } from '../../helpers.js';

const operator: Actor = { user: 'ann', role: 'operator' };
const viewer: Actor = { user: 'vic', role: 'viewer' };
const tmp = tempDir();
let rt: Runtime;
let startMs = 0;
let drillMs = 0;
let budgetC = 0;

const call = (actor: Actor, channel: string, payload: unknown) => dispatch(rt.handlers, channel, payload, actor, { onRefused: rt.auditRefusal });

/** Waits until the store worker has written every tick handed to it. */
async function drained(): Promise<void> {
  for (let i = 0; i < 400 && rt.runner.status().store.lagBatches > 0; i++) await new Promise((r) => setTimeout(r, 25));
  expect(rt.runner.status().store).toMatchObject({ lagBatches: 0, dropped: 0, errors: 0 });
}

/** Ticks like the Runner does: never more than a few batches ahead of the store (beyond 64 it would drop them). */
async function ticks(n: number, each: () => void = () => {}): Promise<void> {
  for (let i = 0; i < n; i++) {
    rt.engine.tick();
    each();
    if (rt.runner.status().store.lagBatches >= 16) await drained();
  }
}

beforeAll(async () => {
  rt = await createRuntime({ scenario: 'default', db: tmp.file('telemetry.db') });
  startMs = rt.engine.nowMs;
  await ticks(120);
  budgetC = rt.engine.rowBudgetKW[2]!;
  const r = await call(operator, 'sim:inject', { event: { kind: 'powerBudgetLoss', row: 'C', fraction: 0.3, durationS: 600 }, reason: 'history drill' });
  expect(r.ok).toBe(true);
  await ticks(120, () => {
    if (!drillMs && rt.engine.rowBudgetKW[2]! < budgetC) drillMs = rt.engine.nowMs;
  });
  await drained();
});
afterAll(async () => {
  await rt.close();
  tmp.cleanup();
});

describe('history through the contract', () => {
  it('telemetry:events: the budget step of the drill, and the budgets in force before the window', async () => {
    const r = await call(viewer, 'telemetry:events', { fromMs: drillMs - 30_000, toMs: rt.engine.nowMs + 1, kinds: ['budget', 'scenario'] });
    expect(r.ok).toBe(true);
    const w = (r as { ok: true; result: EventWindow }).result;
    const step = w.events.find((e) => e.kind === 'budget' && e.subject === 'C')!;
    expect(step.tMs).toBe(drillMs);
    expect(step.body.budgetKW).toBeCloseTo(budgetC * 0.7, 3);
    expect(w.events.some((e) => e.kind === 'scenario' && e.subject === 'row C')).toBe(true);
    expect(w.events.every((e) => e.kind === 'budget' || e.kind === 'scenario')).toBe(true);
    // Every row's budget in force at the window's start: noted at the run's first tick.
    expect(w.budgetsBefore.map((e) => e.subject)).toEqual(['A', 'B', 'C', 'D']);
    expect(w.budgetsBefore.find((e) => e.subject === 'C')!.body.budgetKW).toBe(budgetC);
    expect(w.budgetsBefore.every((e) => e.tMs < drillMs - 30_000)).toBe(true);
  });

  it('telemetry:events without a kind filter carries the controller stages and the drill', async () => {
    const r = await call(viewer, 'telemetry:events', { fromMs: startMs, toMs: rt.engine.nowMs + 1 });
    const w = (r as { ok: true; result: EventWindow }).result;
    expect(new Set(w.events.map((e) => e.kind))).toEqual(expect.objectContaining(new Set(['budget', 'stage', 'scenario'])));
    expect(w.budgetsBefore).toEqual([]);
  });

  it('telemetry:gpu: one GPU’s stored seconds, last one as the engine had it', async () => {
    const g = 37;
    const r = await call(viewer, 'telemetry:gpu', { gpu: g, fromMs: rt.engine.nowMs - 3600_000, toMs: rt.engine.nowMs + 1 });
    expect(r.ok).toBe(true);
    const h = (r as { ok: true; result: GpuHistory }).result;
    expect(h.tMs.length).toBe(240);
    expect(h.tMs.at(-1)).toBe(rt.engine.nowMs);
    expect(h.powerW.at(-1)).toBeCloseTo(rt.engine.live.powerW[g]!, 0);
    expect(h.limitW.at(-1)).toBeCloseTo(rt.engine.live.limitW[g]!, 0);
    expect(h.tempC.at(-1)).toBeCloseTo(rt.engine.live.tempC[g]!, 0);
    expect(h.clockMHz.at(-1)).toBeCloseTo(rt.engine.live.clockMHz[g]!, -1);
  });

  it('telemetry:range answers only the entities asked for, in that order', async () => {
    const racks = rt.engine.topology.racks.filter((r) => r.row === 2).map((r) => r.id);
    const asked = [racks[2]!, racks[0]!, 'nope'];
    const r = await call(viewer, 'telemetry:range', { scope: 'rack', fromMs: startMs, toMs: rt.engine.nowMs, resS: 10, ids: asked });
    const body = (r as { ok: true; result: RangeSeries }).result;
    expect(body.ids).toEqual([racks[2], racks[0]]);
    expect(body.avgKW).toHaveLength(2);
    expect(body.avgKW[0]!.some((v) => v !== null && v > 1)).toBe(true);
    const all = await call(viewer, 'telemetry:range', { scope: 'rack', fromMs: startMs, toMs: rt.engine.nowMs, resS: 10 });
    expect((all as { ok: true; result: RangeSeries }).result.ids).toHaveLength(rt.engine.topology.racks.length);
  });

  it('refuses a GPU the site does not have, an inverted window and one longer than two hours', async () => {
    const now = rt.engine.nowMs;
    expect(await call(viewer, 'telemetry:gpu', { gpu: 1280, fromMs: now - 1000, toMs: now })).toMatchObject({ ok: false, error: expect.stringMatching(/no GPU 1280/) });
    expect(await call(viewer, 'telemetry:gpu', { gpu: 1, fromMs: now, toMs: now - 1 })).toMatchObject({ ok: false, error: expect.stringMatching(/toMs must be after fromMs/) });
    expect(await call(viewer, 'telemetry:gpu', { gpu: 1, fromMs: now - 3 * 3600_000, toMs: now })).toMatchObject({ ok: false, error: expect.stringMatching(/longer than 2 hours/) });
    expect(await call(viewer, 'telemetry:events', { fromMs: now - 8 * 24 * 3600_000, toMs: now })).toMatchObject({ ok: false, error: expect.stringMatching(/longer than 7 days/) });
    expect(await call(viewer, 'telemetry:events', { fromMs: 0, toMs: 1, kinds: [] })).toMatchObject({ ok: false });
  });
});

describe('history without a store', () => {
  it('answers empty', async () => {
    const mem = await createRuntime({ scenario: 'default', db: null });
    try {
      const ev = await dispatch(mem.handlers, 'telemetry:events', { fromMs: 0, toMs: 1 }, viewer);
      expect(ev).toMatchObject({ ok: true, result: { events: [], budgetsBefore: [], truncated: false } });
      const g = await dispatch(mem.handlers, 'telemetry:gpu', { gpu: 0, fromMs: 0, toMs: 1 }, viewer);
      expect(g).toMatchObject({ ok: true, result: { gpu: 0, tMs: [], powerW: [] } });
    } finally {
      await mem.close();
    }
  });
});
