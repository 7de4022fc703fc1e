import { powerPenalty, thermalPenalty } from '../../shared/domain/slack.js';

/**
 * A server's slack penalty and routing weight (shared/domain/slack.ts holds the ramps, the console colours the floor
 * with the same): penalty = max(thermal, air, power), weight = 1 − penalty (≥ MIN_WEIGHT). Pure: the simulator's router
 * and the published weights of a real fleet use it alike.
 */
export { INLET_FROM_C, INLET_SPAN_C, POWER_FROM_PCT, POWER_SPAN_PCT, THERMAL_FROM_C, THERMAL_SPAN_C } from '../../shared/domain/slack.js';

/** A server under full pressure still gets a sliver of weight (it keeps serving what nobody else can). */
export const MIN_WEIGHT = 0.02;

/**
 * Penalty 0…1 of a server from its hottest GPU (°C), its model's slowdown (°C), its rack's inlet (°C; NaN: unknown,
 * no air part) and its row's power (% of budget). An unknown GPU temperature or row power is a full penalty.
 */
export function serverPenalty(hottestC: number, slowdownC: number, inletC: number, rowPct: number): number {
  const heat = thermalPenalty(hottestC, slowdownC, inletC);
  const power = powerPenalty(rowPct);
  return heat > power ? heat : power;
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
