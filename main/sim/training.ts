import type { TrainingJob } from '../../shared/domain/scenario.js';
import type { DemandProfile } from './inference.js';
import type { Rng } from './rng.js';

/** Spread of one iteration's length under 'production' demand (± share of the period, uniform): data-dependent steps. */
export const ITERATION_JITTER = 0.04;

/**
 * A synchronous data-parallel training job: every iteration is a compute phase (near TDP) followed by a
 * communication phase (the dip at the iteration boundary); compute progresses at the pace of the slowest GPU, so a
 * cap anywhere stretches every iteration; communication time is fixed by the network. Every `checkpointEveryS` of the
 * job, a checkpoint pauses it for `checkpointS` (at the communication level: GPUs wait on storage).
 * Under 'production' demand each iteration's length varies by ±ITERATION_JITTER (so the waves drift against any fixed
 * period); under 'bursty' every iteration is exactly `periodS`.
 */
/** What the job's pace needs of its scenario entry; `firstCheckpointS`: job time of its first checkpoint (default one interval). */
export type TrainingSpec = Pick<TrainingJob, 'periodS' | 'duty' | 'computeActivity' | 'commActivity' | 'startS' | 'checkpointEveryS' | 'checkpointS'> & { firstCheckpointS?: number };

export class TrainingJobSim<S extends TrainingSpec = TrainingJob> {
  iterations = 0;
  private phase: 'wait' | 'compute' | 'comm' | 'checkpoint' = 'wait';
  private left = 0;
  /** Job time (s since it started) of the next checkpoint. */
  private nextCheckpointS = Infinity;
  private jobS = 0;

  constructor(
    readonly spec: S,
    readonly servers: readonly number[],
    private readonly rng: Rng | null = null,
    readonly demand: DemandProfile = 'production',
  ) {}

  /** Whether the job has started (it idles before its start). */
  get started(): boolean {
    return this.phase !== 'wait';
  }

  /** Length factor of the next iteration (1 under bursty demand). */
  private jitter(): number {
    return this.demand === 'production' && this.rng ? 1 + ITERATION_JITTER * (2 * this.rng() - 1) : 1;
  }

  step(tS: number, dtS: number, clockRatio: Float64Array, activity: Float64Array, memBound: Float64Array): void {
    const s = this.spec;
    let slowest = 1;
    for (let i = 0; i < this.servers.length; i++) slowest = Math.min(slowest, clockRatio[i]!);
    let dt = dtS;
    let computeTime = 0;
    if (this.phase === 'wait') {
      if (tS + dtS <= s.startS) return this.write(activity, memBound, 0);
      dt = tS + dtS - Math.max(tS, s.startS);
      this.phase = 'compute';
      this.left = s.periodS * s.duty * this.jitter();
      this.nextCheckpointS = s.checkpointEveryS > 0 && s.checkpointS > 0 ? (s.firstCheckpointS ?? s.checkpointEveryS) : Infinity;
    }
    // Walk through phase boundaries inside the step; activity is the time-weighted mix.
    while (dt > 1e-9) {
      if (this.phase === 'compute') {
        const rate = Math.max(slowest, 1e-3);
        const need = this.left / rate;
        const spent = Math.min(dt, need);
        this.left -= spent * rate;
        computeTime += spent;
        dt -= spent;
        this.jobS += spent;
        if (this.left <= 1e-9) {
          this.phase = 'comm';
          this.left = s.periodS * (1 - s.duty);
        }
      } else {
        const spent = Math.min(dt, this.left);
        this.left -= spent;
        dt -= spent;
        this.jobS += spent;
        if (this.left <= 1e-9) {
          if (this.phase === 'comm') this.iterations++;
          // A checkpoint falls due at an iteration boundary.
          if (this.phase === 'comm' && this.jobS >= this.nextCheckpointS) {
            this.phase = 'checkpoint';
            this.left = s.checkpointS;
            this.nextCheckpointS = this.jobS + s.checkpointEveryS;
          } else {
            this.phase = 'compute';
            this.left = s.periodS * s.duty * this.jitter();
          }
        }
      }
    }
    const share = computeTime / dtS;
    this.write(activity, memBound, share);
  }

  private write(activity: Float64Array, memBound: Float64Array, computeShare: number): void {
    const s = this.spec;
    const a = computeShare * s.computeActivity + (1 - computeShare) * s.commActivity;
    for (let i = 0; i < this.servers.length; i++) {
      activity[i] = this.phase === 'wait' && computeShare === 0 ? 0 : a;
      memBound[i] = 0.3;
    }
  }
}
