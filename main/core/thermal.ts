/**
 * Row air model (a reconstruction; TAPAS gives no formula, see docs/MODEL.md): the cold-aisle inlet temperature
 * relaxes with time constant ROOM_TAU_S toward supply + a mild rise with load + a steep rise once the row's
 * heat exceeds its cooling capacity (hot-air recirculation), capped at MAX_RISE_C above supply.
 */
export const ROOM_TAU_S = 60;
/** The row's mean rise at full cooling load; racks add their own recirculation on top (core/rackThermal.ts). */
const LOAD_RISE_C = 3.2;
const OVERLOAD_RISE_C_PER_UNIT = 40;
const MAX_RISE_C = 35;

export function inletTargetC(supplyC: number, heatKW: number, coolingKW: number): number {
  if (!(coolingKW > 0)) return supplyC + MAX_RISE_C;
  const ratio = heatKW / coolingKW;
  const rise = LOAD_RISE_C * Math.min(ratio, 1) + OVERLOAD_RISE_C_PER_UNIT * Math.max(0, ratio - 1);
  return supplyC + Math.min(MAX_RISE_C, rise);
}

export function stepInletC(prevC: number, supplyC: number, heatKW: number, coolingKW: number, dtS: number): number {
  const target = inletTargetC(supplyC, heatKW, coolingKW);
  return prevC + (target - prevC) * (1 - Math.exp(-dtS / ROOM_TAU_S));
}
