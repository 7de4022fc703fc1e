import type { GpuModel } from '../../shared/domain/topology.js';
import type { Mitigation } from '../../shared/domain/grid.js';
import { powerAt } from '../core/physics.js';
import { floorInForce } from '../core/control/arbiter.js';
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

/**
 * The site stepped one sample at a time (`step()`: the next `stepS`), for runs (runSwings) and for a live simulated
 * grid meter (main/app/gridFeed.ts) that keeps pace with the engine's clock. After a step: `gridW` (after storage),
 * `loadW`, and per job `jobW` (its GPUs and servers).
 */
export class SwingSim {
  readonly dt: number;
  /** Steps taken; the time of the next one is i · dt. */
  i = 0;
  /**
   * Per job, the power limit per GPU a controller holds (W; 0: none) — POLCA's or Headroom's caps, an operator's:
   * the GPUs never draw above it, and every floor (smoothing, burn) yields to it (arbiter.ts floorInForce).
   */
  readonly capW: Float64Array;
  gridW = 0;
  loadW = 0;
  readonly jobW: Float64Array;
  energyJ = 0;
  private readonly sims: TrainingJobSim<SwingJob>[];
  private readonly done: number[];
  private readonly rate: Float64Array[];
  private readonly act: Float64Array[];
  private readonly mem: Float64Array[];
  /** Per job, each of its GPUs' power after the step (W). */
  readonly gpuW: Float64Array;
  private readonly lowFor: Float64Array;
  private readonly startedAt: number[];
  private readonly failed: Uint8Array;
  private readonly gpus: number;
  private readonly cap: number;
  private readonly pMax: number;
  private readonly eta: number;
  private soc: number;
  minSoc: number;
  maxSoc: number;
  cycledJ = 0;
  private avg = NaN;
  private drawn = NaN;
  private readonly seed: number;

  constructor(
    readonly site: SwingSite,
    readonly mitigation: Mitigation,
    o: { stepS?: number; seed?: number } = {},
  ) {
    this.dt = o.stepS ?? 0.01;
    const J = site.jobs.length;
    const seed = o.seed ?? 1;
    const stagger = mitigation.stagger;
    this.sims = site.jobs.map((j, k) => newSim(j, k, seed, stagger ? (k * j.checkpointEveryS) / Math.max(1, J) : 0));
    this.done = new Array<number>(J).fill(0);
    this.rate = site.jobs.map(() => new Float64Array(1).fill(1));
    this.act = site.jobs.map(() => new Float64Array(1));
    this.mem = site.jobs.map(() => new Float64Array(1));
    this.gpuW = new Float64Array(J).fill(site.model.idleW);
    this.lowFor = new Float64Array(J);
    this.startedAt = site.jobs.map((j) => j.startS);
    this.failed = new Uint8Array(J);
    this.jobW = new Float64Array(J);
    this.capW = new Float64Array(J);
    this.gpus = site.jobs.reduce((s, j) => s + j.gpus, 0);
    const st = mitigation.storage;
    this.cap = st ? st.joulesPerGpu * this.gpus : 0;
    this.pMax = st ? st.wattsPerGpu * this.gpus : 0;
    this.eta = st ? Math.sqrt(st.roundTripEfficiency) : 1;
    this.soc = this.cap / 2;
    this.minSoc = this.soc;
    this.maxSoc = this.soc;
    this.seed = seed;
  }

  step(): void {
    const { site, dt } = this;
    const m = site.model;
    const tdp = m.maxLimitW;
    const { smoothing, burn, storage, stagger } = this.mitigation;
    const t = this.i * dt;
    let load = 0;
    for (let k = 0; k < site.jobs.length; k++) {
      const j = site.jobs[k]!;
      if (!this.failed[k] && j.failAtS !== undefined && t >= j.failAtS) {
        this.failed[k] = 1;
        this.done[k]! += this.sims[k]!.iterations;
        const restartS = j.failAtS + (j.restartAfterS ?? 60);
        this.sims[k] = newSim({ ...j, startS: restartS }, k, this.seed + 1000, 0);
        this.startedAt[k] = restartS;
      }
      const sim = this.sims[k]!;
      sim.step(t, dt, this.rate[k]!, this.act[k]!, this.mem[k]!);
      const running = sim.started;
      const demand = running ? powerAt(m, this.act[k]![0]!, m.maxClockMHz) : m.idleW;
      // A controlled ramp: the job's GPUs may rise to idle + f · (TDP − idle), f over rampS from its start.
      const f = stagger && running ? Math.min(1, Math.max(0, (t - this.startedAt[k]!) / stagger.rampS)) : 1;
      const cap = this.capW[k]!;
      const ceiling = Math.min(m.idleW + f * (tdp - m.idleW), cap > 0 ? Math.max(m.idleW, cap) : Infinity);
      let target = Math.min(demand, ceiling);
      // Floors yield to the ceiling in force (a cap, or a start ramp's): one rule, the arbiter's.
      if (burn && running) target = Math.max(target, floorInForce((burn.floorPct / 100) * tdp, ceiling, false));
      let p = target;
      if (smoothing) {
        if (running) target = Math.max(target, floorInForce((smoothing.floorPct / 100) * tdp, ceiling, false));
        const prev = this.gpuW[k]!;
        if (target >= prev) {
          p = Math.min(target, prev + smoothing.rampUpWps * dt);
          this.lowFor[k] = 0;
        } else {
          this.lowFor[k]! += dt;
          p = this.lowFor[k]! * 1000 >= smoothing.hysteresisMs ? Math.max(target, prev - smoothing.rampDownWps * dt) : prev;
        }
      }
      // A cap lands at once (the GPU's own limit): smoothing slews only what the ceiling allows.
      if (p > ceiling) p = ceiling;
      this.gpuW[k] = p;
      // Pace of the next step's compute: the share of its demanded dynamic power it gets.
      const want = demand - m.idleW;
      this.rate[k]![0] = want > 1 ? Math.min(1, Math.max(1e-3, (Math.min(p, ceiling) - m.idleW) / want)) : 1;
      const util = Math.min(1, Math.max(0, (p - m.idleW) / (tdp - m.idleW)));
      const servers = Math.ceil(j.gpus / site.gpusPerServer);
      const w = j.gpus * p + servers * (site.serverIdleW + site.serverActiveW * util);
      this.jobW[k] = w;
      load += w;
    }
    let grid = load;
    if (storage) {
      const { cap, pMax, eta } = this;
      this.avg = Number.isNaN(this.avg) ? load : this.avg + ((load - this.avg) * dt) / storage.tauS;
      // The grid follows the average, nudged toward half charge over four time constants, slewed at its limit.
      let want = this.avg - (this.soc - cap / 2) / (4 * storage.tauS);
      if (storage.gridRampWpsPerGpu > 0 && !Number.isNaN(this.drawn)) {
        const slew = storage.gridRampWpsPerGpu * this.gpus * dt;
        want = Math.max(this.drawn - slew, Math.min(this.drawn + slew, want));
      }
      let b = Math.max(-pMax, Math.min(pMax, load - want));
      if (b > 0) b = Math.max(0, Math.min(b, ((this.soc - storage.socMin * cap) * eta) / dt));
      else b = Math.min(0, Math.max(b, -((storage.socMax * cap - this.soc) / eta) / dt));
      // Discharging draws b / η from the store; charging puts η · |b| in.
      if (b > 0) this.soc -= (b * dt) / eta;
      else this.soc += -b * dt * eta;
      this.cycledJ += Math.abs(b) * dt;
      if (this.soc < this.minSoc) this.minSoc = this.soc;
      if (this.soc > this.maxSoc) this.maxSoc = this.soc;
      grid = load - b;
      this.drawn = grid;
    }
    this.energyJ += grid * dt;
    this.gridW = grid;
    this.loadW = load;
    this.i++;
  }

  /** Iterations each job has completed so far (across a restart). */
  iterations(): number[] {
    return this.sims.map((s, k) => this.done[k]! + s.iterations);
  }

  storageState(): SwingRun['storage'] {
    if (!this.mitigation.storage) return null;
    const cap = this.cap;
    return { minSocPct: Math.round((this.minSoc / cap) * 1000) / 10, maxSocPct: Math.round((this.maxSoc / cap) * 1000) / 10, endSocPct: (this.soc / cap) * 100, cycledMWh: this.cycledJ / 3.6e9 };
  }
}

export function runSwings(site: SwingSite, mitigation: Mitigation, durationS: number, o: { stepS?: number; seed?: number; onProgress?: (done: number, total: number) => void } = {}): SwingRun {
  const sim = new SwingSim(site, mitigation, o);
  const steps = Math.round(durationS / sim.dt);
  const gridMW = new Float32Array(steps);
  const loadMW = new Float32Array(steps);
  const every = Math.max(1, Math.floor(steps / 100));
  for (let i = 0; i < steps; i++) {
    sim.step();
    gridMW[i] = sim.gridW / 1e6;
    loadMW[i] = sim.loadW / 1e6;
    if (o.onProgress && i % every === 0) o.onProgress(i, steps);
  }
  o.onProgress?.(steps, steps);
  const iterations = sim.iterations();
  return {
    fs: 1 / sim.dt,
    gridMW,
    loadMW,
    iterations,
    workGpuS: site.jobs.reduce((s, j, k) => s + j.gpus * j.periodS * iterations[k]!, 0),
    energyMWh: sim.energyJ / 3.6e9,
    storage: sim.storageState(),
  };
}

/** One job's pace: its own seeded jitter; `checkpointShiftS` moves its first checkpoint later (staggered checkpoints). */
function newSim(j: SwingJob, k: number, seed: number, checkpointShiftS: number): TrainingJobSim<SwingJob> {
  return new TrainingJobSim<SwingJob>({ ...j, firstCheckpointS: j.checkpointEveryS + checkpointShiftS }, [0], createRng(seed * 7919 + k), 'production');
}
