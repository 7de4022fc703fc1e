/**
 * Grid requirements and training-power mitigations (issue 15; PAPERS.md §3). Zod-free: the renderer imports it.
 *
 * A utility's interconnection requirements are data: ramp limits (MW/s over `rampWindowS`), a dynamic-range limit
 * (the largest swing, MW, within any `rangeWindowS`), and a cap on the share of the fluctuation energy in a critical
 * band. The paper names the kinds of limit and one example (≤ 20 % of the energy in 0.1–20 Hz); the MW values of
 * EXAMPLE_UTILITY are ours [r], scaled to a site of ~1.5 MW (1,280 GPUs): a tenth of it per second, a tenth within 10 s,
 * and a band RMS below 0.01 MW (under 1 % of the site) counted as flat.
 */
export interface GridRequirement {
  name: string;
  rampMWps: number;
  rampWindowS: number;
  dynamicRangeMW: number;
  rangeWindowS: number;
  /**
   * The critical band and the most of the fluctuation energy it may hold; the share is judged only where the band's
   * RMS reaches minRmsMW — a nearly flat site's tiny ripple can be all of its (tiny) fluctuation, which says nothing.
   */
  band: { loHz: number; hiHz: number; maxSharePct: number; minRmsMW: number };
}

export const EXAMPLE_UTILITY: GridRequirement = {
  name: 'example utility (ours: ramp 0.15 MW/s, swing 0.15 MW in 10 s, ≤ 20 % of the energy in 0.1–20 Hz once its RMS reaches 0.01 MW)',
  rampMWps: 0.15,
  rampWindowS: 1,
  dynamicRangeMW: 0.15,
  rangeWindowS: 10,
  band: { loHz: 0.1, hiHz: 20, maxSharePct: 20, minRmsMW: 0.01 },
};

/**
 * GPU power smoothing as GB200-class GPUs expose it through NVML (PERCENT_TMP_FLOOR, RAMP_UP_RATE, RAMP_DOWN_RATE,
 * RAMP_DOWN_HYSTERESIS): a floor while the job runs, and slew limits on its power.
 */
export interface Smoothing {
  floorPct: number;
  rampUpWps: number;
  rampDownWps: number;
  hysteresisMs: number;
}

/** Software burn: dummy work in communication lulls and checkpoints keeps each GPU at ≥ floorPct of its TDP. */
export interface Burn {
  floorPct: number;
}

/**
 * Rack energy storage (battery or capacitors), summed over the site: the grid draws a slow average of the load and the
 * store supplies or absorbs the difference, within its power and state-of-charge limits, losing 1 − efficiency of
 * the energy it cycles.
 */
export interface Storage {
  joulesPerGpu: number;
  wattsPerGpu: number;
  roundTripEfficiency: number;
  socMin: number;
  socMax: number;
  /** Time constant (s) of the average the grid follows. */
  tauS: number;
  /** The grid draw's slew limit, W/s per GPU (the site's ramp toward that average); 0: none. */
  gridRampWpsPerGpu: number;
}

/** Staggered checkpoints (spread over the interval instead of together) and controlled job ramps (start and restart). */
export interface Stagger {
  rampS: number;
}

export interface Mitigation {
  smoothing?: Smoothing;
  burn?: Burn;
  storage?: Storage;
  stagger?: Stagger;
}

export const MITIGATIONS = ['none', 'smoothing', 'burn', 'storage', 'stagger', 'all'] as const;
export type MitigationName = (typeof MITIGATIONS)[number];

/** Where the grid view's power comes from, at what rate, and what it can and cannot show. */
export interface GridSource {
  kind: 'sim-meter' | 'meter' | 'engine';
  rateHz: number;
  label: string;
  /** In words: the band it resolves (a 1 Hz series cannot show 0.5–20 Hz). */
  resolves: string;
  /** A real meter: sample slots with no reading (the previous value held) over the kept window, and whether it is connected. */
  gapsHeld?: number;
  connected?: boolean;
}

/** The figures of a stretch of site power against a requirement (main/core/grid/spectrum.ts). */
export interface GridFigures {
  rampMaxMWps: number;
  dynamicRangeMW: number;
  bandEnergyPct: number;
  bandRmsMW: number;
  swingAmplitudeMW: number;
  peakMW: number;
  meanMW: number;
  within: { ramp: boolean; dynamicRange: boolean; band: boolean };
}

/** What the grid view shows (`grid:window`): the newest stretch at full resolution and the analysis behind it. */
export interface GridWindow {
  source: GridSource;
  requirement: GridRequirement;
  /** The simulated meter's remedy ('none' … 'all'); null for a measured source. */
  mitigation: MitigationName | null;
  /** Engine time of the newest sample (epoch ms) and the sample rate (Hz). */
  tEndMs: number;
  fs: number;
  /** Site power (MW), oldest first, at fs: the last `seconds` asked for (fewer while the run is younger). */
  siteMW: number[];
  /** Its 1 s ramp at each sample from one second in (MW/s; null before). */
  rampMWps: Array<number | null>;
  /** The analysis: over the last `analysisS` (up to 10 min). */
  analysisS: number;
  figures: GridFigures;
  /** Welch PSD (MW²/Hz) at up to ~300 log-spaced frequencies above DC. */
  spectrum: { hz: number[]; psd: number[] };
  /** Who swings the site most in the band: per job, its band RMS and its share of the jobs' band energy. */
  contributors: Array<{ id: string; gpus: number; bandRmsMW: number; sharePct: number }>;
  /** The limits crossed over the analysis window, in words (empty: within every limit). */
  crossed: string[];
}
