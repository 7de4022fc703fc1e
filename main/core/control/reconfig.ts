import { serverPenalty } from '../slack.js';

/**
 * TAPAS's reconfiguration rule for one row (pure; docs/MODEL.md "Reconfiguration"). The row's pressure is the slack
 * penalty of its worst place (core/slack.ts): its hottest GPU against slowdown, its hottest rack inlet, its power
 * against the budget in force — 0 clear … 1 at POLCA's T1, at 35 °C inlet, or 5 °C below slowdown. Then:
 *   - one rung deeper (shared/domain/reconfig.ts) when the pressure has stayed ≥ DEEPER_AT for DEEPER_AFTER_S and the
 *     last change has landed: at 70 % of the budget, with a minute or more before T1 (80 %), where the lever rule
 *     (levers.ts chooseLever) ranks FP8 (0.5 % quality, no slowdown) before T1's clock locks; never deeper than the
 *     ladder;
 *   - one rung back when it has stayed ≤ BACK_AT for BACK_AFTER_S and the last change has landed (hysteresis: the
 *     instances reload on every change, so the rule changes rarely);
 *   - stale readings, and readings before the last change has landed, neither deepen nor restore, and restart both
 *     clocks (a rung proves itself only once it is in effect);
 *   - each change comes with its reason.
 * Caps stay the fast safety net: a reload takes a minute, POLCA's locks a second.
 */
export const DEEPER_AT = 0.5;
export const DEEPER_AFTER_S = 20;
export const BACK_AT = 0.15;
export const BACK_AFTER_S = 300;

export interface ReconfigRowState {
  rung: number;
  /** Since when the pressure has stayed at or above DEEPER_AT / at or below BACK_AT (NaN: it has not). */
  aboveSinceMs: number;
  belowSinceMs: number;
  /** When the last change lands (engine ms; −Infinity: none pending). */
  landsAtMs: number;
}

export interface ReconfigView {
  /** Row power as % of its budget in force; hottest GPU and its slowdown (°C); hottest rack inlet (°C, NaN: none). */
  rowPct: number;
  hottestGpuC: number;
  slowdownC: number;
  hottestInletC: number;
  stale: boolean;
}

export function initialReconfig(): ReconfigRowState {
  return { rung: 0, aboveSinceMs: NaN, belowSinceMs: NaN, landsAtMs: -Infinity };
}

export function rowPressure(v: ReconfigView): number {
  return serverPenalty(v.hottestGpuC, v.slowdownC, v.hottestInletC, v.rowPct);
}

/** What drives the pressure now, in words (for the reason). */
export function cause(v: ReconfigView): string {
  return `row at ${v.rowPct.toFixed(0)} % of its budget, hottest inlet ${Number.isFinite(v.hottestInletC) ? v.hottestInletC.toFixed(1) : '?'} °C, hottest GPU ${v.hottestGpuC.toFixed(0)} °C`;
}

/**
 * One step. `maxRung`: the deepest rung of the ladder; `latencyS(from, to)`: how long a change takes to land.
 * Returns the new state and the change decided now, if any.
 */
export function stepReconfig(
  prev: ReconfigRowState,
  v: ReconfigView,
  nowMs: number,
  o: { maxRung: number; latencyS: (from: number, to: number) => number },
): { state: ReconfigRowState; change: { from: number; to: number; reason: string } | null } {
  const s = { ...prev };
  // Stale readings prove nothing; nor do readings before the last change has landed (they show the rung before it).
  if (v.stale || nowMs < prev.landsAtMs) {
    s.aboveSinceMs = NaN;
    s.belowSinceMs = NaN;
    return { state: s, change: null };
  }
  const p = rowPressure(v);
  s.aboveSinceMs = p >= DEEPER_AT ? (Number.isNaN(prev.aboveSinceMs) ? nowMs : prev.aboveSinceMs) : NaN;
  s.belowSinceMs = p <= BACK_AT ? (Number.isNaN(prev.belowSinceMs) ? nowMs : prev.belowSinceMs) : NaN;
  let to = s.rung;
  let reason = '';
  if (s.rung < o.maxRung && !Number.isNaN(s.aboveSinceMs) && nowMs - s.aboveSinceMs >= DEEPER_AFTER_S * 1000) {
    to = s.rung + 1;
    reason = `pressure ${p.toFixed(2)} ≥ ${DEEPER_AT} for ${DEEPER_AFTER_S} s (${cause(v)}): a lower-power configuration before clock locks`;
  } else if (s.rung > 0 && !Number.isNaN(s.belowSinceMs) && nowMs - s.belowSinceMs >= BACK_AFTER_S * 1000) {
    to = s.rung - 1;
    reason = `pressure ${p.toFixed(2)} ≤ ${BACK_AT} for ${BACK_AFTER_S} s (${cause(v)}): back toward the configuration as deployed`;
  }
  if (to === s.rung) return { state: s, change: null };
  const from = s.rung;
  s.rung = to;
  s.landsAtMs = nowMs + o.latencyS(from, to) * 1000;
  s.aboveSinceMs = NaN;
  s.belowSinceMs = NaN;
  return { state: s, change: { from, to, reason } };
}
