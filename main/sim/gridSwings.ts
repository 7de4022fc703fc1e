import type { GpuModel } from '../../shared/domain/topology.js';
import type { Mitigation } from '../../shared/domain/grid.js';
import { powerAt } from '../core/physics.js';
import { createRng } from './rng.js';
import { TrainingJobSim, type TrainingSpec } from './training.js';

/**
 * Training power at the rate it swings (issue 15; docs/MODEL.md "Grid"): a site of synchronous training jobs stepped
 * at `stepS` (10 ms by default), each job's GPUs in phase — compute near TDP, communication and checkpoints near idle
 * (main/sim/training.ts's pace, reused at sub-second steps) — with start ramps, failures and restarts, and the
 * mitigations of shared/domain/grid.ts applied per GPU (burn, smoothing) and per site (storage). Pure and seeded.
 *
 * Per job and step: demand d = powerAt(activity, max clock) per GPU; a start or restart ramp (stagger) caps it at
 * idle + f · (TDP − idle), f rising over rampS; burn raises it to its floor while the job runs; smoothing holds it at
 * its floor while the job runs and slews the GPU's power — up at rampUpWps, down at rampDownWps once the demand has
 * stayed below for hysteresisMs. Compute progresses at the share of its demanded dynamic power the GPU gets (a ramp-up
 * limit or a start ramp slows the iteration; the next step's pace). The servers' non-GPU power follows their GPUs'
 * utilisation. Storage: the grid draws the load's average (time constant tauS), nudged back to half charge and slewed
 * at most gridRampWpsPerGpu, and the store gives or takes the rest within its power, its charge limits and its
 * efficiency (when it is full or empty, the grid takes the load as it is).
 */
export interface SwingJob extends TrainingSpec {
  id: string;
  gpus: number;
  /** Seconds into the run when the job fails (every GPU to idle at once) and how long until it restarts. */
  failAtS?: number;
  restartAfterS?: number;
}

export interface SwingSite {
  model: GpuModel;
  gpusPerServer: number;
  serverIdleW: number;
  serverActiveW: number;
  jobs: SwingJob[];
}

export interface SwingRun {
  /** Samples per second of the series. */
  fs: number;
  /** Site power at the point of interconnection (after storage), and the load behind it, MW. */
  gridMW: Float32Array;
  loadMW: Float32Array;
  /** Iterations each job completed, and its nominal compute work done (GPU·s at full speed). */
  iterations: number[];
  workGpuS: number;
  energyMWh: number;
  storage: { minSocPct: number; maxSocPct: number; endSocPct: number; cycledMWh: number } | null;
}

export function runSwings(site: SwingSite, mitigation: Mitigation, durationS: number, o: { stepS?: number; seed?: number; onProgress?: (done: number, total: number) => void } = {}): SwingRun {
  const dt = o.stepS ?? 0.01;
  const steps = Math.round(durationS / dt);
  const m = site.model;
  const tdp = m.maxLimitW;
  const { smoothing, burn, storage, stagger } = mitigation;
  const J = site.jobs.length;
  const base = o.seed ?? 1;
  const sims = site.jobs.map((j, k) => newSim(j, k, base, stagger ? (k * j.checkpointEveryS) / Math.max(1, J) : 0));
  const done = new Array<number>(J).fill(0);
  const rate = site.jobs.map(() => new Float64Array(1).fill(1));
  const act = site.jobs.map(() => new Float64Array(1));
  const mem = site.jobs.map(() => new Float64Array(1));
  const pOut = new Float64Array(J).fill(m.idleW);
  const lowFor = new Float64Array(J);
  const startedAt = site.jobs.map((j) => j.startS);
  const failed = new Uint8Array(J);
  const gridMW = new Float32Array(steps);
  const loadMW = new Float32Array(steps);
  const gpus = site.jobs.reduce((s, j) => s + j.gpus, 0);
  const cap = storage ? storage.joulesPerGpu * gpus : 0;
  const pMax = storage ? storage.wattsPerGpu * gpus : 0;
  const eta = storage ? Math.sqrt(storage.roundTripEfficiency) : 1;
  let soc = cap / 2;
  let minSoc = soc;
  let maxSoc = soc;
  let cycledJ = 0;
  let avg = NaN;
  let drawn = NaN;
  let energyJ = 0;
  const every = Math.max(1, Math.floor(steps / 100));

  for (let i = 0; i < steps; i++) {
    const t = i * dt;
    let load = 0;
    for (let k = 0; k < J; k++) {
      const j = site.jobs[k]!;
      if (!failed[k] && j.failAtS !== undefined && t >= j.failAtS) {
        failed[k] = 1;
        done[k]! += sims[k]!.iterations;
        const restartS = j.failAtS + (j.restartAfterS ?? 60);
        sims[k] = newSim({ ...j, startS: restartS }, k, base + 1000, 0);
        startedAt[k] = restartS;
      }
      const sim = sims[k]!;
      sim.step(t, dt, rate[k]!, act[k]!, mem[k]!);
      const running = sim.started;
      const demand = running ? powerAt(m, act[k]![0]!, m.maxClockMHz) : m.idleW;
      // A controlled ramp: the job's GPUs may rise to idle + f · (TDP − idle), f over rampS from its start.
      const f = stagger && running ? Math.min(1, Math.max(0, (t - startedAt[k]!) / stagger.rampS)) : 1;
      const ceiling = m.idleW + f * (tdp - m.idleW);
      let target = Math.min(demand, ceiling);
      if (burn && running) target = Math.max(target, Math.min(ceiling, (burn.floorPct / 100) * tdp));
      let p = target;
      if (smoothing) {
        if (running) target = Math.max(target, Math.min(ceiling, (smoothing.floorPct / 100) * tdp));
        const prev = pOut[k]!;
        if (target >= prev) {
          p = Math.min(target, prev + smoothing.rampUpWps * dt);
          lowFor[k] = 0;
        } else {
          lowFor[k]! += dt;
          p = lowFor[k]! * 1000 >= smoothing.hysteresisMs ? Math.max(target, prev - smoothing.rampDownWps * dt) : prev;
        }
      }
      pOut[k] = p;
      // Pace of the next step's compute: the share of its demanded dynamic power it gets.
      const want = demand - m.idleW;
      rate[k]![0] = want > 1 ? Math.min(1, Math.max(1e-3, (Math.min(p, ceiling) - m.idleW) / want)) : 1;
      const util = Math.min(1, Math.max(0, (p - m.idleW) / (tdp - m.idleW)));
      const servers = Math.ceil(j.gpus / site.gpusPerServer);
      load += j.gpus * p + servers * (site.serverIdleW + site.serverActiveW * util);
    }
    let grid = load;
    if (storage) {
      avg = Number.isNaN(avg) ? load : avg + ((load - avg) * dt) / storage.tauS;
      // The grid follows the average, nudged toward half charge over four time constants.
      let want = avg - (soc - cap / 2) / (4 * storage.tauS);
      if (storage.gridRampWpsPerGpu > 0 && !Number.isNaN(drawn)) {
        const step = storage.gridRampWpsPerGpu * gpus * dt;
        want = Math.max(drawn - step, Math.min(drawn + step, want));
      }
      let b = Math.max(-pMax, Math.min(pMax, load - want));
      if (b > 0) b = Math.max(0, Math.min(b, ((soc - storage.socMin * cap) * eta) / dt));
      else b = Math.min(0, Math.max(b, -((storage.socMax * cap - soc) / eta) / dt));
      // Discharging draws b / η from the store; charging puts η · |b| in.
      if (b > 0) soc -= (b * dt) / eta;
      else soc += -b * dt * eta;
      cycledJ += Math.abs(b) * dt;
      if (soc < minSoc) minSoc = soc;
      if (soc > maxSoc) maxSoc = soc;
      grid = load - b;
      drawn = grid;
    }
    energyJ += grid * dt;
    gridMW[i] = grid / 1e6;
    loadMW[i] = load / 1e6;
    if (o.onProgress && i % every === 0) o.onProgress(i, steps);
  }
  o.onProgress?.(steps, steps);
  const iterations = sims.map((s, k) => done[k]! + s.iterations);
  const workGpuS = site.jobs.reduce((s, j, k) => s + j.gpus * j.periodS * iterations[k]!, 0);
  return {
    fs: 1 / dt,
    gridMW,
    loadMW,
    iterations,
    workGpuS,
    energyMWh: energyJ / 3.6e9,
    storage: storage ? { minSocPct: Math.round((minSoc / cap) * 1000) / 10, maxSocPct: Math.round((maxSoc / cap) * 1000) / 10, endSocPct: (soc / cap) * 100, cycledMWh: cycledJ / 3.6e9 } : null,
  };
}

/** One job's pace: its own seeded jitter; `checkpointShiftS` moves its first checkpoint later (staggered checkpoints). */
function newSim(j: SwingJob, k: number, seed: number, checkpointShiftS: number): TrainingJobSim<SwingJob> {
  return new TrainingJobSim<SwingJob>({ ...j, firstCheckpointS: j.checkpointEveryS + checkpointShiftS }, [0], createRng(seed * 7919 + k), 'production');
}
