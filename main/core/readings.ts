import { READING_LIMITS } from '../../shared/domain/fleet.js';

/**
 * Plausibility checks shared by the GPU-telemetry parsers, on the same bounds as the engine (READING_LIMITS):
 * NaN, ±Inf, negative, power above twice the limit, temperature outside −20…150 °C are invalid. A reading with any
 * such value is returned flagged (valid: false) with its reasons — never dropped, never silently "fixed".
 */

export const TEMP_RANGE_C = READING_LIMITS.tempC;
/** Power above this many times the GPU's limit is impossible. */
export const POWER_LIMIT_FACTOR = READING_LIMITS.powerLimitFactor;
/** Used when no limit is known: twice a 1.2 kW part. */
export const FALLBACK_MAX_POWER_W = 2400;
/** No current GPU's SM clock comes near this. */
export const MAX_SM_CLOCK_MHZ = 10_000;

export interface Checkable {
  powerW: number | null;
  tempC: number | null;
  smClockMHz: number | null;
  utilPct: number | null;
  energyJ?: number;
  limitW?: number;
}

/** Why each value is invalid (empty: all fine). Missing power or temperature makes a reading invalid too. */
export function invalidReasons(r: Checkable): string[] {
  const out: string[] = [];
  const bad = (field: string, v: number): string | undefined => {
    if (Number.isNaN(v)) return `${field} is NaN`;
    if (!Number.isFinite(v)) return `${field} is ${v > 0 ? '+Inf' : '-Inf'}`;
    return undefined;
  };
  const limitOk = r.limitW !== undefined && Number.isFinite(r.limitW) && r.limitW > 0;
  if (r.limitW !== undefined) {
    const b = bad('limitW', r.limitW);
    if (b) out.push(b);
    else if (r.limitW <= 0) out.push(`limitW ${r.limitW} is not positive`);
  }
  if (r.powerW === null) out.push('powerW missing');
  else {
    const b = bad('powerW', r.powerW);
    const max = limitOk ? POWER_LIMIT_FACTOR * r.limitW! : FALLBACK_MAX_POWER_W;
    if (b) out.push(b);
    else if (r.powerW < 0) out.push(`powerW ${r.powerW} is negative`);
    else if (r.powerW > max) out.push(`powerW ${r.powerW} exceeds ${max} W (${limitOk ? `${POWER_LIMIT_FACTOR}× limit` : 'no limit known'})`);
  }
  if (r.tempC === null) out.push('tempC missing');
  else {
    const b = bad('tempC', r.tempC);
    if (b) out.push(b);
    else if (r.tempC < TEMP_RANGE_C[0] || r.tempC > TEMP_RANGE_C[1]) out.push(`tempC ${r.tempC} outside ${TEMP_RANGE_C[0]}…${TEMP_RANGE_C[1]} °C`);
  }
  if (r.smClockMHz !== null) {
    const b = bad('smClockMHz', r.smClockMHz);
    if (b) out.push(b);
    else if (r.smClockMHz < 0) out.push(`smClockMHz ${r.smClockMHz} is negative`);
    else if (r.smClockMHz > MAX_SM_CLOCK_MHZ) out.push(`smClockMHz ${r.smClockMHz} above ${MAX_SM_CLOCK_MHZ}`);
  }
  if (r.utilPct !== null) {
    const b = bad('utilPct', r.utilPct);
    if (b) out.push(b);
    else if (r.utilPct < 0 || r.utilPct > 100) out.push(`utilPct ${r.utilPct} outside 0…100`);
  }
  if (r.energyJ !== undefined) {
    const b = bad('energyJ', r.energyJ);
    if (b) out.push(b);
    else if (r.energyJ < 0) out.push(`energyJ ${r.energyJ} is negative`);
  }
  return out;
}

/** Keep only hardware clock-event bits (low 16); Headroom's own SampleFlag bits live above and must not be forged. */
export const CLOCK_EVENT_BITS = 0xffff;
