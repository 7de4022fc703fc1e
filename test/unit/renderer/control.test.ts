import { describe, expect, it } from 'vitest';
import type { ControlSummary, Override } from '../../../shared/domain/control.js';
import {
  Mark,
  describeAction,
  describeSetpoint,
  expirySeconds,
  formAction,
  gpuMarks,
  modelRange,
  rackMarkText,
  rackMarks,
  reasonError,
  pendingShort,
  setpointsDiffer,
  sourceOf,
} from '../../../renderer/model/control.js';
import { makeTopology } from './fixtures.js';

const t = makeTopology([2, 1]); // 3 racks × 8 GPUs
t.models.push({
  id: 'h100',
  name: 'H100',
  idleW: 70,
  minLimitW: 200,
  maxLimitW: 700,
  defaultLimitW: 700,
  idleClockMHz: 345,
  minClockMHz: 210,
  baseClockMHz: 1590,
  maxClockMHz: 1980,
  maxOperatingC: 85,
  slowdownC: 87,
  shutdownC: 92,
  clockPowerExponent: 1.3,
  thermalResistanceCPerW: 0.05,
  chassisOffsetC: 8,
  thermalTimeConstantS: 20,
});

const ov = (id: string, gpus: number[], action: Override['action']): Override => ({
  id,
  target: { kind: 'gpus', ids: gpus },
  action,
  gpus,
  reason: 'drill',
  createdBy: 'alice',
  createdAtMs: 0,
  expiresAtMs: 3_600_000,
});

function summary(gpuSource: number[], overrides: Override[], brakedRows: string[] = [], brakedGpus: Record<string, number> = {}): ControlSummary {
  const rows = t.rows.map((r) => ({
    row: r.id,
    automation: true,
    stage: brakedRows.includes(r.id) ? ('brake' as const) : ('normal' as const),
    playbook: null,
    cappedGpus: 0,
    brakedGpus: brakedGpus[r.id] ?? 0,
    deepLock: false,
    shedServers: 0,
    manualBrake: null,
  }));
  return { rows, overrides, gpuSource, counts: { caps: 0, brakes: 0, releases: 0 } };
}

describe('control marks', () => {
  it('marks each GPU by who holds it: playbook over manual over automation over exempt', () => {
    const src = new Array(24).fill(0);
    src[0] = 3; // emergency playbook
    src[1] = 2; // manual (cap)
    src[2] = 2; // manual (lock)
    src[3] = 1; // automation
    const s = summary(src, [ov('o1', [0, 1], { kind: 'powerCap', watts: 450 }), ov('o2', [2], { kind: 'clockLock', mhz: 1200 }), ov('o3', [4, 3], { kind: 'exempt' })]);
    const m = gpuMarks(t, s);
    expect([...m.slice(0, 6)]).toEqual([Mark.emergency, Mark.manualCap, Mark.manualLock, Mark.auto, Mark.exempt, Mark.none]);
    expect([...gpuMarks(null, s)]).toEqual([]);
    expect(gpuMarks(t, null).every((x) => x === 0)).toBe(true);
    // Automation's stricter cap may hold a GPU an operator capped: the operator's cap is still shown.
    const both = summary([1, 1], [ov('o4', [0], { kind: 'powerCap', watts: 500 })]);
    expect([...gpuMarks(t, both).slice(0, 2)]).toEqual([Mark.manualCap, Mark.auto]);
  });

  it('brakes every GPU of a row whose stage is brake', () => {
    const m = gpuMarks(t, summary(new Array(24).fill(1), [], ['B']));
    expect(m[15]).toBe(Mark.auto);
    expect([...m.slice(16)].every((x) => x === Mark.brake)).toBe(true);
  });

  it('shows a manual brake (braked GPUs at a normal stage) on the emergency-held GPUs when the count covers them', () => {
    const src = new Array(24).fill(0).fill(3, 16);
    expect([...gpuMarks(t, summary(src, [], [], { B: 8 })).slice(16)].every((x) => x === Mark.brake)).toBe(true);
    // Fewer braked than held: which ones is unknown, they stay "playbook".
    expect([...gpuMarks(t, summary(src, [], [], { B: 3 })).slice(16)].every((x) => x === Mark.emergency)).toBe(true);
    expect(sourceOf(3)).toBe('emergency');
    expect(sourceOf(undefined)).toBe('none');
  });

  it('tags racks with their most serious mark and the manual action when it is the same everywhere', () => {
    const src = new Array(24).fill(0);
    for (let g = 0; g < 8; g++) src[g] = 2;
    for (let g = 8; g < 10; g++) src[g] = 2;
    src[10] = 3;
    const s = summary(src, [ov('a', [0, 1, 2, 3, 4, 5, 6, 7], { kind: 'powerCap', watts: 450 }), ov('b', [8], { kind: 'powerCap', watts: 300 }), ov('c', [9], { kind: 'clockLock', mhz: 1100 })], ['B']);
    const racks = rackMarks(t, gpuMarks(t, s), s.overrides);
    expect(racks[0]).toMatchObject({ mark: Mark.manualCap, tag: 'cap 450 W', counts: { manual: 8, brake: 0 } });
    // A playbook holds one GPU, operators two others: the operators' actions name the rack, the playbook's shape shows.
    expect(racks[1]).toMatchObject({ mark: Mark.emergency, tag: 'manual ×2', counts: { manual: 2, emergency: 1 } });
    expect(racks[2]).toMatchObject({ mark: Mark.brake, tag: 'BRAKE', counts: { brake: 8 } });
    expect(rackMarkText(racks[0]!)).toBe('of 8 GPUs: 8 under manual cap 450 W');
    expect(rackMarkText(null)).toBe('no control actions');
    expect(rackMarks(t, new Uint8Array(24), [])).toEqual([null, null, null]);
  });

  it('describes actions and setpoints with units', () => {
    expect(describeAction({ kind: 'powerCap', watts: 450 })).toBe('power cap 450 W per GPU');
    expect(describeAction({ kind: 'clockLock', mhz: 1200 })).toBe('clock lock 1200 MHz');
    expect(describeAction({ kind: 'exempt' })).toBe('exempt from automation');
    expect(describeSetpoint({ limitW: 450, lockMHz: 0, brake: false })).toBe('450 W');
    expect(describeSetpoint({ limitW: 700, lockMHz: 1200, brake: false })).toBe('700 W · lock 1200 MHz');
    expect(describeSetpoint({ limitW: 700, lockMHz: 0, brake: true })).toBe('brake');
    const same = { limitW: 450, lockMHz: 0, brake: false };
    expect(pendingShort('power limit → 450 W')).toBe('450 W');
    expect(pendingShort('brake')).toBe('brake');
    expect(setpointsDiffer({ requested: { ...same, source: 'manual', since: 0 }, inEffect: same })).toBe(false);
    expect(setpointsDiffer({ requested: { ...same, source: 'manual', since: 0 }, inEffect: { ...same, limitW: 700 } })).toBe(true);
  });
});

describe('override form checks', () => {
  const range = modelRange(t, new Uint8Array(24).fill(1));

  it('reads the GPU models of the selection for the value hint', () => {
    expect(range).toEqual({ minW: 200, maxW: 700, minMHz: 210, maxMHz: 1980 });
    expect(modelRange(t, new Uint8Array(24))).toBeNull();
  });

  it('accepts values in or near the model range, refuses typos and empties', () => {
    expect(formAction('powerCap', '450', range)).toEqual({ ok: true, action: { kind: 'powerCap', watts: 450 } });
    expect(formAction('clockLock', 1200, range)).toEqual({ ok: true, action: { kind: 'clockLock', mhz: 1200 } });
    expect(formAction('exempt', '', range)).toEqual({ ok: true, action: { kind: 'exempt' } });
    expect(formAction('powerCap', '', range)).toMatchObject({ ok: false, error: 'enter a power cap in W' });
    expect(formAction('powerCap', '-5', range)).toMatchObject({ ok: false });
    expect(formAction('powerCap', '45000', range)).toMatchObject({ ok: false, error: expect.stringContaining('200–700 W') });
  });

  it('requires a reason of 3 characters and an expiry of 1 minute to 7 days', () => {
    expect(reasonError('  ')).toMatch(/reason/);
    expect(reasonError('ok')).toMatch(/3 characters/);
    expect(reasonError('drill')).toBeNull();
    expect(expirySeconds('15m', '')).toEqual({ ok: true, seconds: 900 });
    expect(expirySeconds('4h', '')).toEqual({ ok: true, seconds: 14_400 });
    expect(expirySeconds('custom', '90')).toEqual({ ok: true, seconds: 5400 });
    expect(expirySeconds('custom', '')).toMatchObject({ ok: false });
    expect(expirySeconds('custom', '0.5')).toMatchObject({ ok: false, error: expect.stringContaining('1 min') });
    expect(expirySeconds('custom', 20_000)).toMatchObject({ ok: false, error: expect.stringContaining('7 days') });
    expect(expirySeconds('nope', '')).toMatchObject({ ok: false });
  });
});
