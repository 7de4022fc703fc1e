import { describe, expect, it } from 'vitest';
import { controlEvents } from '../../../main/core/controlEvents.js';
import { eventText } from '../../../main/app/incidents.js';
import type { ControlSummary, RowControl } from '../../../shared/domain/control.js';

const row = (over: Partial<RowControl> = {}): RowControl => ({ row: 'A', automation: true, stage: 'normal', playbook: null, cappedGpus: 0, brakedGpus: 0, manualBrake: null, deepLock: false, shedServers: 0, ...over });
const summary = (rows: RowControl[], overrides: ControlSummary['overrides'] = []): ControlSummary => ({ rows, overrides, gpuSource: [], counts: { caps: 0, brakes: 0, releases: 0 } });
const ov = { id: 'ov-1', target: { kind: 'row', id: 'A' }, action: { kind: 'powerCap', watts: 500 }, createdBy: 'ana', reason: 'test' } as unknown as ControlSummary['overrides'][number];

describe('control events for the time line', () => {
  it('the first summary states every row', () => {
    expect(controlEvents(null, summary([row()])).map((e) => e.kind)).toEqual(['stage', 'playbook', 'automation', 'brake']);
  });

  it('only what changed: a stage, a playbook, a manual brake, an override set and cleared', () => {
    const a = summary([row(), row({ row: 'B' })]);
    expect(controlEvents(a, a)).toEqual([]);
    const b = summary([row({ stage: 't2', playbook: 'loadSpike' }), row({ row: 'B', manualBrake: { by: 'ana', reason: 'breaker', sinceMs: 1 } })], [ov]);
    expect(controlEvents(a, b)).toEqual([
      { kind: 'stage', subject: 'A', body: { stage: 't2' } },
      { kind: 'playbook', subject: 'A', body: { playbook: 'loadSpike' } },
      { kind: 'brake', subject: 'B', body: { on: true, by: 'ana', reason: 'breaker' } },
      { kind: 'override', subject: 'ov-1', body: { on: true, target: ov.target, action: ov.action, by: 'ana', reason: 'test' } },
    ]);
    expect(controlEvents(b, summary(b.rows, []))).toEqual([{ kind: 'override', subject: 'ov-1', body: { on: false } }]);
  });
});

describe("Headroom's deep lock and shed recommendation on the time line", () => {
  it('a change of either is a stage event that says so; the incident text reads it', () => {
    const prev = summary([row({ stage: 't2' })]);
    const deep = summary([row({ stage: 't2', deepLock: true })]);
    const shed = summary([row({ stage: 'brake', deepLock: true, shedServers: 3 })]);
    expect(controlEvents(prev, deep)).toEqual([{ kind: 'stage', subject: 'A', body: { stage: 't2', deepLock: true } }]);
    const ev = controlEvents(deep, shed);
    expect(ev).toEqual([{ kind: 'stage', subject: 'A', body: { stage: 'brake', deepLock: true, shedServers: 3 } }]);
    expect(eventText('stage', ev[0]!.body)).toBe('brake, deep lock, shed 3 servers (recommended)');
    expect(controlEvents(shed, shed)).toEqual([]);
  });
});
