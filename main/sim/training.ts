import type { TrainingJob } from '../../shared/domain/scenario.js';

/**
 * A synchronous data-parallel training job: every iteration is a compute phase (near TDP) followed by a
 * communication phase (near idle). Compute progresses at the pace of the slowest GPU, so a cap anywhere
 * stretches every iteration; communication time is fixed by the network.
 */
export class TrainingJobSim {
  iterations = 0;
  private phase: 'wait' | 'compute' | 'comm' = 'wait';
  private left = 0;

  constructor(
    readonly spec: TrainingJob,
    readonly servers: readonly number[],
  ) {}

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
      this.left = s.periodS * s.duty;
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
        if (this.left <= 1e-9) {
          this.phase = 'comm';
          this.left = s.periodS * (1 - s.duty);
        }
      } else {
        const spent = Math.min(dt, this.left);
        this.left -= spent;
        dt -= spent;
        if (this.left <= 1e-9) {
          this.iterations++;
          this.phase = 'compute';
          this.left = s.periodS * s.duty;
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
