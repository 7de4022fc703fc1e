import { PlaybookSchema, type Playbook } from '../../../shared/domain/control.js';
import type { z } from 'zod';
import { loadSpikeHolds, recordSpikePower, type SpikeHistory } from './loadSpike.js';

/**
 * Emergency playbooks: data (the Playbook schema) and a pure evaluator per row.
 *
 * Semantics:
 *  - A playbook becomes active on a row when its trigger holds, and stays active until the trigger has cleared
 *    (with the hold/hysteresis below) on fresh data. Stale data never ends a playbook or releases its brake.
 *  - A stage may start `afterS` after the playbook started, and only while its conditions hold (`whileAbovePct`:
 *    row power above that % of the effective budget; `whileHottestGpuAboveC`: the row's hottest GPU above it).
 *  - Cap stages (clock or power caps) then stay engaged until the playbook ends: releasing a cap because the power
 *    it lowered is now low would flap.
 *  - A brake stage releases once its conditions no longer hold (5 points of hysteresis on `whileAbovePct`), its own
 *    command has landed, AND every engaged cap stage of the playbook has landed (the caps carry the row after the
 *    brake lifts). Without conditions it holds until the playbook ends.
 *  - powerBudgetLoss: a brake stage is used only when the caps cannot land within the UPS ride-through
 *    (cap latency > rideThroughS, e.g. out-of-band 40 s vs 10 s); in-band caps (1 s) land in time by themselves.
 *  - loadSpike: a rise above the row's own recent envelope, after a warm-up, near the budget (loadSpike.ts): training
 *    iteration waves and start-up ramps are no spike. The playbook ends SPIKE_HOLD_S after the last spike reading.
 */

export type PlaybookAction = Playbook['stages'][number]['action'];

/** How long a cleared thermal trigger must stay clear before the playbook ends, and its hysteresis (°C). */
export const THERMAL_HOLD_S = 120;
export const THERMAL_RELEASE_C = 3;
/** Load spikes: the playbook ends this long after the last spike reading. */
export const SPIKE_HOLD_S = 60;
/** Brake stages release this many points below their `whileAbovePct`. */
export const BRAKE_RELEASE_HYSTERESIS_PCT = 5;

const parse = (p: z.input<typeof PlaybookSchema>): Playbook => PlaybookSchema.parse(p);

/**
 * Used when the policy config has no playbooks. Values are Headroom defaults (reconstructions), not paper values,
 * except the 10 s UPS ride-through, the 5 s brake and the 40 s out-of-band caps (POLCA).
 */
export const DEFAULT_PLAYBOOKS: readonly Playbook[] = [
  parse({
    id: 'power-budget-loss',
    description:
      'The row lost part of its power budget (a feed): back under the new budget before the UPS ride-through (10 s) ends. ' +
      'Brake at once if above it (lands in 5 s), cap every GPU to 60 % of max clock (lands in 40 s out-of-band), ' +
      'release the brake once the caps have landed and power is under the budget.',
    trigger: { kind: 'powerBudgetLoss', rideThroughS: 10 },
    stages: [
      { afterS: 0, action: { kind: 'brake' }, whileAbovePct: 100 },
      { afterS: 0, action: { kind: 'clockCap', mhzPctOfMax: 60, priority: 'all' }, whileAbovePct: 85 },
    ],
  }),
  parse({
    id: 'cooling-loss',
    description:
      'The hottest GPU of the row is within 8 °C of hardware slowdown: thermal clock caps on the row (70 % of max clock) ' +
      'before GPUs reach slowdown; after 60 s, if a GPU is still above 83 °C, power caps at 60 % of the max limit; ' +
      'after 90 s, if one is still above 85 °C (a training row at TDP under a deep cooling loss), power caps at 45 %.',
    trigger: { kind: 'thermal', marginC: 8 },
    stages: [
      { afterS: 0, action: { kind: 'clockCap', mhzPctOfMax: 70, priority: 'all' } },
      { afterS: 60, action: { kind: 'powerCap', pctOfMaxLimit: 60, priority: 'all' }, whileHottestGpuAboveC: 83 },
      { afterS: 90, action: { kind: 'powerCap', pctOfMaxLimit: 45, priority: 'all' }, whileHottestGpuAboveC: 85 },
    ],
  }),
  parse({
    id: 'load-spike',
    description:
      'Row power above 85 % of the budget and more than 5 points above its own peak of the minute before the last 10 s ' +
      '(its envelope rising faster than 0.5 % of the budget per second; training iteration waves and start-up ramps are ' +
      'no spike): cap low-priority GPUs early (79 % of max clock, about POLCA\'s low-priority T2 lock) instead of ' +
      'waiting for T2.',
    trigger: { kind: 'loadSpike', pctPerS: 0.5, riseS: 10, baselineS: 60, warmupS: 60, nearPct: 85 },
    stages: [{ afterS: 0, action: { kind: 'clockCap', mhzPctOfMax: 79, priority: 'low' }, whileAbovePct: 70 }],
  }),
];

/** What a playbook sees of a row at one tick. */
export interface PlaybookRowView {
  /** Effective and provisioned budget (kW). */
  budgetKW: number;
  provisionedKW: number;
  /** Row power (W; worst case when stale). */
  powerW: number;
  stale: boolean;
  /** The hottest GPU's distance to its slowdown temperature (°C), and its temperature; NaN when unknown. */
  minMarginC: number;
  hottestC: number;
  /** Hottest rack inlet of the row (°C); NaN when unknown. */
  inletC: number;
}

/** A row's view from engine readings: its hottest finite rack inlet (NaN: none) and its hottest GPU (NaN: unknown). */
export function playbookRowView(o: {
  budgetKW: number;
  provisionedKW: number;
  powerW: number;
  stale: boolean;
  /** The row's GPU model's slowdown temperature and the hottest GPU's temperature (°C). */
  slowdownC: number;
  hottestC: number;
  /** Rack inlets (°C) of the whole site; the row's racks are [rackStart, rackStart + rackCount). */
  rackInletC: ArrayLike<number>;
  rackStart: number;
  rackCount: number;
}): PlaybookRowView {
  let inlet = NaN;
  for (let k = o.rackStart; k < o.rackStart + o.rackCount; k++) {
    const x = o.rackInletC[k]!;
    if (Number.isFinite(x) && !(x <= inlet)) inlet = x;
  }
  const hot = Number.isFinite(o.hottestC);
  return {
    budgetKW: o.budgetKW,
    provisionedKW: o.provisionedKW,
    powerW: o.powerW,
    stale: o.stale,
    minMarginC: hot ? o.slowdownC - o.hottestC : NaN,
    hottestC: hot ? o.hottestC : NaN,
    inletC: inlet,
  };
}

export interface PlaybookTiming {
  capLatencyS: number;
  brakeLatencyS: number;
}

export interface PlaybookState {
  active: boolean;
  startedMs: number;
  /** Per stage: engaged since (ms), NaN when not engaged. */
  stageSinceMs: number[];
  /** Last time the trigger held (or, for thermal, was not yet clear). */
  lastTriggerMs: number;
  /** loadSpike: the row's recent power, one [bucket start ms, highest W] per second (loadSpike.ts). */
  recent: SpikeHistory;
}

export function initialPlaybookState(pb: Playbook): PlaybookState {
  return { active: false, startedMs: NaN, stageSinceMs: pb.stages.map(() => NaN), lastTriggerMs: NaN, recent: [] };
}

const on = (x: number) => !Number.isNaN(x);

function pctOf(v: PlaybookRowView): number {
  const p = (v.powerW / (v.budgetKW * 1000)) * 100;
  return v.budgetKW > 0 && v.powerW >= 0 && !Number.isNaN(p) ? p : Infinity;
}

/** One step of one playbook on one row. Pure: returns a new state. */
export function stepPlaybook(pb: Playbook, v: PlaybookRowView, prev: PlaybookState, nowMs: number, timing: PlaybookTiming): PlaybookState {
  const s: PlaybookState = { ...prev, stageSinceMs: [...prev.stageSinceMs], recent: prev.recent };
  const pct = pctOf(v);
  const tr = pb.trigger;

  // Trigger: holds now? clear (may end)?
  let holds: boolean;
  let clear: boolean;
  let holdMs = 0;
  if (tr.kind === 'powerBudgetLoss') {
    holds = !(v.budgetKW >= v.provisionedKW * 0.999);
    clear = !holds;
  } else if (tr.kind === 'thermal') {
    const inletHot = tr.inletAboveC !== undefined && v.inletC > tr.inletAboveC;
    holds = v.minMarginC <= tr.marginC || inletHot;
    clear = v.minMarginC > tr.marginC + THERMAL_RELEASE_C && !(tr.inletAboveC !== undefined && v.inletC > tr.inletAboveC - 1);
    holdMs = THERMAL_HOLD_S * 1000;
  } else {
    // A rise above the row's own envelope, warm and near the budget (loadSpike.ts). Stale readings are not a spike.
    s.recent = recordSpikePower(tr, prev.recent, v, nowMs);
    // A rise matters only where a stage could act on it (e.g. above 70 %).
    const floors = pb.stages.map((st) => st.whileAbovePct);
    const floor = floors.every((x) => x !== undefined) ? Math.min(...floors) : -Infinity;
    holds = loadSpikeHolds(tr, s.recent, v, nowMs, floor);
    clear = !holds;
    holdMs = SPIKE_HOLD_S * 1000;
  }
  if (!clear || holds) s.lastTriggerMs = nowMs;

  if (!s.active) {
    if (!holds) return s;
    s.active = true;
    s.startedMs = nowMs;
    s.stageSinceMs = pb.stages.map(() => NaN);
  } else if (!v.stale && clear && nowMs - s.lastTriggerMs >= holdMs) {
    s.active = false;
    s.startedMs = NaN;
    s.stageSinceMs = pb.stages.map(() => NaN);
    return s;
  }

  const capMs = timing.capLatencyS * 1000;
  const hasCapStage = pb.stages.some((st) => st.action.kind !== 'brake');
  const capsInTime = tr.kind === 'powerBudgetLoss' && hasCapStage && timing.capLatencyS <= tr.rideThroughS;
  pb.stages.forEach((st, i) => {
    const since = s.stageSinceMs[i]!;
    const condHolds = (hystPct: number) =>
      (st.whileAbovePct === undefined || pct > st.whileAbovePct - hystPct) && (st.whileHottestGpuAboveC === undefined || v.hottestC > st.whileHottestGpuAboveC);
    if (on(since)) {
      if (st.action.kind !== 'brake' || v.stale) return;
      if (st.whileAbovePct === undefined && st.whileHottestGpuAboveC === undefined) return;
      if (condHolds(BRAKE_RELEASE_HYSTERESIS_PCT)) return;
      if (nowMs - since < timing.brakeLatencyS * 1000) return;
      const capsLanded = pb.stages.every((c, j) => c.action.kind === 'brake' || !on(s.stageSinceMs[j]!) || nowMs >= s.stageSinceMs[j]! + capMs);
      if (capsLanded) s.stageSinceMs[i] = NaN;
      return;
    }
    if (nowMs - s.startedMs < st.afterS * 1000) return;
    if (st.action.kind === 'brake' && capsInTime) return;
    if (condHolds(0)) s.stageSinceMs[i] = nowMs;
  });
  return s;
}

/** The actions of a playbook's engaged stages, with their stage index. */
export function engagedActions(pb: Playbook, s: PlaybookState): Array<{ stage: number; action: PlaybookAction }> {
  const out: Array<{ stage: number; action: PlaybookAction }> = [];
  if (!s.active) return out;
  pb.stages.forEach((st, i) => {
    if (on(s.stageSinceMs[i]!)) out.push({ stage: i, action: st.action });
  });
  return out;
}

export function describeAction(a: PlaybookAction): string {
  if (a.kind === 'brake') return 'power brake';
  const who = a.priority === 'low' ? 'low-priority GPUs' : 'all GPUs';
  if (a.kind === 'clockCap') return `clock cap at ${a.mhzPctOfMax} % of max clock on ${who}`;
  return `power cap at ${a.pctOfMaxLimit} % of the max limit on ${who}`;
}
