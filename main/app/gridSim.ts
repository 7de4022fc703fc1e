import { EXAMPLE_UTILITY, type GridFigures, type GridRequirement, type Mitigation, type MitigationName } from '../../shared/domain/grid.js';

export type { GridFigures } from '../../shared/domain/grid.js';
export { gridFigures } from '../core/grid/figures.js';
import { BUILTIN_MODELS } from '../core/models.js';
import { gridFigures } from '../core/grid/figures.js';
import { runSwings, type SwingRun, type SwingSite } from '../sim/gridSwings.js';

/**
 * `headroom sim --scenario training-swings --mitigation …` (issue 15): the training site at 10 ms steps, unmitigated
 * and with the remedy asked for, on the same seed; the grid's view of each (ramp, dynamic range, band energy share
 * and RMS, swing) against the requirement, and what the remedy costs (energy, throughput).
 */

/** 1,280 H100s in four synchronous jobs, out of phase, of 0.6–4.5 s iterations; one fails at 30 min (docs/MODEL.md "Grid"). */
export function trainingSwingsSite(): SwingSite {
  const h100 = BUILTIN_MODELS.find((x) => x.id === 'H100-SXM')!;
  const job = (id: string, gpus: number, periodS: number, duty: number, startS: number, extra: object = {}) => ({
    id,
    gpus,
    periodS,
    duty,
    computeActivity: 0.92,
    commActivity: 0.15,
    startS,
    checkpointEveryS: 600,
    checkpointS: 20,
    ...extra,
  });
  return {
    model: h100,
    gpusPerServer: 8,
    serverIdleW: 1500,
    serverActiveW: 2000,
    jobs: [
      job('pretrain-a', 512, 2.0, 0.8, 0),
      job('pretrain-b', 384, 1.2, 0.75, 20),
      job('finetune-c', 256, 4.5, 0.85, 60, { failAtS: 1800, restartAfterS: 120 }),
      job('rl-d', 128, 0.6, 0.7, 5),
    ],
  };
}

/** Each remedy's parameters (ours [r]; the paper gives none: docs/MODEL.md "Grid"). */
export const REMEDIES: Record<Exclude<MitigationName, 'none' | 'all'>, Mitigation> = {
  smoothing: { smoothing: { floorPct: 40, rampUpWps: 20_000, rampDownWps: 1_500, hysteresisMs: 200 } },
  burn: { burn: { floorPct: 60 } },
  storage: { storage: { joulesPerGpu: 20_000, wattsPerGpu: 700, roundTripEfficiency: 0.92, socMin: 0.1, socMax: 0.9, tauS: 20, gridRampWpsPerGpu: 10 } },
  stagger: { stagger: { rampS: 30 } },
};

/**
 * All together, each doing what it is cheap at (ours [r]): smoothing only slows long drops (a 2 s hysteresis lets
 * every communication lull through, so it burns next to nothing; a checkpoint or a failure ramps down at 100 W/s),
 * storage absorbs the iterations' swings (the grid follows a 60 s average), controlled ramps and staggered checkpoints
 * keep the slow steps small.
 */
export const ALL: Mitigation = {
  smoothing: { floorPct: 0, rampUpWps: 100_000, rampDownWps: 10_000, hysteresisMs: 0 },
  ...REMEDIES.storage,
  stagger: { rampS: 60 },
};

export function mitigationOf(name: MitigationName): Mitigation {
  if (name === 'none') return {};
  if (name === 'all') return ALL;
  return REMEDIES[name];
}

export interface GridReport {
  scenario: 'training-swings';
  mitigation: MitigationName;
  parameters: Mitigation;
  durationS: number;
  stepMs: number;
  seed: number;
  gpus: number;
  requirement: GridRequirement;
  grid: GridFigures;
  baseline: GridFigures;
  /** Band RMS power against the unmitigated run's (1 − ratio: how much lower). */
  bandRmsReductionPct: number;
  energyOverheadPct: number;
  throughputRatio: number;
  jobs: Array<{ id: string; gpus: number; iterations: number; baselineIterations: number }>;
  storage: SwingRun['storage'];
  simSpeedup: number;
}

export function runGridScenario(o: { mitigation: MitigationName; durationS: number; seed?: number; onProgress?: (done: number, total: number) => void }): GridReport {
  const site = trainingSwingsSite();
  const seed = o.seed ?? 1;
  const w0 = performance.now();
  const half = (from: number) => (o.onProgress ? (d: number, t: number) => o.onProgress!(from + d, 2 * t) : undefined);
  const base = runSwings(site, {}, o.durationS, { seed, onProgress: half(0) });
  const parameters = mitigationOf(o.mitigation);
  const run = o.mitigation === 'none' ? base : runSwings(site, parameters, o.durationS, { seed, onProgress: half(Math.round(o.durationS * 100)) });
  const wallS = (performance.now() - w0) / 1000;
  const req = EXAMPLE_UTILITY;
  const grid = gridFigures(run.gridMW, run.fs, req);
  const baseline = gridFigures(base.gridMW, base.fs, req);
  return {
    scenario: 'training-swings',
    mitigation: o.mitigation,
    parameters,
    durationS: o.durationS,
    stepMs: 1000 / run.fs,
    seed,
    gpus: site.jobs.reduce((s, j) => s + j.gpus, 0),
    requirement: req,
    grid,
    baseline,
    bandRmsReductionPct: baseline.bandRmsMW > 0 ? Math.round((1 - grid.bandRmsMW / baseline.bandRmsMW) * 1000) / 10 : 0,
    energyOverheadPct: Math.round((run.energyMWh / base.energyMWh - 1) * 1e4) / 100,
    throughputRatio: Math.round((run.workGpuS / base.workGpuS) * 1e4) / 1e4,
    jobs: site.jobs.map((j, k) => ({ id: j.id, gpus: j.gpus, iterations: run.iterations[k]!, baselineIterations: base.iterations[k]! })),
    storage: run.storage,
    // Both runs are simulated: real time covered per wall second, over the two.
    simSpeedup: Math.round((o.mitigation === 'none' ? o.durationS : 2 * o.durationS) / wallS),
  };
}

/** The terminal line: each figure against its limit (✓/✗), what the remedy cost. Pure. */
export function gridSummaryLine(r: GridReport, wallS: number, outFile?: string): string {
  const g = r.grid;
  const q = r.requirement;
  const ok = (b: boolean) => (b ? '✓' : '✗');
  const parts = [
    `simulated ${r.durationS} s of ${r.gpus} GPUs at ${r.stepMs} ms steps, twice (unmitigated and ${r.mitigation}), in ${wallS.toFixed(2)} s`,
    `${r.mitigation}: ramp ${g.rampMaxMWps} MW/s ${ok(g.within.ramp)} (≤ ${q.rampMWps})`,
    `swing ${g.dynamicRangeMW} MW in ${q.rangeWindowS} s ${ok(g.within.dynamicRange)} (≤ ${q.dynamicRangeMW})`,
    `${q.band.loHz}–${q.band.hiHz} Hz ${g.bandEnergyPct} % of the energy ${ok(g.within.band)} (≤ ${q.band.maxSharePct} %), RMS ${g.bandRmsMW} MW (${r.bandRmsReductionPct} % lower than unmitigated ${r.baseline.bandRmsMW})`,
    `energy ${r.energyOverheadPct >= 0 ? '+' : ''}${r.energyOverheadPct} %, throughput ×${r.throughputRatio}`,
  ];
  if (outFile) parts.push(`report → ${outFile}`);
  return parts.join('; ');
}
