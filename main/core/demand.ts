import type { GpuModel } from '../../shared/domain/topology.js';
import { ClockEvent } from '../../shared/domain/fleet.js';
import { BRAKE_CLOCK_MHZ, clockForLimit, powerAt } from './physics.js';

/**
 * What a GPU of a real fleet would have drawn without the caps in force (its demand), inferred from what it showed:
 * power, SM clock, power limit and clock-event reasons. Pure.
 *
 * A GPU that nothing held (limit at its default, no clock lock, no brake) showed its demand: demand = power. A held
 * GPU shows less; its activity is what the power model says at the clock it ran, a = (P − idle) / ((max − idle) ·
 * (f / fmax)^k), and its demand is what that activity draws at the clock the GPU would have picked under its own
 * default limit — never below what it showed, never above that limit. The exponent k is not known for a workload
 * (memory-bound decode differs from a dense matmul; one H200 under a matmul fits k ≈ 1.1, our model uses 1.3), so the
 * estimate comes with a band: k from DEMAND_K_LOW to DEMAND_K_HIGH. Method and measured error: docs/MODEL.md.
 */
export const DEMAND_K_LOW = 0.9;
export const DEMAND_K_HIGH = 1.6;
export const OWN_LIMIT_MID = 0.985;
export const OWN_LIMIT_LOW = 0.97;

/** Clock-event reasons that mean someone held the GPU (a power cap below its default is checked apart). */
const HELD = ClockEvent.clocksSetting | ClockEvent.hwPowerBrake;

export interface DemandEstimate {
  /** Whether the GPU was held (its power is a lower bound of its demand). */
  held: boolean;
  /** Activity (0 … ~1.2) at the model's exponent, and at the band's ends. */
  activity: number;
  activityLow: number;
  activityHigh: number;
  demandW: number;
  lowW: number;
  highW: number;
}

/**
 * Held: a power limit below the default, a clock lock or the brake flagged, or — since nvidia-smi flags no reason
 * for a `-lgc` lock — a busy GPU (utilisation, a fraction 0…1, ≥ 0.5) running well below its top clock with power to spare and no
 * power-cap or thermal reason: an unheld busy GPU boosts until its own limit stops it.
 */
export function isHeld(m: GpuModel, powerW: number, clockMHz: number, limitW: number, util: number, flags: number): boolean {
  if ((Number.isFinite(limitW) && limitW < m.defaultLimitW - 1) || (flags & HELD) !== 0) return true;
  const ownLimits = ClockEvent.swPowerCap | ClockEvent.swThermal | ClockEvent.hwThermal | ClockEvent.hwSlowdown;
  return util >= 0.5 && clockMHz < 0.95 * m.maxClockMHz && powerW < 0.95 * m.defaultLimitW && (flags & ownLimits) === 0;
}

function activityAt(m: GpuModel, powerW: number, clockMHz: number, k: number): number {
  const dyn = m.maxLimitW - m.idleW;
  const r = Math.min(1, Math.max(m.minClockMHz, clockMHz) / m.maxClockMHz);
  return Math.max(0, (powerW - m.idleW) / (dyn * Math.pow(r, k)));
}

/** Power a GPU of activity `a` draws left alone: at the clock its default limit allows (the hardware's own cap). */
function freePower(m: GpuModel, a: number, k: number): number {
  const mk = { ...m, clockPowerExponent: k };
  return powerAt(mk, a, clockForLimit(mk, a, m.defaultLimitW));
}

export function inferDemand(m: GpuModel, powerW: number, clockMHz: number, limitW: number, util: number, flags: number): DemandEstimate {
  const k = m.clockPowerExponent;
  if (!Number.isFinite(powerW)) return { held: false, activity: 0, activityLow: 0, activityHigh: 0, demandW: NaN, lowW: NaN, highW: NaN };
  const held = isHeld(m, powerW, clockMHz, limitW, util, flags);
  const at = (kk: number) => activityAt(m, powerW, Number.isFinite(clockMHz) && clockMHz > 0 ? clockMHz : m.maxClockMHz, kk);
  if (!held || !Number.isFinite(clockMHz) || clockMHz <= 0) {
    const a = at(k);
    // Unheld: what it showed is its demand. Held without a clock reading: anything from what it showed to its limit.
    return held
      ? { held, activity: a, activityLow: a, activityHigh: a, demandW: Math.max(powerW, (powerW + m.defaultLimitW) / 2), lowW: powerW, highW: Math.max(powerW, m.defaultLimitW) }
      : { held, activity: a, activityLow: a, activityHigh: a, demandW: powerW, lowW: powerW, highW: powerW };
  }
  // A GPU on its own limit regulates a little below it (98.4–99.1 % of 700 W on the real H200): the estimate saturates
  // at OWN_LIMIT_MID of the limit, the band's ends at OWN_LIMIT_LOW and the limit itself.
  const L = m.defaultLimitW;
  const clamp = (w: number, top: number) => Math.max(powerW, Math.min(w, top));
  const a = at(k);
  const aLow = at(DEMAND_K_LOW);
  const aHigh = at(DEMAND_K_HIGH);
  return {
    held,
    activity: a,
    activityLow: aLow,
    activityHigh: aHigh,
    demandW: clamp(freePower(m, a, k), OWN_LIMIT_MID * L),
    lowW: clamp(freePower(m, aLow, DEMAND_K_LOW), OWN_LIMIT_LOW * L),
    highW: clamp(freePower(m, aHigh, DEMAND_K_HIGH), L),
  };
}

/**
 * What a GPU of activity `a` draws, and at what clock, under setpoints (a power limit, a clock lock — 0 for none —, the
 * brake), with exponent k. The clock is the lowest the setpoints allow; the GPU's default limit always applies.
 */
export function heldPower(m: GpuModel, a: number, k: number, limitW: number, lockMHz: number, braked: boolean): { powerW: number; clockMHz: number } {
  const mk = { ...m, clockPowerExponent: k };
  let f = clockForLimit(mk, a, Math.min(m.defaultLimitW, Number.isFinite(limitW) && limitW > 0 ? limitW : m.defaultLimitW));
  if (lockMHz > 0) f = Math.min(f, Math.max(m.minClockMHz, lockMHz));
  if (braked) f = Math.min(f, BRAKE_CLOCK_MHZ);
  return { powerW: powerAt(mk, a, f), clockMHz: f };
}
