import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import { openRecording, recordedEvents, recordedFrameAt, RECORDED_RUN } from '../../../main/store/recording.js';
import { getRun } from '../../../main/store/runs.js';
import { channelRoles, type RequestChannel } from '../../../shared/contract.js';
import type { Actor } from '../../../shared/domain/control.js';
import { tempDir } from '../../helpers.js';

/** A recording opened in the console (createRuntime({ recording })): playback, seeking, and read-only everywhere. */
const tmp = tempDir();
const rec = tmp.file('seed7.headroom');
const admin: Actor = { user: 'ada', role: 'admin' };
const sha = () => createHash('sha256').update(readFileSync(rec)).digest('hex');
let rt: Runtime;
let before: string;
let t0 = 0;
let t1 = 0;

beforeAll(async () => {
  // The real CLI (dist/, built by `npm test`'s pretest) records a whole simulated run.
  const r = spawnSync(process.execPath, ['bin/headroom.js', 'sim', '--seed', '7', '--duration', '600', '--record', rec, '--out', tmp.file('r.json')], { encoding: 'utf8', timeout: 120_000 });
  expect(r.status, r.stderr).toBe(0);
  before = sha();
  const db = openRecording(rec);
  const run = getRun(db, RECORDED_RUN)!;
  t0 = run.t0Ms!;
  t1 = run.t1Ms!;
  db.close();
  rt = await createRuntime({ scenario: 'default', db: null, recording: rec });
}, 120_000);
afterAll(async () => {
  await rt?.close();
  tmp.cleanup();
});

const call = (channel: string, payload: unknown, actor: Actor = admin) => dispatch(rt.handlers, channel, payload, actor, { onRefused: rt.auditRefusal, roles: rt.roles });

/** A valid payload for every acting channel, so what refuses it is the recording, not the schema. */
const ACTING: Partial<Record<RequestChannel, unknown>> = {
  'sim:inject': { event: { kind: 'coolingLoss', row: 'B', fraction: 0.5 }, reason: 'drill' },
  'override:set': { target: { kind: 'row', id: 'A' }, action: { kind: 'powerCap', watts: 400 }, reason: 'test cap', expiresInS: 600 },
  'override:clear': { id: 'ov-1', reason: 'done' },
  'automation:set': { row: 'A', enabled: false, reason: 'maintenance' },
  'brake:row': { row: 'A', engage: true, reason: 'emergency', confirmRow: 'A' },
  'policy:set': { config: {}, reason: 'tune' },
  'alerts:ack': { id: 'a-1' },
  'alerts:ackGroup': { group: 'rowPower80/A' },
  'drill:start': { drill: 'cooling-loss-c', automation: false, reason: 'drill' },
  'drill:end': { reason: 'done' },
  'alerts:silence': { matchers: [{ field: 'row', value: 'A' }], durationS: 600, comment: 'noisy' },
  'alerts:unsilence': { id: 's-1', reason: 'done' },
  'sources:test': { source: { kind: 'dcgm', id: 'd1', url: 'http://127.0.0.1:9400/metrics' } },
  'sources:add': { source: { kind: 'dcgm', id: 'd1', url: 'http://127.0.0.1:9400/metrics' }, reason: 'new host' },
  'sources:remove': { id: 'd1', reason: 'gone' },
  'incident:save': { fromMs: 0, toMs: 60_000, title: 'copy', reason: 'keep it' },
  'planner:sweep': { fromServers: 40, toServers: 40, step: 1, durationS: 60 },
  'planner:cancel': {},
  'plant:lift': { device: 'UPS1/module', reason: 'operator takes over' },
};

describe('a recording in the console (read-only playback)', () => {
  it('starts at the recording: the status names it, and frames play back equal to the recorded values at the same instants', () => {
    const st = rt.runner.status();
    expect(st.recording).toEqual({ file: 'seed7.headroom', t0Ms: t0, t1Ms: t1 });
    expect(rt.engine.topology.gpuCount).toBe(1280);
    const db = openRecording(rec);
    try {
      for (let i = 0; i < 30; i++) {
        rt.engine.tick();
        const f = recordedFrameAt(db, rt.engine.nowMs)!;
        expect(f).not.toBeNull();
        expect(Array.from(rt.engine.live.powerW)).toEqual(Array.from(f.powerW));
        expect(Array.from(rt.engine.live.limitW)).toEqual(Array.from(f.limitW));
      }
      expect(rt.engine.nowMs).toBe(t0 + 29_000);
      // % of budget is against the recorded budgets, not the topology's defaults.
      const budgets = recordedEvents(db).filter((e) => e.kind === 'budget' && e.tMs <= rt.engine.nowMs);
      const rowA = budgets.filter((e) => e.subject === 'A').at(-1)!;
      expect(rt.engine.rowBudgetKW[0]).toBe(rowA.body.budgetKW);
    } finally {
      db.close();
    }
  });

  it('seeks: the engine reads the frame at the new time at once; outside the recording is refused', async () => {
    const at = t0 + 300_000;
    // Playback control is open to viewers in a recording: it moves the console's time, not the fleet's.
    const r = await call('sim:control', { action: 'seek', tMs: at }, { user: 'vic', role: 'viewer' });
    expect(r).toMatchObject({ ok: true, result: { simTimeMs: at } });
    const db = openRecording(rec);
    try {
      expect(Array.from(rt.engine.live.powerW)).toEqual(Array.from(recordedFrameAt(db, at)!.powerW));
    } finally {
      db.close();
    }
    expect(await call('sim:control', { action: 'seek', tMs: t1 + 60_000 })).toMatchObject({ ok: false, error: expect.stringMatching(/outside the recording/) });
    expect(await call('sim:control', { action: 'seek', tMs: 'soon' })).toMatchObject({ ok: false });
  });

  it('past the end the runner pauses', async () => {
    rt.runner.seek(t1 - 5000);
    rt.runner.setSpeed(600);
    rt.runner.resume();
    for (let i = 0; i < 50 && !rt.runner.paused; i++) {
      await new Promise((r) => setTimeout(r, 20));
      rt.runner.turn();
    }
    expect(rt.runner.paused).toBe(true);
    expect(rt.engine.nowMs).toBe(t1);
    rt.runner.setSpeed(1);
  });

  it('refuses every acting channel (from the role table) with "<file> is a recording: read-only"', async () => {
    const acting = (Object.keys(channelRoles) as RequestChannel[]).filter((c) => channelRoles[c] !== 'viewer' && c !== 'sim:control');
    expect(acting.sort()).toEqual(Object.keys(ACTING).sort());
    for (const c of acting) {
      expect(await call(c, ACTING[c]), c).toEqual({ ok: false, error: `${c}: seed7.headroom is a recording: read-only` });
    }
    // Reads still answer; nothing is in force (the control service does not act on recorded data).
    expect(await call('control:summary', {})).toMatchObject({ ok: true });
    expect(rt.control.summary().overrides).toEqual([]);
  });

  it("leaves the file's bytes unchanged", async () => {
    expect((await call('telemetry:events', { fromMs: t0, toMs: t1 + 1 })) as { ok: boolean }).toMatchObject({ ok: true });
    expect(sha()).toBe(before);
  });
});
