import { describe, expect, it } from 'vitest';
import { ActuationConfigSchema, type Override } from '../../../../shared/domain/control.js';
import { Actuation, CH } from '../../../../main/core/control/actuation.js';
import { Arbiter } from '../../../../main/core/control/arbiter.js';
import { countInEffect, describeValue, gpuControl } from '../../../../main/core/control/gpuControl.js';
import { mergeOverrides } from '../../../../main/core/control/manualLayer.js';
import { H100 } from '../../../helpers.js';

const ov = (id: string, action: Override['action'], gpus: number[]): Override => ({ id, target: { kind: 'gpus', ids: gpus }, action, gpus, reason: 'work', createdBy: 'bob', createdAtMs: 0, expiresAtMs: 1 });

describe('GPU control picture', () => {
  it('values in words', () => {
    expect(describeValue(CH.brake, 1, 700)).toBe('power brake on');
    expect(describeValue(CH.brake, 0, 700)).toBe('power brake off');
    expect(describeValue(CH.lock, 1559.4, 700)).toBe('1559 MHz');
    expect(describeValue(CH.lock, 0, 700)).toBe('clock unlocked');
    expect(describeValue(CH.limit, 700, 700)).toBe('default power limit (700 W)');
    expect(describeValue(CH.limit, 450, 700)).toBe('450 W');
  });

  it('lists overrides that lost to a lower one, and the exempt override; pending commands in words', () => {
    const n = 2;
    const arbiter = new Arbiter(n);
    arbiter.addLayer('POLCA', 'auto').lockMHz[0] = 1559;
    const manual = arbiter.addLayer('override', 'manual');
    const overrides = [ov('ov-1', { kind: 'powerCap', watts: 500 }, [0]), ov('ov-2', { kind: 'powerCap', watts: 450 }, [0]), ov('ov-3', { kind: 'exempt' }, [0])];
    mergeOverrides(overrides, manual, arbiter.exempt, (t) => arbiter.why(t));
    arbiter.decide();
    const actuation = new Actuation(n, new Int32Array(n), [H100], ActuationConfigSchema.parse({}));
    actuation.step(1000, arbiter.out, { apply: () => {} });
    const c = gpuControl(0, { actuation, arbiter, overrides, correctionS: 10, startMs: 0 });
    expect(c.requested).toMatchObject({ limitW: 450, lockMHz: 0, source: 'manual', since: 1000 });
    expect(c.exempt).toBe(true);
    expect(c.reasons).toEqual([
      { source: 'manual', what: 'power limit 450 W', why: 'override ov-2 by bob: work' },
      { source: 'auto', what: 'clock lock 1559 MHz', why: ' (ignored: GPU exempt from automation)' },
      { source: 'manual', what: 'power limit 500 W', why: 'override ov-1 by bob: work (a lower value wins)' },
      { source: 'manual', what: 'exempt from automation', why: 'override ov-3 by bob: work' },
    ]);
    expect(c.pending).toEqual([{ what: 'power limit → 450 W', effectAtMs: 41_000 }]);
    expect(c.alarm).toBeNull();
    expect(gpuControl(1, { actuation, arbiter, overrides, correctionS: 10, startMs: 7 }).requested.since).toBe(7);

    const capped = new Int32Array(1);
    const braked = new Int32Array(1);
    countInEffect(actuation, Int32Array.of(0), Int32Array.of(2), capped, braked);
    expect([capped[0], braked[0]]).toEqual([0, 0]);
  });
});
