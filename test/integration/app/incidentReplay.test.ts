/**
 * Save incident… and Replay with…, through the contract: a live simulator console on a real telemetry.db runs a
 * drill, an operator saves the window around it as a recording; a second console opens that file read-only and
 * replays it through the recorded policy (which must reproduce what was recorded) and through a higher T2.
 */
import { existsSync, statSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { replayCompare, replayPlan } from '../../../main/app/replay.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import { recordingInfo } from '../../../main/store/recording.js';
import { PolicyConfigSchema, type Actor, type AuditRecord } from '../../../shared/domain/control.js';
import type { SavedIncident } from '../../../shared/domain/history.js';
import type { ReplayInfo, ReplayJob } from '../../../shared/domain/replay.js';
import { tempDir } from '../../helpers.js';

const operator: Actor = { user: 'ann', role: 'operator' };
const viewer: Actor = { user: 'vic', role: 'viewer' };
const tmp = tempDir();
let live: Runtime;
let saved: SavedIncident;
let drillMs = 0;
let windowFrom = 0;
let windowTo = 0;

type Ok<T> = { ok: true; result: T };
const call = (rt: Runtime, actor: Actor, channel: string, payload: unknown) => dispatch(rt.handlers, channel, payload, actor, { onRefused: rt.auditRefusal, roles: rt.roles });

async function ticks(n: number): Promise<void> {
  for (let i = 0; i < n; i++) {
    live.engine.tick();
    if (live.runner.status().store.lagBatches >= 16) for (let k = 0; k < 400 && live.runner.status().store.lagBatches > 0; k++) await new Promise((r) => setTimeout(r, 25));
  }
}

beforeAll(async () => {
  live = await createRuntime({ scenario: 'default', db: tmp.file('data/telemetry.db') });
  await ticks(90);
  const r = await call(live, operator, 'sim:inject', { event: { kind: 'powerBudgetLoss', row: 'C', fraction: 0.3, durationS: 600 }, reason: 'incident drill' });
  expect(r.ok).toBe(true);
  drillMs = live.engine.nowMs;
  await ticks(150);
  windowFrom = drillMs - 30_000;
  windowTo = live.engine.nowMs;
  const s = await call(live, operator, 'incident:save', { fromMs: windowFrom, toMs: windowTo, title: 'Row C feed loss drill', notes: 'brake on C?', reason: 'keep the drill' });
  expect(s.ok, JSON.stringify(s)).toBe(true);
  saved = (s as Ok<SavedIncident>).result;
}, 120_000);
afterAll(async () => {
  await live?.close();
  tmp.cleanup();
});

describe('Save incident…', () => {
  it('writes one recording of the window into the data folder, named after the title, and audits who saved it and why', () => {
    expect(saved.file).toMatch(/data[/\\]recordings[/\\].*-row-c-feed-loss-drill\.headroom$/);
    expect(existsSync(saved.file)).toBe(true);
    expect(statSync(saved.file).size).toBe(saved.bytes);
    const info = recordingInfo(saved.file);
    expect(info.startS! * 1000).toBe(windowFrom);
    expect(info.durationS).toBe((windowTo - windowFrom) / 1000);
    expect(info.meta).toMatchObject({ title: 'Row C feed loss drill', author: 'ann', notes: 'brake on C?', policyName: 'headroom' });
    const audit = live.audit.list({ kind: 'incident' });
    expect(audit).toHaveLength(1);
    expect(audit[0]).toMatchObject<Partial<AuditRecord>>({ actor: 'ann', target: saved.name, reason: 'keep the drill', outcome: 'ok' });
  });

  it('is an operator’s act: a viewer is refused', async () => {
    const r = await call(live, viewer, 'incident:save', { fromMs: windowFrom, toMs: windowTo, title: 'x', reason: 'try it' });
    expect(r).toMatchObject({ ok: false });
  });

  it('a window where the run holds nothing is refused with the times', async () => {
    const r = await call(live, operator, 'incident:save', { fromMs: windowTo + 60_000, toMs: windowTo + 120_000, title: 'later', reason: 'too late' });
    expect(r).toMatchObject({ ok: false, error: expect.stringContaining('holds nothing between') });
  });

  it('the live console reports a window as self-contained HTML', async () => {
    const r = (await call(live, viewer, 'incident:report', { fromMs: windowFrom, toMs: windowTo })) as Ok<{ fileName: string; html: string }>;
    expect(r.ok).toBe(true);
    expect(r.result.html).toContain('<!doctype html>');
    expect(r.result.html).toMatch(/Row C|row C|>C</);
    expect(r.result.html).not.toMatch(/<script|src="http/);
  });
});

describe('Replay with… (the saved incident)', () => {
  it('finds the drill in the recording and re-runs the run’s demand: the recorded policy reproduces the recording', () => {
    const plan = replayPlan(saved.file);
    expect(plan.drills).toBe(1);
    expect(plan.fromMs).toBe(windowFrom);
    const res = replayCompare(plan, 'polca', plan.config);
    // Same demand, same policy, no operator actions: the re-run is the recording, 10-second bin by bin.
    expect(res.reproduction.maxErrPct).toBeLessThan(0.5);
    expect(res.diff[0]).toMatch(/brakes? instead of/);
    // Without the drill on the replay's timeline, row C would keep its budget: the replay saw the feed loss.
    const c = res.series.rows.find((r) => r.id === 'C')!;
    expect(Math.min(...c.budgetKW)).toBeLessThan(Math.max(...c.budgetKW) * 0.75);
  }, 120_000);

  it('a second console opens the file read-only and replays it through a higher T2 in a worker, with progress and a diff', async () => {
    const rec = await createRuntime({ scenario: 'default', db: null, recording: saved.file });
    try {
      const info = ((await call(rec, viewer, 'replay:info', {})) as Ok<ReplayInfo>).result;
      expect(info).toMatchObject({ available: true, policy: 'headroom', drills: 1 });
      if (!info.available) return;
      const config = PolicyConfigSchema.parse({ ...info.config, polca: { ...info.config.polca, t2Pct: 95 } });
      const started = (await call(rec, viewer, 'replay:start', { policy: 'polca', config })) as Ok<ReplayJob>;
      expect(started.ok, JSON.stringify(started)).toBe(true);
      const again = await call(rec, viewer, 'replay:start', { policy: 'none' });
      expect(again).toMatchObject({ ok: false, error: expect.stringContaining('already running') });
      let job = started.result;
      const seen: number[] = [];
      for (let i = 0; i < 1200 && job.state === 'running'; i++) {
        await new Promise((r) => setTimeout(r, 100));
        job = ((await call(rec, viewer, 'replay:status', { id: job.id })) as Ok<ReplayJob>).result;
        seen.push(job.doneS);
      }
      expect(job.state, job.error ?? '').toBe('done');
      expect(seen.some((d) => d > 0 && d < job.totalS)).toBe(true);
      const res = job.result!;
      expect(res.replay.t2Pct).toBe(95);
      expect(res.base.t2Pct).toBe(info.config.polca.t2Pct);
      expect(res.diff[0]).toMatch(/^POLCA T1 = \d+ %, T2 = 95 %: \d+ brakes? instead of \d+/);
      expect(res.series.tMs.length).toBe(res.series.rows[0]!.replayKW.length);
      // The HTML report of the recording, from the recording's console.
      const rep = (await call(rec, viewer, 'incident:report', {})) as Ok<{ fileName: string; html: string }>;
      expect(rep.result.fileName).toBe(saved.name.replace(/\.headroom$/, '.html'));
      expect(rep.result.html).toContain('Row C feed loss drill');
      expect(rep.result.html).toContain('keep the drill');
    } finally {
      await rec.close();
    }
  }, 180_000);

  it('a console that plays no recording says what to do instead', async () => {
    const r = (await call(live, viewer, 'replay:info', {})) as Ok<ReplayInfo>;
    expect(r.result).toEqual({ available: false, reason: expect.stringContaining('Save incident') });
    expect(await call(live, viewer, 'replay:start', { policy: 'none' })).toMatchObject({ ok: false });
  });
});

describe('the Audit view of a recording', () => {
  it('lists the records the recording carries (the drill, who and why), newest first, filtered; verify checks the window', async () => {
    const rec = await createRuntime({ scenario: 'default', db: null, recording: saved.file });
    try {
      const all = ((await call(rec, viewer, 'audit:list', {})) as Ok<AuditRecord[]>).result;
      const drill = all.find((a) => a.kind === 'drill')!;
      expect(drill).toMatchObject({ actor: 'ann', role: 'operator', target: 'row C', reason: 'incident drill' });
      expect(all.map((a) => a.seq)).toEqual([...all.map((a) => a.seq)].sort((a, b) => b - a));
      // Nothing of the console playing it (its own run markers live in memory, not in the file).
      expect(all.some((a) => a.kind === 'run' && a.target.includes('recording'))).toBe(false);
      const only = ((await call(rec, viewer, 'audit:list', { kind: 'drill' })) as Ok<AuditRecord[]>).result;
      expect(only.map((a) => a.seq)).toEqual([drill.seq]);
      const v = ((await call(rec, viewer, 'audit:verify', {})) as Ok<{ ok: boolean; records: number; message: string }>).result;
      expect(v).toMatchObject({ ok: true, records: all.length });
    } finally {
      await rec.close();
    }
  });
});
