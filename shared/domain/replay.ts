import { z } from 'zod';
import type { PolicyConfig } from './control.js';

/**
 * Counterfactual replay ("Replay with…"): a recorded simulator run's demand (its scenario, seed and the drills
 * operators started) re-run through another policy, next to the same demand re-run through the recorded policy.
 */

export const ReplayPolicySchema = z.enum(['headroom', 'polca', 'polca-no-priority', 'none']);
export type ReplayPolicy = z.output<typeof ReplayPolicySchema>;

/** Can this console replay what it shows, and from what. */
export type ReplayInfo =
  | {
      available: true;
      /** 'sim': the run's own demand re-simulated; 'fleet': a real fleet's demand inferred from what it showed. */
      kind: 'sim' | 'fleet';
      /** The recorded control plane and its configuration (the "as recorded" side). */
      policy: ReplayPolicy;
      config: PolicyConfig;
      scenario: string;
      /** The window the replay reports on (engine time, ms). */
      fromMs: number;
      toMs: number;
      /** The run is re-simulated from its start: this much simulated time before the window. */
      leadS: number;
      drills: number;
    }
  | { available: false; reason: string };

/** One side's figures over the window. */
export interface ReplaySide {
  label: string;
  policy: ReplayPolicy;
  t1Pct: number;
  t2Pct: number;
  rows: Array<{ id: string; peakPct: number; secondsOver100: number; brakes: number; pctGpuTimeCapped: number; energyKWh: number }>;
  /** From the run's start to the window's end (the demand is re-simulated from the start). */
  workloads: Array<{ id: string; kind: 'inference' | 'training'; priority: 'high' | 'low'; throughput: number; p99LatencyS: number | null }>;
  caps: number;
  releases: number;
}

/** 10-second bins over the window, per row: recorded, as-recorded (re-run) and replayed power; budget; capped GPUs. */
export interface ReplaySeries {
  tMs: number[];
  rows: Array<{
    id: string;
    budgetKW: number[];
    /** What the recording holds (null where it has no sample). */
    recordedKW: Array<number | null>;
    baseKW: number[];
    replayKW: number[];
    /** A fleet's replay: the replayed policy on the two ends of the inferred demand's band. */
    replayLowKW?: number[];
    replayHighKW?: number[];
    baseCapped: number[];
    replayCapped: number[];
  }>;
  brakes: Array<{ tMs: number; row: string; side: 'base' | 'replay' }>;
}

export interface ReplayResult {
  file: string;
  kind: 'sim' | 'fleet';
  fromMs: number;
  toMs: number;
  base: ReplaySide;
  replay: ReplaySide;
  series: ReplaySeries;
  /** Short lines, most important first ("T2 = 92 %: 0 brakes instead of 2; low-priority throughput −3 %"). */
  diff: string[];
  /**
   * How well the as-recorded re-run matches the recording: the largest gap in any row's 10-second mean power, as kW
   * and as % of that row's budget. Large gaps mean the recorded run had what a re-run cannot know (operator
   * overrides, automation switched off, a changed policy).
   */
  reproduction: { maxErrKW: number; maxErrPct: number };
}

export interface ReplayJob {
  id: string;
  state: 'running' | 'done' | 'failed';
  /** Simulated seconds done / to do, over both runs. */
  doneS: number;
  totalS: number;
  startedAtMs: number;
  result: ReplayResult | null;
  error: string | null;
}
