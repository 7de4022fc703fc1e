import { describe, expect, it } from 'vitest';
import { HeadroomConfigSchema, PolcaConfigSchema } from '../../../../shared/domain/control.js';
import { createHeadroomMemory, expectedRise, headroomLockPct, observeEnvelope, stepEscalation } from '../../../../main/core/control/headroom.js';
import { initialPolcaState, stepPolca, type PolcaRowState } from '../../../../main/core/control/polca.js';

const H = HeadroomConfigSchema.parse({});
const P = PolcaConfigSchema.parse({});
const STEP = 1000;
const LAT = 40;

/** Feed a series (% of budget, one per second) and return the memory. */
function learn(series: number[], cfg = H) {
  const mem = createHeadroomMemory(cfg, STEP, LAT);
  let env = NaN;
  for (const x of series) env = observeEnvelope(mem, x, false);
  return { mem, env };
}

/** A synchronous training row: compute at `hi` for 9 s, communication at `lo` for 3 s. */
const training = (seconds: number, lo: number, hi: number) => Array.from({ length: seconds }, (_, t) => (t % 12 < 9 ? hi : lo));

describe("Headroom's lock level", () => {
  it('reads a training wave as its plateau: the 2 s swings are not learnt as rises', () => {
    const { mem, env } = learn(training(1800, 55, 92));
    expect(env).toBe(92);
    // The envelope is flat once it has seen a crest: the wave's 37-point swings teach nothing.
    expect(expectedRise(mem, H, P)).toBe(H.minRisePct);
    // 92 % + 4 + 2 − (100 − 89) = 87: below T2 — POLCA (raw power) would lock this row at every crest above 89 %.
    expect(headroomLockPct(env, expectedRise(mem, H, P), P, H)).toBe(87);
  });

  it('learns a bursty row: a 20-point rise within the lock latency moves T2 20 − 11 + 2 points earlier', () => {
    const series: number[] = [];
    for (let t = 0; t < 1800; t++) series.push(t % 300 < 200 ? 60 : 80);
    const { mem } = learn(series);
    expect(expectedRise(mem, H, P)).toBe(20);
    // T2 (89 %) is crossed by the lock level at an envelope of 89 + 11 − 2 − 20 = 78 %.
    expect(headroomLockPct(78, 20, P, H)).toBe(89);
  });

  it('a row first seen from nothing is no rise (warm-up); before any history it is POLCA (lock level = envelope)', () => {
    const ramp = Array.from({ length: 600 }, (_, t) => Math.min(80, t * 2));
    const { mem } = learn(ramp);
    expect(expectedRise(mem, H, P)).toBe(H.minRisePct);
    const fresh = createHeadroomMemory(H, STEP, LAT);
    observeEnvelope(fresh, 70, false);
    expect(headroomLockPct(70, expectedRise(fresh, H, P), P, H)).toBe(70);
    // Without the warm-up the ramp is learnt as a 80-point rise.
    const cold = learn(ramp, { ...H, warmupS: 0 });
    expect(expectedRise(cold.mem, H, P)).toBe(80);
  });

  it('stale readings are unknown: the envelope is Infinity and nothing is learnt', () => {
    const mem = createHeadroomMemory(H, STEP, LAT);
    expect(observeEnvelope(mem, 50, true)).toBe(Infinity);
    expect(observeEnvelope(mem, NaN, false)).toBe(Infinity);
    expect(mem.size).toBe(0);
    expect(mem.rises.size).toBe(0);
  });
});

describe('POLCA levels driven by a lock level', () => {
  const timing = { capLatencyS: LAT, lowDeepFirst: true, highHoldS: 30 };
  const view = (powerPct: number, lockPct: number, highPct = lockPct) => ({ budgetKW: 100, powerW: powerPct * 1000, stale: false, lockPct, highPct });

  it('the brake reads measured power, never the prediction', () => {
    const s = stepPolca(P, view(95, 150), initialPolcaState(0), 1000, timing);
    expect(s.stage).toBe('t2');
    expect(Number.isNaN(s.brakeSinceMs)).toBe(true);
    expect(stepPolca(P, view(101, 50), initialPolcaState(0), 1000, timing).stage).toBe('brake');
  });

  it('low-priority deep locks land before any high-priority lock, and go after them', () => {
    // As rows.ts runs it: POLCA's levels with Headroom's long hold; high priority keeps its short one.
    const cfg = { ...P, minHoldS: H.minHoldS };
    let s: PolcaRowState = initialPolcaState(0);
    let t = 0;
    const run = (seconds: number, v: ReturnType<typeof view>) => {
      for (let i = 0; i < seconds; i++) s = stepPolca(cfg, v, s, (t += 1000), timing);
    };
    run(1, view(90, 95));
    expect(s.stage).toBe('t2');
    run(LAT, view(90, 95));
    // T2's low locks have landed and the row is still above: the deep step, not yet high priority.
    expect(Number.isNaN(s.lowDeepSinceMs)).toBe(false);
    expect(Number.isNaN(s.highSinceMs)).toBe(true);
    run(LAT, view(90, 95));
    expect(Number.isNaN(s.highSinceMs)).toBe(false);
    // Room again: high priority is released after its short hold, the deep step only after the long one.
    run(LAT + 31, view(70, 80, 70));
    expect(Number.isNaN(s.highSinceMs)).toBe(true);
    expect(Number.isNaN(s.lowDeepSinceMs)).toBe(false);
    run(H.minHoldS - 80, view(70, 70, 70));
    expect(Number.isNaN(s.lowDeepSinceMs)).toBe(false);
    let released = NaN;
    for (let i = 0; i < 80 && Number.isNaN(released); i++) {
      run(1, view(70, 70, 70));
      if (Number.isNaN(s.lowDeepSinceMs)) released = t;
    }
    expect(released).not.toBeNaN();
    expect(s.stage).toBe('t2');
    // T2 alone has to prove itself for a full hold after the deep step went.
    run(H.minHoldS - 1, view(70, 70, 70));
    expect(s.stage).toBe('t2');
    run(1, view(70, 70, 70));
    expect(s.stage).not.toBe('t2');
  });
});

describe('the deep lock beyond the brake, and the shed recommendation', () => {
  const base = { braked: false, stale: false, capLatencyS: LAT, budgetKW: 400, rowKW: 440, servers: 40 };
  const at = (s: PolcaRowState, pct: number, lockPct = pct): PolcaRowState => ({ ...s, pct, lockPct });

  it('engages after escalateBrakes brakes within the window, holds deepHoldS after the last, then releases on room', () => {
    const mem = createHeadroomMemory(H, STEP, LAT);
    let s = initialPolcaState(0);
    s = stepEscalation(H, P, mem, at(s, 101), { ...base, nowMs: 0, braked: true });
    expect(Number.isNaN(s.deepSinceMs)).toBe(true);
    s = stepEscalation(H, P, mem, at(s, 101), { ...base, nowMs: 300_000, braked: true });
    expect(s.deepSinceMs).toBe(300_000);
    // Room, but within the hold: stays.
    s = stepEscalation(H, P, mem, at(s, 60), { ...base, nowMs: 300_000 + H.deepHoldS * 1000 - 1000 });
    expect(Number.isNaN(s.deepSinceMs)).toBe(false);
    // Hold over, stale: stays (stale data releases nothing).
    s = stepEscalation(H, P, mem, at(s, 60), { ...base, stale: true, nowMs: 300_000 + H.deepHoldS * 1000 });
    expect(Number.isNaN(s.deepSinceMs)).toBe(false);
    s = stepEscalation(H, P, mem, at(s, 60), { ...base, nowMs: 300_000 + H.deepHoldS * 1000 });
    expect(Number.isNaN(s.deepSinceMs)).toBe(true);
  });

  it('two brakes further apart than the window do not escalate', () => {
    const mem = createHeadroomMemory(H, STEP, LAT);
    let s = initialPolcaState(0);
    s = stepEscalation(H, P, mem, at(s, 101), { ...base, nowMs: 0, braked: true });
    s = stepEscalation(H, P, mem, at(s, 101), { ...base, nowMs: H.escalateWindowS * 1000 + 1, braked: true });
    expect(Number.isNaN(s.deepSinceMs)).toBe(true);
  });

  it('recommends shedding ⌈excess ÷ mean server power⌉ once the deep lock has landed and power is still above the brake level', () => {
    const mem = createHeadroomMemory(H, STEP, LAT);
    let s = initialPolcaState(0);
    s = stepEscalation(H, P, mem, at(s, 110), { ...base, nowMs: 0, braked: true });
    s = stepEscalation(H, P, mem, at(s, 110), { ...base, nowMs: 1000, braked: true });
    expect(s.shedServers).toBe(0); // not landed yet
    s = stepEscalation(H, P, mem, at(s, 110), { ...base, nowMs: 1000 + LAT * 1000 });
    // 10 % of 400 kW = 40 kW over; 440 kW / 40 servers = 11 kW each → 4 servers.
    expect(s.shedServers).toBe(4);
  });
});
