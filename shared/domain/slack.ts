/**
 * Thermal and power slack, the signal TAPAS's routing and reconfiguration follow and the floor's "thermal pressure"
 * colour shows (a reconstruction, ours: the paper gives no formula; docs/MODEL.md "Routing"). Each part is 0 while
 * clear and grows linearly to 1 as it closes in:
 *
 *   thermal = clamp((hottest GPU − (slowdown − THERMAL_FROM_C)) / THERMAL_SPAN_C, 0, 1)
 *   air     = clamp((rack inlet − INLET_FROM_C) / INLET_SPAN_C, 0, 1)
 *   power   = clamp((row % of budget − POWER_FROM_PCT) / POWER_SPAN_PCT, 0, 1)
 *
 * With the H100's 89 °C slowdown the thermal part starts at 69 °C (a GPU at TDP behind a 33 °C inlet) and is full at
 * 84 °C, before the 87 °C SW thermal limit. The air part reads the rack's inlet from ASHRAE's recommended 27 °C to
 * 35 °C. The power part starts at 60 % of the row's budget in force and is full at POLCA's T1 (80 %). Zod-free and
 * pure: the engine and the console compute the same numbers.
 */
export const THERMAL_FROM_C = 20;
export const THERMAL_SPAN_C = 15;
export const INLET_FROM_C = 27;
export const INLET_SPAN_C = 8;
export const POWER_FROM_PCT = 60;
export const POWER_SPAN_PCT = 20;

const clamp01 = (x: number) => (x > 1 ? 1 : x > 0 ? x : 0);

/**
 * Heat's share of the penalty: the worse of the hottest GPU against its slowdown and the rack's inlet. An unknown GPU
 * temperature is a full penalty; an unknown inlet (NaN) has no air part.
 */
export function thermalPenalty(hottestC: number, slowdownC: number, inletC: number): number {
  const gpu = Number.isFinite(hottestC) ? clamp01((hottestC - (slowdownC - THERMAL_FROM_C)) / THERMAL_SPAN_C) : 1;
  const air = inletC > INLET_FROM_C ? clamp01((inletC - INLET_FROM_C) / INLET_SPAN_C) : 0;
  return gpu > air ? gpu : air;
}

/** Power's share: the row's power as % of its budget in force; unknown is a full penalty. */
export function powerPenalty(rowPct: number): number {
  return Number.isFinite(rowPct) ? clamp01((rowPct - POWER_FROM_PCT) / POWER_SPAN_PCT) : 1;
}
