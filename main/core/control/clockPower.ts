import type { GpuModel } from '../../../shared/domain/topology.js';
import { powerAt } from '../physics.js';

/**
 * The clock → power estimate behind cap previews: what a GPU would draw at another clock, from one reading.
 * Rules:
 *   - activity is powerAt solved for `a` at the reading's clock (the inverse of powerAt at a fixed clock), never
 *     negative; a model without dynamic power has activity 0;
 *   - an idle reading (clock not above the idle clock, or power not above idle power) is returned unchanged: a
 *     lock changes nothing on an idle GPU;
 *   - otherwise the estimate is powerAt at the target clock: it round-trips (target = reading's clock gives the
 *     reading back) and never falls as the target clock rises.
 */

/** Activity a reading of `powerW` at `clockMHz` implies (powerAt solved for activity), ≥ 0. */
export function activityAt(m: GpuModel, powerW: number, clockMHz: number): number {
  const dyn = (m.maxLimitW - m.idleW) * Math.pow(clockMHz / m.maxClockMHz, m.clockPowerExponent);
  return dyn > 0 ? Math.max(0, (powerW - m.idleW) / dyn) : 0;
}

/** Power (W) of a GPU read at `powerW` and `clockMHz` if it ran at `targetMHz` instead. */
export function powerAtClock(m: GpuModel, powerW: number, clockMHz: number, targetMHz: number): number {
  if (!(clockMHz > m.idleClockMHz) || powerW <= m.idleW) return powerW;
  return powerAt(m, activityAt(m, powerW, clockMHz), targetMHz);
}
