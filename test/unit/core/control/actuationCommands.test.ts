import { describe, expect, it } from 'vitest';
import { ActuationConfigSchema, type ActuationConfig } from '../../../../shared/domain/control.js';
import type { GpuModel } from '../../../../shared/domain/topology.js';
import { Actuation, CH, type Channel, type Issued } from '../../../../main/core/control/actuation.js';
import { Arbiter, SOURCE } from '../../../../main/core/control/arbiter.js';
import { H100 } from '../../../helpers.js';

/**
 * What the actuation model promises about the commands it issues: what "none" and nonsense values become, when the
 * rate limit admits a change, what the counters and the audit hook see, that nothing in flight is lost or landed out
 * of order, and which GPUs count as capped.
 */

/** A valid GPU model whose default limit lies below its maximum (the builtin ones default to their maximum). */
const H100_600: GpuModel = { ...H100, id: 'H100-600', defaultLimitW: 600 };

function rig(n = 1, cfg: Partial<ActuationConfig> = {}, models: readonly GpuModel[] = [H100]) {
  const arb = new Arbiter(n);
  const auto = arb.addLayer('POLCA', 'auto');
  const act = new Actuation(n, new Int32Array(n), models, ActuationConfigSchema.parse(cfg));
  const applied: Array<{ t: number; gpu: number; ch: Channel; value: number }> = [];
  const issued: Issued[] = [];
  let now = 0;
  const sink = { apply: (gpu: number, ch: Channel, value: number) => applied.push({ t: now, gpu, ch, value }) };
  const tick = (tMs: number, opts: { holdReleases?: boolean } = {}) => {
    now = tMs;
    arb.decide();
    return act.step(tMs, arb.out, sink, (c) => issued.push(c), opts);
  };
  return { arb, auto, act, applied, issued, tick, sink };
}

const instant = { capPath: 'inBand', inBandS: 0, brakeS: 0 } as const;

describe('actuation: the commands issued', () => {
  it('NaN, ±Infinity, zero and negative setpoints mean "none": no lock, the default limit, never a command', () => {
    const r = rig(4, instant);
    const d = new Arbiter(4).out;
    d.lockMHz.set([Infinity, NaN, -1, 0]);
    d.limitW.set([NaN, Infinity, -Infinity, 0]);
    d.lockSrc.fill(SOURCE.emergency);
    d.limitSrc.fill(SOURCE.emergency);
    for (let t = 0; t <= 20_000; t += 1000) r.act.step(t, d, r.sink);
    expect(r.applied).toEqual([]);
    for (const v of [Infinity, NaN, -5, 0]) {
      expect(r.act.target(0, CH.lock, v)).toBe(0);
      expect(r.act.target(0, CH.limit, v)).toBe(H100.defaultLimitW);
    }
    expect(r.act.target(0, CH.brake, 7)).toBe(0);
  });

  it("a model's default limit below its maximum is the starting limit, what 'none' means, and not a cap", () => {
    const r = rig(1, instant, [H100_600]);
    expect([r.act.req[CH.limit][0], r.act.eff[CH.limit][0], r.act.defaultLimitW(0)]).toEqual([600, 600, 600]);
    expect(r.act.target(0, CH.limit, NaN)).toBe(600);
    expect(r.act.target(0, CH.limit, 650)).toBe(650);
    expect(r.act.target(0, CH.limit, 5000)).toBe(700);
    expect(r.act.capped(0)).toBe(false);
  });

  it('tightening means a different, more restrictive value: brake on, a lock where none was or a lower one, a lower limit', () => {
    expect([Actuation.tightens(CH.brake, 0, 1), Actuation.tightens(CH.brake, 1, 0), Actuation.tightens(CH.brake, 0, 0), Actuation.tightens(CH.brake, 1, 1)]).toEqual([true, false, false, false]);
    expect([Actuation.tightens(CH.lock, 0, 1500), Actuation.tightens(CH.lock, 1500, 1200), Actuation.tightens(CH.lock, 1200, 1500), Actuation.tightens(CH.lock, 1500, 0)]).toEqual([true, true, false, false]);
    expect([Actuation.tightens(CH.lock, 1500, 1500), Actuation.tightens(CH.limit, 450, 450)]).toEqual([false, false]);
    expect([Actuation.tightens(CH.limit, 700, 450), Actuation.tightens(CH.limit, 450, 700)]).toEqual([true, false]);
  });

  it('the rate limit admits the next change exactly minChangeIntervalS after the previous one', () => {
    const r = rig(1, { minChangeIntervalS: 5 });
    r.auto.lockMHz[0] = 1790;
    expect(r.tick(0).caps).toBe(1);
    r.auto.lockMHz[0] = 1559;
    expect(r.tick(4999).deferred).toBe(1);
    const s = r.tick(5000);
    expect([s.caps, s.deferred]).toEqual([1, 0]);
    expect(r.act.req[CH.lock][0]).toBe(1559);
  });

  it('an automatic brake is exempt from the rate limit: it goes out right after another change', () => {
    const r = rig(1, { minChangeIntervalS: 5 });
    r.auto.lockMHz[0] = 1500;
    r.tick(0);
    r.auto.brake[0] = 1;
    const s = r.tick(1000);
    expect([s.brakesOn, s.deferred]).toEqual([1, 0]);
    expect(r.act.req[CH.brake][0]).toBe(1);
  });

  it('with no rate limit configured a release goes out in the step that asks for it (no stagger wait)', () => {
    const r = rig(2, { ...instant, minChangeIntervalS: 0 });
    r.auto.lockMHz.fill(1500);
    r.tick(0);
    r.auto.lockMHz.fill(0);
    expect(r.tick(1000).releases).toBe(2);
    expect(Array.from(r.act.eff[CH.lock])).toEqual([0, 0]);
  });

  it('counts caps, brakes on, releases (brake off included), held-back releases and landed commands per step', () => {
    const r = rig(1, { ...instant, minChangeIntervalS: 5 });
    r.auto.lockMHz[0] = 1500;
    r.auto.brake[0] = 1;
    expect(r.tick(0)).toEqual({ caps: 1, releases: 0, brakesOn: 1, landed: 2, deferred: 0 });
    r.auto.lockMHz[0] = 0;
    r.auto.brake[0] = 0;
    // Stale telemetry: both releases are held back, and counted as such.
    expect(r.tick(10_000, { holdReleases: true })).toEqual({ caps: 0, releases: 0, brakesOn: 0, landed: 0, deferred: 2 });
    expect(r.tick(11_000, { holdReleases: true }).deferred).toBe(2);
    const later: Array<ReturnType<typeof r.tick>> = [];
    for (let t = 20_000; t <= 30_000; t += 1000) later.push(r.tick(t));
    const sum = (k: 'caps' | 'releases' | 'brakesOn' | 'landed') => later.reduce((a, s) => a + s[k], 0);
    expect([sum('caps'), sum('releases'), sum('brakesOn'), sum('landed')]).toEqual([0, 2, 0, 2]);
    expect([r.act.eff[CH.lock][0], r.act.eff[CH.brake][0]]).toEqual([0, 0]);
  });

  it('the audit hook sees each issued command: GPU, channel, value, previous value, direction, source, reason, effect time', () => {
    const r = rig(1, { minChangeIntervalS: 0 });
    const why = r.arb.why('row A over budget');
    r.auto.lockMHz[0] = 1500;
    r.auto.lockWhy[0] = why;
    r.tick(0);
    r.auto.lockMHz[0] = 0;
    for (let t = 1000; t <= 3000; t += 1000) r.tick(t);
    expect(r.issued[0]).toEqual({ gpu: 0, ch: CH.lock, value: 1500, prev: 0, tighten: true, source: SOURCE.auto, why, effectAtMs: 40_000 });
    expect(r.issued[1]).toMatchObject({ gpu: 0, ch: CH.lock, value: 0, prev: 1500, tighten: false, source: SOURCE.none });
    expect(r.issued).toHaveLength(2);
  });

  it('more commands in flight than the initial queue holds (1024): none is lost, each lands at its own time', () => {
    const n = 1100;
    const r = rig(n);
    r.auto.lockMHz.fill(1500);
    r.tick(0);
    r.auto.brake.fill(1);
    r.tick(1000);
    expect(r.act.pendingCount).toBe(2 * n);
    expect(r.act.pending(n - 1)).toEqual([
      { ch: CH.lock, value: 1500, issuedAtMs: 0, effectAtMs: 40_000 },
      { ch: CH.brake, value: 1, issuedAtMs: 1000, effectAtMs: 6000 },
    ]);
    expect(r.act.pending(0)[0]).toEqual({ ch: CH.lock, value: 1500, issuedAtMs: 0, effectAtMs: 40_000 });
    expect(r.tick(6000).landed).toBe(n);
    expect(r.act.pendingCount).toBe(n);
    expect(r.tick(40_000).landed).toBe(n);
    expect(r.act.pendingCount).toBe(0);
    const brakes = r.applied.filter((a) => a.ch === CH.brake && a.value === 1 && a.t === 6000);
    const locks = r.applied.filter((a) => a.ch === CH.lock && a.value === 1500 && a.t === 40_000);
    expect([brakes.length, locks.length, r.applied.length]).toEqual([n, n, 2 * n]);
    expect(r.act.eff[CH.lock].every((v) => v === 1500)).toBe(true);
  });

  it('a brake and a lock issued together: the brake lands after 5 s and the lock still after 40 s', () => {
    const r = rig(1);
    r.auto.lockMHz[0] = 1500;
    r.auto.brake[0] = 1;
    for (let t = 0; t <= 45_000; t += 1000) r.tick(t);
    expect(r.applied).toEqual([
      { t: 5000, gpu: 0, ch: CH.brake, value: 1 },
      { t: 40_000, gpu: 0, ch: CH.lock, value: 1500 },
    ]);
  });

  it('a later command supersedes one still in flight, even when it lands first (cap path switched to in-band)', () => {
    const r = rig(1, { minChangeIntervalS: 5 });
    r.auto.lockMHz[0] = 1500;
    r.tick(0); // out of band: lands at 40 s
    r.act.cfg = { ...r.act.cfg, capPath: 'inBand' };
    r.auto.lockMHz[0] = 1200;
    for (let t = 5000; t <= 45_000; t += 1000) r.tick(t);
    expect(r.applied).toEqual([{ t: 6000, gpu: 0, ch: CH.lock, value: 1200 }]);
    expect(r.act.eff[CH.lock][0]).toBe(1200);
    expect(r.act.pendingCount).toBe(0);
  });

  it('a GPU is capped by a lock, by a limit below its default, or by the brake, each alone; not at its default', () => {
    const r = rig(4, instant, [H100_600]);
    r.auto.lockMHz[0] = 1500;
    r.auto.limitW[1] = 450;
    r.auto.brake[2] = 1;
    r.tick(0);
    expect([0, 1, 2, 3].map((g) => r.act.capped(g))).toEqual([true, true, true, false]);
    // A limit above the default (up to the model's maximum) is no cap.
    r.auto.limitW[1] = 0;
    const d = r.arb.out;
    r.arb.decide();
    d.limitW[3] = 680;
    for (let t = 10_000; t <= 20_000; t += 1000) r.act.step(t, d, r.sink);
    expect([r.act.eff[CH.limit][1], r.act.eff[CH.limit][3]]).toEqual([600, 680]);
    expect([r.act.capped(1), r.act.capped(3)]).toEqual([false, false]);
  });
});
