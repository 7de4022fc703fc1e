import type { ClockCaps, PolcaConfig } from '../../../shared/domain/control.js';
import type { GpuModel } from '../../../shared/domain/topology.js';

/**
 * POLCA's row controller (Patel et al., ASPLOS'24; see ../shared/domain/PAPERS.md §1) as a pure step function.
 *
 * On row power as % of the row's effective budget:
 *   > T1 (80 %)    low-priority GPUs locked to lowT1MHz
 *   > T2 (89 %)    low-priority GPUs locked to lowT2MHz; if power is still above T2 once those locks have landed,
 *                  high-priority GPUs locked to highT2MHz
 *   > brake (100 %) power brake on every GPU of the row (and every T2 lock, so the brake can be released later)
 * A level releases when power has stayed `releaseHysteresisPct` points below its threshold for `minHoldS` (fresh
 * readings only) AND its locks have been in effect for `minHoldS` (cap latency + minHoldS from the engage: a lock that
 * has not landed has proven nothing). "Stayed below", not "is below": inference and training power are square-ish
 * waves, and a release in every trough would re-engage (with the full cap latency) on the next crest.
 * The brake releases after `brakeReleaseS` continuously below brakePct − hysteresis AND once every engaged lock has
 * landed (otherwise the row would spring back above 100 % the moment the brake lifts).
 *
 * Stale telemetry never releases anything: the engine already counts stale GPUs at their power limit (worst case),
 * so escalation follows that worst case, and every release waits for fresh data.
 *
 * Headroom's controller (headroom.ts) drives the same levels with three hooks, all off for POLCA: the view's
 * `lockPct` / `highPct` replace power for T1/T2 and for the high-priority half (the brake always reads power);
 * `timing.lowDeepFirst` puts a low-priority deep step between T2's low locks and the high-priority ones (engaged with
 * the brake too; released after the high-priority locks, and T2/T1 then hold a full hold again); `timing.highHoldS`
 * gives the high-priority locks their own, shorter hold. `deepSinceMs` / `shedServers` are Headroom's (stepEscalation).
 */

export type PolcaStage = 'normal' | 't1' | 't2' | 'brake';

export interface PolcaRowState {
  stage: PolcaStage;
  /** When each level was engaged (engine ms), NaN while it is not engaged. */
  t1SinceMs: number;
  t2SinceMs: number;
  /** High-priority GPUs locked (the second half of T2). */
  highSinceMs: number;
  /**
   * Headroom only (`timing.lowDeepFirst`): low-priority GPUs locked to the deep clock, a step between T2's low locks
   * and the high-priority ones (NaN: not engaged).
   */
  lowDeepSinceMs: number;
  brakeSinceMs: number;
  /** Since when power has stayed below each level's release point (NaN: it is not, or the data was stale). */
  t1BelowSinceMs: number;
  t2BelowSinceMs: number;
  /** The same for the high-priority half of T2 (it compares `highPct` where given). */
  highBelowSinceMs: number;
  /** While braked: since when power has stayed below the brake release level (NaN: it is not). */
  brakeBelowSinceMs: number;
  /** Holds of the lock levels count from here too (the last brake release: readings under a brake prove nothing). */
  holdFromMs: number;
  /** When `stage` last changed. */
  sinceMs: number;
  /** Row power at the last step, % of the effective budget (Infinity when unknown). */
  pct: number;
  /**
   * What the lock levels compared at the last step (POLCA: `pct`; Headroom: the row's envelope plus the rise it must
   * be early for, headroom.ts) and the rise assumed in it (0 for POLCA).
   */
  lockPct: number;
  risePct: number;
  /** Headroom's deep lock, the stage beyond the brake (NaN: not engaged; POLCA never engages it). */
  deepSinceMs: number;
  /** Servers to shed that Headroom recommends (0: none): even the deep lock leaves the row above its brake level. */
  shedServers: number;
}

/** What the controller sees of a row at one tick. */
export interface PolcaRowView {
  /** Effective (after events) budget of the row, kW. */
  budgetKW: number;
  /** Row power, W (worst case when stale). */
  powerW: number;
  stale: boolean;
  /** The value T1 and T2 compare (engage and release); default: the row's power %. The brake always reads power. */
  lockPct?: number | undefined;
  risePct?: number | undefined;
  /** The value the high-priority half of T2 compares (default: `lockPct`). */
  highPct?: number | undefined;
}

export interface PolcaTiming {
  /** Time for a clock lock to take effect on the chosen path (s): out-of-band 40 s, in-band 1 s. */
  capLatencyS: number;
  /** false: only the power brake acts (automation paused on the row, or the `none` policy). */
  capsEnabled?: boolean;
  /** Headroom: before high-priority GPUs are locked, low-priority ones go to the deep clock (and release after them). */
  lowDeepFirst?: boolean;
  /** Hold of the high-priority locks (s; default the config's minHoldS): they cost latency, so they go first. */
  highHoldS?: number | undefined;
}

export function initialPolcaState(nowMs: number): PolcaRowState {
  return { stage: 'normal', t1SinceMs: NaN, t2SinceMs: NaN, highSinceMs: NaN, lowDeepSinceMs: NaN, brakeSinceMs: NaN, t1BelowSinceMs: NaN, t2BelowSinceMs: NaN, highBelowSinceMs: NaN, brakeBelowSinceMs: NaN, holdFromMs: -Infinity, sinceMs: nowMs, pct: 0, lockPct: 0, risePct: 0, deepSinceMs: NaN, shedServers: 0 };
}

/** Row power as % of its budget; anything unreadable (NaN, no budget) is the worst case: Infinity. */
export function rowPct(view: Pick<PolcaRowView, 'budgetKW' | 'powerW'>): number {
  const p = (view.powerW / (view.budgetKW * 1000)) * 100;
  if (!(view.budgetKW > 0) || !(view.powerW >= 0) || Number.isNaN(p)) return Infinity;
  return p;
}

const on = (since: number) => !Number.isNaN(since);

export function stageOf(s: Pick<PolcaRowState, 't1SinceMs' | 't2SinceMs' | 'brakeSinceMs'>): PolcaStage {
  return on(s.brakeSinceMs) ? 'brake' : on(s.t2SinceMs) ? 't2' : on(s.t1SinceMs) ? 't1' : 'normal';
}

/** True while the high-priority half of T2 is engaged. */
export function highEngaged(s: PolcaRowState): boolean {
  return on(s.highSinceMs);
}

/** One control step of one row. Pure: returns a new state, never mutates `prev`. */
export function stepPolca(cfg: PolcaConfig, view: PolcaRowView, prev: PolcaRowState, nowMs: number, timing: PolcaTiming): PolcaRowState {
  const s: PolcaRowState = { ...prev, pct: rowPct(view) };
  s.lockPct = view.lockPct ?? s.pct;
  s.risePct = view.risePct ?? 0;
  const pct = s.lockPct;
  const power = s.pct;
  const highPct = view.highPct ?? pct;
  const caps = timing.capsEnabled !== false;
  const latMs = Math.max(0, timing.capLatencyS) * 1000;
  const hyst = cfg.releaseHysteresisPct;

  const deepFirst = timing.lowDeepFirst === true;
  if (!caps || !deepFirst) s.lowDeepSinceMs = NaN;
  if (!caps) {
    s.t1SinceMs = NaN;
    s.t2SinceMs = NaN;
    s.highSinceMs = NaN;
  }

  // Escalate: immediately, on fresh or (worst-case) stale readings alike.
  if (power > cfg.brakePct && !on(s.brakeSinceMs)) {
    s.brakeSinceMs = nowMs;
    s.brakeBelowSinceMs = NaN;
    if (caps) {
      if (!on(s.t1SinceMs)) s.t1SinceMs = nowMs;
      if (!on(s.t2SinceMs)) s.t2SinceMs = nowMs;
      if (!on(s.highSinceMs)) s.highSinceMs = nowMs;
      if (deepFirst && !on(s.lowDeepSinceMs)) s.lowDeepSinceMs = nowMs;
    }
  }
  if (caps) {
    if (pct > cfg.t1Pct && !on(s.t1SinceMs)) s.t1SinceMs = nowMs;
    if (pct > cfg.t2Pct && !on(s.t2SinceMs)) s.t2SinceMs = nowMs;
    // "If still above": the low-priority T2 locks have landed and the row is still above T2.
    // Under lowDeepFirst the low-priority deep locks come between: they must have landed before high priority is locked.
    const before = deepFirst ? s.lowDeepSinceMs : s.t2SinceMs;
    if (deepFirst && highPct > cfg.t2Pct && on(s.t2SinceMs) && !on(s.lowDeepSinceMs) && nowMs - s.t2SinceMs >= latMs) s.lowDeepSinceMs = nowMs;
    else if (highPct > cfg.t2Pct && on(before) && !on(s.highSinceMs) && nowMs - before >= latMs) s.highSinceMs = nowMs;
  }

  // Release: never on stale data (and stale time does not count as "below").
  const below = (since: number, threshold: number) => (view.stale || !(pct < threshold - hyst) ? NaN : on(since) ? since : nowMs);
  s.t1BelowSinceMs = below(s.t1BelowSinceMs, cfg.t1Pct);
  s.t2BelowSinceMs = below(s.t2BelowSinceMs, cfg.t2Pct);
  s.highBelowSinceMs = view.stale || !(highPct < cfg.t2Pct - hyst) ? NaN : on(s.highBelowSinceMs) ? s.highBelowSinceMs : nowMs;
  if (view.stale) {
    s.brakeBelowSinceMs = NaN;
  } else if (on(s.brakeSinceMs)) {
    if (power < cfg.brakePct - hyst) {
      if (!on(s.brakeBelowSinceMs)) s.brakeBelowSinceMs = nowMs;
    } else s.brakeBelowSinceMs = NaN;
    const landedAt = Math.max(on(s.t2SinceMs) ? s.t2SinceMs + latMs : -Infinity, on(s.highSinceMs) ? s.highSinceMs + latMs : -Infinity);
    if (on(s.brakeBelowSinceMs) && nowMs - s.brakeBelowSinceMs >= cfg.brakeReleaseS * 1000 && nowMs >= landedAt) {
      s.brakeSinceMs = NaN;
      s.brakeBelowSinceMs = NaN;
      s.holdFromMs = nowMs;
    }
  } else if (caps) {
    const holdMs = cfg.minHoldS * 1000;
    const held = (since: number, ms = holdMs) => nowMs - Math.max(since + latMs, s.holdFromMs) >= ms;
    const stayed = (belowSince: number, ms = holdMs) => on(belowSince) && nowMs - belowSince >= ms;
    const highHoldMs = (timing.highHoldS ?? cfg.minHoldS) * 1000;
    if (on(s.highSinceMs) && stayed(s.highBelowSinceMs, highHoldMs) && held(s.highSinceMs, highHoldMs)) s.highSinceMs = NaN;
    else if (on(s.lowDeepSinceMs) && !on(s.highSinceMs) && stayed(s.highBelowSinceMs) && held(s.lowDeepSinceMs)) {
      // Readings under the deep step say nothing about T2 alone: T2 and T1 hold a full hold again from here.
      s.lowDeepSinceMs = NaN;
      s.holdFromMs = nowMs;
    }
    if (on(s.t2SinceMs) && !on(s.highSinceMs) && !on(s.lowDeepSinceMs) && stayed(s.t2BelowSinceMs) && held(s.t2SinceMs)) s.t2SinceMs = NaN;
    if (on(s.t1SinceMs) && !on(s.t2SinceMs) && stayed(s.t1BelowSinceMs) && held(s.t1SinceMs)) s.t1SinceMs = NaN;
  }

  const stage = stageOf(s);
  if (stage !== prev.stage) s.sinceMs = nowMs;
  s.stage = stage;
  return s;
}

/**
 * The lock POLCA asks of one GPU in a row (MHz; 0 = none). Under Headroom's deep lock (`deepMHz`: the low-priority
 * deep clock of the GPU's model) low-priority GPUs go to `deepMHz` and high-priority ones to the low T2 clock.
 */
export function polcaLockMHz(s: PolcaRowState, highPriority: boolean, caps: ClockCaps, deepMHz = 0): number {
  if (on(s.deepSinceMs) && deepMHz > 0) return highPriority ? caps.lowT2MHz : deepMHz;
  if (highPriority) return on(s.highSinceMs) ? caps.highT2MHz : 0;
  if (on(s.lowDeepSinceMs) && deepMHz > 0) return deepMHz;
  return on(s.t2SinceMs) ? caps.lowT2MHz : on(s.t1SinceMs) ? caps.lowT1MHz : 0;
}

// ---------------------------------------------------------------------------------------------------------------
// Frequency caps per GPU model
// ---------------------------------------------------------------------------------------------------------------

/** POLCA's caps for the A100 (MHz) and the A100's max SM clock they were chosen against. */
export const POLCA_PAPER_A100: ClockCaps = { lowT1MHz: 1275, lowT2MHz: 1110, highT2MHz: 1305 };
export const POLCA_PAPER_A100_MAX_MHZ = 1410;

export type ClockCapsOrigin = 'POLCA paper' | 'derived from max clock' | 'policy config';
export interface ResolvedClockCaps extends ClockCaps {
  origin: ClockCapsOrigin;
}

/**
 * Caps for one GPU model: `clockCaps[model.id]` from the policy when given; the paper's values on the A100-SXM;
 * otherwise the paper's caps as the same fraction of the model's max clock (1275/1410, 1110/1410, 1305/1410 →
 * H100-SXM at 1980 MHz: 1790 / 1559 / 1833 MHz). A reconstruction, not a value from the paper. Always within the
 * model's clock range.
 */
export function clockCapsFor(model: GpuModel, cfg: Pick<PolcaConfig, 'clockCaps'>): ResolvedClockCaps {
  const clamp = (x: number) => Math.min(model.maxClockMHz, Math.max(model.minClockMHz, Math.round(x)));
  const given = cfg.clockCaps[model.id];
  if (given) return { lowT1MHz: clamp(given.lowT1MHz), lowT2MHz: clamp(given.lowT2MHz), highT2MHz: clamp(given.highT2MHz), origin: 'policy config' };
  if (model.id === 'A100-SXM') return { ...mapCaps(POLCA_PAPER_A100, clamp), origin: 'POLCA paper' };
  const f = model.maxClockMHz / POLCA_PAPER_A100_MAX_MHZ;
  return { ...mapCaps(POLCA_PAPER_A100, (x) => clamp(x * f)), origin: 'derived from max clock' };
}

function mapCaps(c: ClockCaps, f: (x: number) => number): ClockCaps {
  return { lowT1MHz: f(c.lowT1MHz), lowT2MHz: f(c.lowT2MHz), highT2MHz: f(c.highT2MHz) };
}
