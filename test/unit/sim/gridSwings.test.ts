import { describe, expect, it } from 'vitest';
import { runSwings, SwingSim, type SwingSite } from '../../../main/sim/gridSwings.js';
import { H100 } from '../../helpers.js';

/** One job of 80 H100s (10 servers): 2 s iterations, 80 % compute; optionally a failure. */
function site(extra: Partial<SwingSite['jobs'][number]> = {}): SwingSite {
  return {
    model: H100,
    gpusPerServer: 8,
    serverIdleW: 1500,
    serverActiveW: 2000,
    jobs: [{ id: 'j', gpus: 80, periodS: 2, duty: 0.8, computeActivity: 0.92, commActivity: 0.15, startS: 1, checkpointEveryS: 0, checkpointS: 0, ...extra }],
  };
}
const W = (mw: number) => mw * 1e6;

describe('training power at 10 ms steps', () => {
  it('unmitigated: the grid sees the load; compute near TDP, communication near idle, in phase across the job', () => {
    const r = runSwings(site(), {}, 60);
    expect(r.fs).toBe(100);
    expect(r.gridMW).toEqual(r.loadMW);
    const hi = Math.max(...r.gridMW.subarray(200));
    const lo = Math.min(...r.gridMW.subarray(200));
    // 80 × powerAt(0.92) = 80 × (69.85 + 630.15 · 0.92) W + 10 servers at full utilisation (~3.3 kW each).
    expect(W(hi)).toBeGreaterThan(80 * 640 + 10 * 3300);
    expect(W(lo)).toBeLessThan(80 * 170 + 10 * 1800);
    // About 29–30 iterations of 2 s (±4 % jitter) in the 59 s after its start.
    expect(r.iterations[0]).toBeGreaterThanOrEqual(27);
    expect(r.iterations[0]).toBeLessThanOrEqual(31);
    expect(r.storage).toBeNull();
  });

  it('a failure drops every GPU to idle within one step; the job restarts after its pause', () => {
    const r = runSwings(site({ failAtS: 30, restartAfterS: 10 }), {}, 60);
    const at = 30 * 100;
    expect(W(r.loadMW[at - 1]!) - W(r.loadMW[at]!)).toBeGreaterThan(80 * 400);
    expect(Math.max(...r.loadMW.subarray(at + 10, at + 990))).toBeCloseTo(r.loadMW[at + 10]!, 6);
    expect(Math.max(...r.loadMW.subarray(at + 1100))).toBeGreaterThan(r.loadMW[at + 10]! + 0.03);
  });

  it('smoothing: the GPUs never fall below the floor while the job runs, and never drop faster than the ramp-down rate', () => {
    const rd = 500;
    const r = runSwings(site(), { smoothing: { floorPct: 60, rampUpWps: 1e6, rampDownWps: rd, hysteresisMs: 0 } }, 60);
    const floorW = 80 * 0.6 * 700 + 10 * 1500;
    for (let i = 200; i < r.loadMW.length; i++) {
      expect(W(r.loadMW[i]!)).toBeGreaterThanOrEqual(floorW - 1);
      // GPUs' fall ≤ 80 × rd · dt, plus their servers' share that follows utilisation.
      const fall = W(r.loadMW[i - 1]!) - W(r.loadMW[i]!);
      expect(fall).toBeLessThanOrEqual(80 * rd * 0.01 * (1 + (10 * 2000) / (80 * 630.15)) + 0.5); // MW kept in float32: ±0.5 W
    }
  });

  it('a slow ramp-up costs throughput (compute waits for power); burn costs energy but not throughput', () => {
    const base = runSwings(site(), {}, 120);
    const slow = runSwings(site(), { smoothing: { floorPct: 0, rampUpWps: 1000, rampDownWps: 1e6, hysteresisMs: 0 } }, 120);
    // 165 → 650 W at 1 kW/s: ~0.5 s of each 1.6 s compute phase at part speed.
    expect(slow.workGpuS).toBeLessThan(base.workGpuS * 0.95);
    const burn = runSwings(site(), { burn: { floorPct: 70 } }, 120);
    expect(burn.workGpuS).toBe(base.workGpuS);
    expect(burn.energyMWh).toBeGreaterThan(base.energyMWh * 1.05);
  });

  it('storage keeps its charge within its limits and the grid within its slew; full or empty, the grid takes the load', () => {
    const storage = { joulesPerGpu: 300, wattsPerGpu: 700, roundTripEfficiency: 0.9, socMin: 0.2, socMax: 0.8, tauS: 20, gridRampWpsPerGpu: 5 };
    const r = runSwings(site(), { storage }, 120);
    expect(r.storage!.minSocPct).toBeGreaterThanOrEqual(20 - 1e-9);
    expect(r.storage!.maxSocPct).toBeLessThanOrEqual(80 + 1e-9);
    // 300 J per GPU cannot carry a 2 s iteration's swing at 5 W/s per GPU of slew: it empties, and the grid then swings.
    expect(r.storage!.minSocPct).toBeCloseTo(20, 6);
    expect(Math.max(...r.gridMW.subarray(1000)) - Math.min(...r.gridMW.subarray(1000))).toBeGreaterThan(0.02);
    // Enough of it, and a job that starts over a minute: the grid moves at most 20 W/s per GPU (80 GPUs: 16 W a step).
    const big = runSwings(site(), { storage: { ...storage, joulesPerGpu: 50_000, gridRampWpsPerGpu: 20 }, stagger: { rampS: 60 } }, 120);
    expect(big.storage!.minSocPct).toBeGreaterThan(20);
    for (let i = 1; i < big.gridMW.length; i++) expect(Math.abs(W(big.gridMW[i]!) - W(big.gridMW[i - 1]!))).toBeLessThanOrEqual(16 + 0.5);
    // Its iterations' swing is gone from the grid: under 1 % of the load's.
    const span = (x: Float32Array) => Math.max(...x.subarray(9000)) - Math.min(...x.subarray(9000));
    expect(span(big.gridMW)).toBeLessThan(0.01 * span(big.loadMW) + 0.002);
    // It loses (1 − efficiency) of what it cycles: the grid's energy, less what the store kept, exceeds the load's.
    const loadMWh = big.loadMW.reduce((s, x) => s + x, 0) / 100 / 3600;
    const keptMWh = ((big.storage!.endSocPct - 50) / 100) * (80 * 50_000) / 3.6e9;
    expect(big.energyMWh - keptMWh - loadMWh).toBeGreaterThan(0.05 * big.storage!.cycledMWh * (1 - 0.9));
  });

  it('controlled ramps: a job rises over rampS instead of at once', () => {
    const r = runSwings(site({ startS: 0 }), { stagger: { rampS: 30 } }, 40);
    const idle = (80 * H100.idleW + 10 * 1500) / 1e6;
    const full = Math.max(...r.loadMW.subarray(3500));
    // Five seconds in, its GPUs may have a sixth of their range (full compute uses 92 % of it): under a fifth of the way.
    expect(Math.max(...r.loadMW.subarray(0, 500)) - idle).toBeLessThan((full - idle) / 5);
    const plain = runSwings(site({ startS: 0 }), {}, 40);
    expect(Math.max(...plain.loadMW.subarray(0, 500)) - idle).toBeGreaterThan((full - idle) * 0.8);
  });
});

describe('floors and caps on the training site: one rule (arbiter.ts floorInForce)', () => {
  it("a controller's cap beats smoothing's and burn's floors: the GPUs never draw above it, the floor yields to it", () => {
    for (const m of [{ smoothing: { floorPct: 60, rampUpWps: 1e6, rampDownWps: 100, hysteresisMs: 500 } }, { burn: { floorPct: 60 } }]) {
      const sim = new SwingSim(site(), m);
      let seenAtCap = 0;
      for (let i = 0; i < 3000; i++) {
        if (i === 1500) sim.capW[0] = 300;
        sim.step();
        if (i > 1500) {
          expect(sim.gpuW[0]).toBeLessThanOrEqual(300);
          if (sim.gpuW[0] === 300) seenAtCap++;
        }
      }
      // The floor (420 W) would hold the GPUs above 300 W through every lull: capped, they sit at the cap instead.
      expect(seenAtCap).toBeGreaterThan(1000);
    }
  });
});
