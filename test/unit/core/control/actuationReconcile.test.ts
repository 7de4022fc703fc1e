import { describe, expect, it } from 'vitest';
import { ActuationConfigSchema, type ActuationConfig } from '../../../../shared/domain/control.js';
import { ClockEvent, SampleFlag } from '../../../../shared/domain/fleet.js';
import type { GpuModel } from '../../../../shared/domain/topology.js';
import { Actuation, ALARM, CH, type Channel, type Readback } from '../../../../main/core/control/actuation.js';
import { Arbiter } from '../../../../main/core/control/arbiter.js';
import { H100 } from '../../../helpers.js';

/**
 * What the reconcile against read-back promises: which read-back confirms a setpoint on each channel (limit, lock,
 * brake), when an alarm is raised and counted, when a value is re-sent (only once confirmed, then at most once per
 * correctionS), that unreadable GPUs are left alone, and what is adopted from GPUs nobody has commanded yet.
 */

const H100_600: GpuModel = { ...H100, id: 'H100-600', defaultLimitW: 600 };
const CS = ClockEvent.clocksSetting;
const PB = ClockEvent.hwPowerBrake;

function rig(n: number, cfg: Partial<ActuationConfig> = {}, models: readonly GpuModel[] = [H100]) {
  const arb = new Arbiter(n);
  const auto = arb.addLayer('POLCA', 'auto');
  const act = new Actuation(n, new Int32Array(n), models, ActuationConfigSchema.parse({ capPath: 'inBand', inBandS: 0, brakeS: 0, ...cfg }));
  const applied: Array<{ t: number; gpu: number; ch: Channel; value: number }> = [];
  let now = 0;
  const sink = { apply: (gpu: number, ch: Channel, value: number) => applied.push({ t: now, gpu, ch, value }) };
  const tick = (tMs: number) => {
    now = tMs;
    arb.decide();
    return act.step(tMs, arb.out, sink);
  };
  /** Reconcile every second over [from, to] against the same read-back; returns the last alarm count. */
  const hold = (from: number, to: number, rb: Readback, stale = false) => {
    let alarms = -1;
    for (let t = from; t <= to; t += 1000) {
      now = t;
      alarms = act.reconcile(t, rb, stale, sink);
    }
    return alarms;
  };
  return { arb, auto, act, applied, tick, hold };
}

const rb = (limitW: number[], clockMHz: number[], flags: number[]): Readback => ({ limitW, clockMHz, flags });

describe('actuation: reconcile against read-back', () => {
  it('read-back within 1 W of the limit and at most 1 MHz above the lock confirms them: no alarm, no re-send', () => {
    const r = rig(2);
    r.auto.limitW.fill(450);
    r.auto.lockMHz.fill(1500);
    r.tick(0);
    expect(r.hold(1000, 30_000, rb([451, 449], [1501, 1500], [CS, CS]))).toBe(0);
    expect(Array.from(r.act.alarm)).toEqual([0, 0]);
    expect(r.act.reapplied).toBe(0);
  });

  it('with no lock in effect full clocks confirm it; a GPU still reporting a lock (clocks-setting) raises the lock alarm', () => {
    const r = rig(2, { minChangeIntervalS: 0 });
    r.auto.lockMHz.fill(1500);
    r.tick(0);
    r.hold(1000, 1000, rb([700, 700], [1500, 1500], [CS, CS]));
    r.auto.lockMHz.fill(0);
    r.tick(2000);
    expect(Array.from(r.act.eff[CH.lock])).toEqual([0, 0]);
    expect(r.hold(3000, 20_000, rb([700, 700], [1980, 1500], [0, CS]))).toBe(1);
    expect(Array.from(r.act.alarm)).toEqual([0, ALARM.lock]);
  });

  it('the brake is confirmed by the power-brake flag; a missing flag, or one left on after the release, raises the brake alarm', () => {
    const r = rig(2, { minChangeIntervalS: 0 });
    r.auto.brake.fill(1);
    r.tick(0);
    expect(r.hold(1000, 15_000, rb([700, 700], [1980, 1980], [PB, 0]))).toBe(1);
    expect(Array.from(r.act.alarm)).toEqual([0, ALARM.brake]);
    r.auto.brake.fill(0);
    r.tick(16_000);
    expect(Array.from(r.act.eff[CH.brake])).toEqual([0, 0]);
    expect(r.hold(17_000, 30_000, rb([700, 700], [1980, 1980], [PB, 0]))).toBe(1);
    expect(Array.from(r.act.alarm)).toEqual([ALARM.brake, 0]);
  });

  it('a landed command the read-back does not show yet is not re-sent: it is alarmed correctionS later', () => {
    const r = rig(1);
    r.hold(0, 0, rb([700], [1980], [0])); // the default limit, confirmed
    r.auto.limitW[0] = 450;
    r.tick(1000);
    expect(r.hold(1000, 10_000, rb([700], [1980], [0]))).toBe(0);
    expect(r.hold(11_000, 20_000, rb([700], [1980], [0]))).toBe(1);
    expect(r.act.alarm[0]).toBe(ALARM.limit);
    expect(r.applied).toEqual([{ t: 1000, gpu: 0, ch: CH.limit, value: 450 }]);
    expect(r.act.reapplied).toBe(0);
  });

  it('a confirmed setpoint that drifts is re-sent at once on every channel, then at most once per correctionS', () => {
    const r = rig(1, { correctionS: 10 });
    r.auto.limitW[0] = 450;
    r.auto.lockMHz[0] = 1500;
    r.auto.brake[0] = 1;
    r.tick(0);
    r.hold(1000, 1000, rb([450], [1500], [CS | PB]));
    r.applied.length = 0;
    const lost = rb([700], [1980], [0]); // the agent restarted and lost every cap
    r.hold(2000, 2000, lost);
    const resent = [
      { t: 2000, gpu: 0, ch: CH.limit, value: 450 },
      { t: 2000, gpu: 0, ch: CH.lock, value: 1500 },
      { t: 2000, gpu: 0, ch: CH.brake, value: 1 },
    ];
    expect(r.applied).toEqual(resent);
    r.hold(3000, 11_000, lost);
    expect(r.applied).toHaveLength(3);
    r.hold(12_000, 12_000, lost);
    expect(r.applied.slice(3)).toEqual(resent.map((a) => ({ ...a, t: 12_000 })));
    expect(r.act.reapplied).toBe(6);
  });

  it("a command landing on one channel keeps another channel's confirmation: a drifted lock is still re-sent", () => {
    const r = rig(1, { minChangeIntervalS: 0 });
    r.auto.lockMHz[0] = 1500;
    r.tick(0);
    r.hold(1000, 1000, rb([700], [1500], [CS]));
    r.auto.limitW[0] = 450;
    r.tick(2000);
    r.applied.length = 0;
    r.hold(3000, 3000, rb([450], [1980], [0]));
    expect(r.applied).toEqual([{ t: 3000, gpu: 0, ch: CH.lock, value: 1500 }]);
  });

  it('unreadable GPUs (stale, invalid, shut down) are not reconciled; an alarm already raised stays and is counted', () => {
    const r = rig(3);
    r.auto.limitW.fill(450);
    r.tick(0);
    const { invalid, shutdown, stale } = SampleFlag;
    expect(r.hold(1000, 12_000, rb([700, 700, 700], [1980, 1980, 1980], [0, invalid, shutdown]))).toBe(1);
    expect(Array.from(r.act.alarm)).toEqual([ALARM.limit, 0, 0]);
    expect(r.hold(13_000, 40_000, rb([700, 700, 700], [1980, 1980, 1980], [stale, invalid, shutdown]))).toBe(1);
    expect(Array.from(r.act.alarm)).toEqual([ALARM.limit, 0, 0]);
    expect(r.applied).toHaveLength(3);
    // While the whole source is stale nothing is compared, and the GPUs in alarm are still reported.
    expect(r.hold(41_000, 60_000, rb([450, 700, 700], [1980, 1980, 1980], [0, 0, 0]), true)).toBe(1);
    expect(r.act.alarmCount()).toBe(1);
    expect(r.act.alarm[0]).toBe(ALARM.limit);
  });
});

describe('actuation: adopting what an uncommanded GPU reports', () => {
  it('a reported limit within 1 W of the modelled one is not adopted, and no command follows', () => {
    const r = rig(1);
    r.hold(0, 0, rb([699], [1980], [0]));
    expect(r.act.eff[CH.limit][0]).toBe(700);
    for (let t = 0; t <= 20_000; t += 1000) {
      r.tick(t);
      r.hold(t, t, rb([699], [1980], [0]));
    }
    expect(r.applied).toEqual([]);
    expect(r.act.alarm[0]).toBe(0);
  });

  it("adopts a reported limit exactly at the model's minimum or maximum, nothing beyond them", () => {
    const r = rig(4, {}, [H100_600]);
    r.hold(0, 0, rb([200, 700, 199, 701], [1980, 1980, 1980, 1980], [0, 0, 0, 0]));
    expect(Array.from(r.act.eff[CH.limit])).toEqual([200, 700, 600, 600]);
    expect(Array.from(r.act.req[CH.limit])).toEqual([200, 700, 600, 600]);
  });

  it('a GPU reporting the power brake nobody commanded is adopted as braked (no alarm), then released as a normal release', () => {
    const r = rig(2);
    r.hold(0, 20_000, rb([700, 700], [1980, 1980], [PB, 0]));
    expect(Array.from(r.act.eff[CH.brake])).toEqual([1, 0]);
    expect(Array.from(r.act.req[CH.brake])).toEqual([1, 0]);
    expect([r.act.capped(0), r.act.capped(1)]).toEqual([true, false]);
    expect(Array.from(r.act.alarm)).toEqual([0, 0]);
    let releases = 0;
    for (let t = 21_000; t <= 30_000; t += 1000) releases += r.tick(t).releases;
    expect(releases).toBe(1);
    expect(r.applied).toEqual([expect.objectContaining({ gpu: 0, ch: CH.brake, value: 0 })]);
  });
});
