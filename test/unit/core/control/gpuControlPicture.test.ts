import { describe, expect, it } from 'vitest';
import { ActuationConfigSchema, type ActuationConfig, type Override } from '../../../../shared/domain/control.js';
import { Actuation } from '../../../../main/core/control/actuation.js';
import { Arbiter } from '../../../../main/core/control/arbiter.js';
import { countInEffect, gpuControl } from '../../../../main/core/control/gpuControl.js';
import { mergeOverrides } from '../../../../main/core/control/manualLayer.js';
import { H100 } from '../../../helpers.js';

/**
 * The operator's picture of one GPU: requested versus in-effect values (the brake included), the alarm text per
 * channel, the overrides that lost to a lower one, the exempt flag as the arbiter sees it; and the per-row counts of
 * capped and braked GPUs.
 */

const ov = (id: string, action: Override['action'], gpus: number[]): Override => ({ id, target: { kind: 'gpus', ids: gpus }, action, gpus, reason: 'work', createdBy: 'bob', createdAtMs: 0, expiresAtMs: 1 });

function rig(n: number, cfg: Partial<ActuationConfig> = {}) {
  const arbiter = new Arbiter(n);
  const auto = arbiter.addLayer('POLCA', 'auto');
  const manual = arbiter.addLayer('override', 'manual');
  const actuation = new Actuation(n, new Int32Array(n), [H100], ActuationConfigSchema.parse({ capPath: 'inBand', inBandS: 0, brakeS: 0, ...cfg }));
  const sink = { apply: () => {} };
  let overrides: Override[] = [];
  const setOverrides = (o: Override[]) => {
    overrides = o;
    mergeOverrides(o, manual, arbiter.exempt, (t) => arbiter.why(t));
  };
  const step = (t: number) => {
    arbiter.decide();
    actuation.step(t, arbiter.out, sink);
  };
  const picture = (g: number) => gpuControl(g, { actuation, arbiter, overrides, correctionS: 10, startMs: 0 });
  return { arbiter, auto, actuation, sink, setOverrides, step, picture };
}

describe('GPU control picture: values, alarms, reasons', () => {
  it('requested and in-effect values, the brake included, differ until the command lands', () => {
    const r = rig(2, { brakeS: 5 });
    r.auto.brake[0] = 1;
    r.auto.limitW[0] = 450;
    r.step(0);
    expect(r.picture(0).requested).toMatchObject({ limitW: 450, lockMHz: 0, brake: true });
    expect(r.picture(0).inEffect).toEqual({ limitW: 450, lockMHz: 0, brake: false });
    r.step(5000);
    expect(r.picture(0).inEffect).toEqual({ limitW: 450, lockMHz: 0, brake: true });
    expect(r.picture(1).requested).toMatchObject({ limitW: 700, lockMHz: 0, brake: false, source: 'none' });
    expect(r.picture(1).inEffect).toEqual({ limitW: 700, lockMHz: 0, brake: false });
  });

  it('the alarm names each channel whose in-effect value is not seen in read-back, and how long after', () => {
    const r = rig(1);
    r.auto.limitW[0] = 450;
    r.auto.lockMHz[0] = 1559;
    r.auto.brake[0] = 1;
    r.step(0);
    for (let t = 0; t <= 10_000; t += 1000) r.actuation.reconcile(t, { limitW: [700], clockMHz: [1980], flags: [0] }, false, r.sink);
    const parts = r.picture(0).alarm!.split('; ');
    expect(parts).toHaveLength(3);
    expect(parts[0]).toBe('power limit 450 W not seen in read-back 10 s after it took effect');
    expect(parts[1]).toBe('clock lock 1559 MHz not seen in read-back 10 s after it took effect');
    expect(parts[2]).toBe('power brake on not seen in read-back 10 s after it took effect');
  });

  it('the alarm names only the channels in alarm; none is null', () => {
    const r = rig(2);
    r.auto.lockMHz[0] = 1559;
    r.step(0);
    for (let t = 0; t <= 10_000; t += 1000) r.actuation.reconcile(t, { limitW: [700, 700], clockMHz: [1980, 1980], flags: [0, 0] }, false, r.sink);
    expect(r.picture(0).alarm).toBe('clock lock 1559 MHz not seen in read-back 10 s after it took effect');
    expect(r.picture(1).alarm).toBeNull();
  });

  it('a clock-lock override that lost to a lower one is listed, even when automation asks for the same value', () => {
    const r = rig(1);
    r.auto.lockMHz[0] = 1500;
    r.setOverrides([ov('ov-1', { kind: 'clockLock', mhz: 1500 }, [0]), ov('ov-2', { kind: 'clockLock', mhz: 1200 }, [0])]);
    r.step(0);
    const c = r.picture(0);
    expect(c.reasons.filter((x) => x.source === 'manual')).toEqual([
      { source: 'manual', what: 'clock lock 1200 MHz', why: 'override ov-2 by bob: work' },
      { source: 'manual', what: 'clock lock 1500 MHz', why: 'override ov-1 by bob: work (a lower value wins)' },
    ]);
    expect(c.reasons.some((x) => x.source === 'auto' && x.what === 'clock lock 1500 MHz')).toBe(true);
    expect(c.exempt).toBe(false);
  });

  it("the exempt flag and reason follow the arbiter's flags, never an override it has not merged", () => {
    const r = rig(2);
    r.setOverrides([ov('ov-9', { kind: 'exempt' }, [0])]);
    r.step(0);
    expect(r.picture(0).exempt).toBe(true);
    expect(r.picture(0).reasons).toContainEqual({ source: 'manual', what: 'exempt from automation', why: 'override ov-9 by bob: work' });
    expect(r.picture(1).exempt).toBe(false);
    // Flags and list out of step (an override ending between the merge and the picture): no reason is made up.
    r.arbiter.exempt[1] = 1;
    expect(r.picture(1).exempt).toBe(true);
    expect(r.picture(1).reasons).toEqual([]);
    r.arbiter.exempt[0] = 0;
    expect(r.picture(0).exempt).toBe(false);
    expect(r.picture(0).reasons.some((x) => x.what === 'exempt from automation')).toBe(false);
  });
});

describe('GPUs capped and braked per row', () => {
  it("counts each row's own GPUs only: a cap, lock or brake in effect is capped; the brake is also braked", () => {
    const r = rig(6);
    r.auto.lockMHz[0] = 1500;
    r.auto.brake[2] = 1;
    r.auto.limitW[3] = 450;
    r.step(0);
    const capped = new Int32Array(2);
    const braked = new Int32Array(2);
    countInEffect(r.actuation, Int32Array.of(0, 2), Int32Array.of(2, 6), capped, braked);
    expect([Array.from(capped), Array.from(braked)]).toEqual([
      [1, 2],
      [0, 1],
    ]);
  });
});
