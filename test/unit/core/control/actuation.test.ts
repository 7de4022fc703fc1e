import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ActuationConfigSchema, type ActuationConfig } from '../../../../shared/domain/control.js';
import { ClockEvent } from '../../../../shared/domain/fleet.js';
import { Actuation, ALARM, CH, type Channel } from '../../../../main/core/control/actuation.js';
import { Arbiter, SOURCE } from '../../../../main/core/control/arbiter.js';
import { A100, H100 } from '../../../helpers.js';

const models = [H100, A100];

function rig(n = 4, cfg: Partial<ActuationConfig> = {}) {
  const arb = new Arbiter(n);
  const auto = arb.addLayer('POLCA', 'auto');
  const em = arb.addLayer('playbook', 'emergency');
  const act = new Actuation(n, new Int32Array(n), models, ActuationConfigSchema.parse(cfg));
  const applied: Array<{ t: number; gpu: number; ch: Channel; value: number }> = [];
  let now = 0;
  const sink = { apply: (gpu: number, ch: Channel, value: number) => applied.push({ t: now, gpu, ch, value }) };
  const tick = (tMs: number) => {
    now = tMs;
    arb.decide();
    return act.step(tMs, arb.out, sink);
  };
  return { arb, auto, em, act, applied, tick, sink };
}

describe('actuation model', () => {
  it('a lock takes the out-of-band latency (40 s); the brake 5 s; in-band 1 s', () => {
    const r = rig();
    r.auto.lockMHz[0] = 1559;
    r.em.brake[1] = 1;
    r.tick(0);
    expect(r.act.req[CH.lock][0]).toBe(1559);
    expect(r.act.eff[CH.lock][0]).toBe(0);
    expect(r.act.pending(0)).toEqual([{ ch: CH.lock, value: 1559, issuedAtMs: 0, effectAtMs: 40_000 }]);
    for (let t = 1000; t <= 40_000; t += 1000) r.tick(t);
    expect(r.applied).toEqual([
      { t: 5000, gpu: 1, ch: CH.brake, value: 1 },
      { t: 40_000, gpu: 0, ch: CH.lock, value: 1559 },
    ]);
    const ib = rig(1, { capPath: 'inBand' });
    ib.auto.lockMHz[0] = 1559;
    ib.tick(0);
    ib.tick(1000);
    expect(ib.applied).toEqual([{ t: 1000, gpu: 0, ch: CH.lock, value: 1559 }]);
  });

  it('rate-limits automatic changes per GPU; brake and emergency cap-downs are exempt', () => {
    const r = rig(1);
    r.auto.lockMHz[0] = 1790;
    expect(r.tick(0).caps).toBe(1);
    r.auto.lockMHz[0] = 1559;
    const s = r.tick(1000);
    expect(s.caps).toBe(0);
    expect(s.deferred).toBe(1);
    r.em.lockMHz[0] = 1200;
    r.em.brake[0] = 1;
    const e = r.tick(2000);
    expect(e.caps).toBe(1);
    expect(e.brakesOn).toBe(1);
    expect(r.act.req[CH.lock][0]).toBe(1200);
  });

  it('staggers releases across GPUs (no row-wide uncap in one step)', () => {
    const n = 64;
    const r = rig(n);
    for (let g = 0; g < n; g++) r.auto.lockMHz[g] = 1559;
    r.tick(0);
    r.auto.lockMHz.fill(0);
    const perTick: number[] = [];
    for (let t = 10_000; t <= 16_000; t += 1000) perTick.push(r.tick(t).releases);
    expect(perTick.reduce((a, b) => a + b, 0)).toBe(n);
    expect(Math.max(...perTick)).toBeLessThan(n / 2);
  });

  it('clamps to each GPU model and never emits NaN (property, any input)', () => {
    const anyNum = fc.oneof(fc.double(), fc.constant(NaN), fc.constant(Infinity), fc.constant(-Infinity), fc.integer({ min: -5000, max: 5000 }));
    let commands = 0;
    fc.assert(
      fc.property(fc.array(fc.tuple(anyNum, anyNum, fc.boolean(), fc.constantFrom(0, 1)), { minLength: 1, maxLength: 20 }), (gpus) => {
        const n = gpus.length;
        const act = new Actuation(n, Int32Array.from(gpus, (x) => x[3]), models, ActuationConfigSchema.parse({ capPath: 'inBand', inBandS: 0, brakeS: 0 }));
        const d = new Arbiter(n).out;
        gpus.forEach(([lock, limit, brake], g) => {
          d.lockMHz[g] = lock;
          d.limitW[g] = limit;
          d.brake[g] = brake ? 1 : 0;
          d.lockSrc[g] = SOURCE.emergency;
          d.limitSrc[g] = SOURCE.emergency;
        });
        act.step(0, d, {
          apply: (g, ch, v) => {
            commands++;
            const m = models[gpus[g]![3]]!;
            expect(Number.isFinite(v)).toBe(true);
            if (ch === CH.limit) expect(v >= m.minLimitW && v <= m.maxLimitW).toBe(true);
            if (ch === CH.lock) expect(v === 0 || (v >= m.minClockMHz && v <= m.maxClockMHz)).toBe(true);
            if (ch === CH.brake) expect([0, 1]).toContain(v);
          },
        });
      }),
      { numRuns: 5000, seed: 11 },
    );
    console.log(`actuation clamping property: 5000 runs, ${commands} commands, all within model limits, 0 NaN`);
  });

  it('raises an alarm when a landed command is not seen in read-back correctionS after its effect, clears it when seen', () => {
    const r = rig(1);
    r.auto.lockMHz[0] = 1559;
    const rb = { limitW: [700], clockMHz: [1980], flags: [0] };
    for (let t = 0; t <= 40_000; t += 1000) {
      r.act.reconcile(t, rb, false, r.sink);
      r.tick(t);
    }
    expect(r.act.eff[CH.lock][0]).toBe(1559);
    for (let t = 41_000; t < 50_000; t += 1000) r.act.reconcile(t, rb, false, r.sink);
    expect(r.act.alarm[0]).toBe(0);
    r.act.reconcile(51_000, rb, false, r.sink); // 10 s after the first read-back that should have shown it
    expect(r.act.alarm[0]).toBe(ALARM.lock);
    r.act.reconcile(52_000, { limitW: [700], clockMHz: [1500], flags: [ClockEvent.clocksSetting] }, false, r.sink);
    expect(r.act.alarm[0]).toBe(0);
  });

  it('re-applies a confirmed setpoint that drifted (agent restart lost the caps) at once', () => {
    const r = rig(1, { capPath: 'inBand', inBandS: 0 });
    r.auto.limitW[0] = 450;
    r.tick(0);
    r.act.reconcile(1000, { limitW: [450], clockMHz: [1500], flags: [0] }, false, r.sink);
    r.applied.length = 0;
    r.act.reconcile(2000, { limitW: [700], clockMHz: [1980], flags: [0] }, false, r.sink);
    expect(r.applied).toEqual([{ t: 0, gpu: 0, ch: CH.limit, value: 450 }]);
    expect(r.act.reapplied).toBe(1);
  });

  it("adopts a real GPU's reported limit where nothing was ever asked, then raises it as a staggered release", () => {
    const r = rig(2, { capPath: 'inBand', inBandS: 0, minChangeIntervalS: 5 });
    // Agents start their GPUs at a 420 W safe cap; the model's default is 700 W.
    const rb = { limitW: [420, 420], clockMHz: [1500, 1500], flags: [0, 0] };
    r.act.reconcile(0, rb, false, r.sink);
    expect([r.act.eff[CH.limit][0], r.act.req[CH.limit][1]]).toEqual([420, 420]);
    expect(r.act.alarm[0]).toBe(0);
    // Automation wants no cap: the raise to the default is a release, each GPU at its own offset within 5 s.
    const at: number[] = [];
    for (let t = 0; t <= 6000; t += 250) {
      r.tick(t);
      for (const a of r.applied.splice(0)) if (a.ch === CH.limit && a.value === 700) at[a.gpu] = a.t;
    }
    expect(at).toHaveLength(2);
    expect(at[0]).not.toBe(at[1]);
    expect(Math.max(...at)).toBeLessThanOrEqual(5250);
    // Once something was commanded, a different read-back is a drift to fix, never adopted.
    r.act.reconcile(7000, { limitW: [500, 500], clockMHz: [1500, 1500], flags: [0, 0] }, false, r.sink);
    expect(r.act.eff[CH.limit][0]).toBe(700);
  });

  it('does not adopt while stale, nor an impossible limit', () => {
    const r = rig(1);
    r.act.reconcile(0, { limitW: [420], clockMHz: [0], flags: [0] }, true, r.sink);
    r.act.reconcile(0, { limitW: [5], clockMHz: [0], flags: [0] }, false, r.sink);
    expect(r.act.eff[CH.limit][0]).toBe(700);
  });

  it('skips reconcile while stale (nothing can be confirmed)', () => {
    const r = rig(1, { capPath: 'inBand', inBandS: 0 });
    r.auto.limitW[0] = 450;
    r.tick(0);
    for (let t = 1000; t < 60_000; t += 1000) r.act.reconcile(t, { limitW: [700], clockMHz: [1980], flags: [0] }, true, r.sink);
    expect(r.act.alarm[0]).toBe(0);
  });
});
