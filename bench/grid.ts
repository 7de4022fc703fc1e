import { EXAMPLE_UTILITY } from '../shared/domain/grid.js';
import { ALL, gridFigures, trainingSwingsSite } from '../main/app/gridSim.js';
import { runSwings } from '../main/sim/gridSwings.js';

/**
 * Issue 15's scale (called from bench/run.ts):
 *  - psdMs: a 10-minute window at 100 Hz (60,000 points) analysed as the report does (gridFigures: Welch PSD with
 *    fft.js, band share and RMS, the 1 s ramp, sliding 10 s swings): cold (first call, FFT plan built) and warm (best
 *    of 20), this thread;
 *  - simSpeedup: the training-swings site (1,280 GPUs, four jobs) for 1 h at 10 ms steps with every remedy on
 *    (`--mitigation all`: smoothing, storage, ramps), one run's simulated seconds per wall second, best of 3 after one
 *    warm-up; the unmitigated run beside it.
 */
export function benchGrid() {
  const site = trainingSwingsSite();
  const window = runSwings(site, {}, 600).gridMW;
  const c0 = performance.now();
  gridFigures(window, 100, EXAMPLE_UTILITY);
  const coldPsdMs = performance.now() - c0;
  let psdMs = Infinity;
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    gridFigures(window, 100, EXAMPLE_UTILITY);
    psdMs = Math.min(psdMs, performance.now() - t0);
  }
  const speed = (m: typeof ALL) => {
    runSwings(site, m, 600);
    let best = 0;
    for (let i = 0; i < 3; i++) {
      const t0 = performance.now();
      runSwings(site, m, 3600);
      best = Math.max(best, 3600 / ((performance.now() - t0) / 1000));
    }
    return Math.round(best);
  };
  const r2 = (x: number) => Math.round(x * 100) / 100;
  return { points: window.length, psdMs: r2(psdMs), coldPsdMs: r2(coldPsdMs), simSpeedup: speed(ALL), unmitigatedSimSpeedup: speed({}), gpus: 1280, stepMs: 10 };
}
