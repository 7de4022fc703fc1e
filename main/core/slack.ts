/**
 * Thermal and power slack of a server, the signal TAPAS's routing follows (a reconstruction, ours: the paper gives no
 * formula; docs/MODEL.md "Routing"). A server's penalty is 0 while its hottest GPU is well below its slowdown
 * temperature and its row well below its budget, and grows linearly to 1 as either closes in:
 *
 *   thermal = clamp((hottest − (slowdown − THERMAL_FROM_C)) / THERMAL_SPAN_C, 0, 1)
 *   air     = clamp((rack inlet − INLET_FROM_C) / INLET_SPAN_C, 0, 1)
 *   power   = clamp((rowPct − POWER_FROM_PCT) / POWER_SPAN_PCT, 0, 1)
 *   penalty = max(thermal, air, power)            weight = 1 − penalty (≥ MIN_WEIGHT)
 *
 * With the H100's 89 °C slowdown the thermal part starts at 69 °C (a GPU at TDP behind a 33 °C inlet) and is full at
 * 84 °C, before the 87 °C SW thermal limit. The air part reads the rack's inlet: from ASHRAE's recommended 27 °C to
 * 35 °C, so a server that runs cool itself still sheds load when its aisle is hot (its heat is part of the problem:
 * the neighbours at TDP behind the same air are not routable). The power part starts at 70 % of the row's budget in
 * force (below POLCA's T1 at 80 %) and is full at 95 %. Pure: the simulator's router and the published weights of a
 * real fleet use it alike.
 */

export const THERMAL_FROM_C = 20;
export const THERMAL_SPAN_C = 15;
export const INLET_FROM_C = 27;
export const INLET_SPAN_C = 8;
export const POWER_FROM_PCT = 60;
export const POWER_SPAN_PCT = 20;
/** A server under full pressure still gets a sliver of weight (it keeps serving what nobody else can). */
export const MIN_WEIGHT = 0.02;

const clamp01 = (x: number) => (x > 1 ? 1 : x > 0 ? x : 0);

/**
 * Penalty 0…1 of a server from its hottest GPU (°C), its model's slowdown (°C), its rack's inlet (°C; NaN: unknown,
 * no air part) and its row's power (% of budget). An unknown GPU temperature or row power is a full penalty.
 */
export function serverPenalty(hottestC: number, slowdownC: number, inletC: number, rowPct: number): number {
  const thermal = Number.isFinite(hottestC) ? clamp01((hottestC - (slowdownC - THERMAL_FROM_C)) / THERMAL_SPAN_C) : 1;
  const air = inletC > INLET_FROM_C ? clamp01((inletC - INLET_FROM_C) / INLET_SPAN_C) : 0;
  const power = Number.isFinite(rowPct) ? clamp01((rowPct - POWER_FROM_PCT) / POWER_SPAN_PCT) : 1;
  return Math.max(thermal, air, power);
}

/** Routing weight of a server: 1 − penalty, never below MIN_WEIGHT. */
export function slackWeight(penalty: number): number {
  const w = 1 - penalty;
  return w > MIN_WEIGHT ? w : MIN_WEIGHT;
}

/**
 * Per server, the penalty from live columns: the hottest of its GPUs [gpuStart, gpuEnd), its model's slowdown, its
 * rack's inlet, its row's power against the row's budget in force. Writes `out` (servers long).
 */
export function serverPenalties(
  s: {
    gpuStart: ArrayLike<number>;
    gpuEnd: ArrayLike<number>;
    /** Per server: its rack, its row and its GPUs' slowdown temperature (°C). */
    rack: ArrayLike<number>;
    row: ArrayLike<number>;
    slowdownC: ArrayLike<number>;
  },
  tempC: ArrayLike<number>,
  rackInletC: ArrayLike<number>,
  rowW: ArrayLike<number>,
  rowBudgetKW: ArrayLike<number>,
  out: Float64Array,
): void {
  for (let i = 0; i < out.length; i++) {
    let hot = -Infinity;
    for (let g = s.gpuStart[i]!; g < s.gpuEnd[i]!; g++) if (tempC[g]! > hot) hot = tempC[g]!;
    const r = s.row[i]!;
    const budget = rowBudgetKW[r]!;
    const pct = budget > 0 ? rowW[r]! / (budget * 10) : Infinity;
    out[i] = serverPenalty(hot, s.slowdownC[i]!, rackInletC[s.rack[i]!]!, pct);
  }
}
