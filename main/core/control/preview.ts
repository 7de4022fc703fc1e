import type { OverrideAction } from '../../../shared/domain/control.js';
import type { ResponseTypes } from '../../../shared/contract.js';
import type { GpuModel } from '../../../shared/domain/topology.js';
import { SOURCE, type Arbiter } from './arbiter.js';
import { powerAtClock } from './clockPower.js';

/**
 * The estimated effect of an override on its GPUs' power, before it is set (nothing is applied). Rules:
 *   - a power cap or clock lock is first clamped to each GPU model's range (`clamped` counts the GPUs where it was);
 *   - a cap or lock only lowers power: the estimate is min(reading, power at the cap / at the locked clock);
 *   - exempt: a GPU whose lock is automatic loses it and runs at the lowest lock that remains (other sources), or
 *     unlocked, within its current power limit; it never drops below its reading. Other GPUs are unchanged;
 *   - clock → power as clockPower.ts; sums in GPU order, rounded to 0.1 W at the end.
 */

/** The live columns a preview reads (W, MHz). */
export interface PreviewReadings {
  readonly powerW: ArrayLike<number>;
  readonly clockMHz: ArrayLike<number>;
  readonly limitW: ArrayLike<number>;
}

export type Preview = ResponseTypes['override:preview'];

/** The lowest lock of the non-automatic layers on GPU g (0: none). */
function lockWithoutAutomation(arbiter: Arbiter, g: number): number {
  let rest = 0;
  for (const ly of arbiter.layers) {
    if (ly.source === SOURCE.auto) continue;
    const v = ly.lockMHz[g]!;
    if (v > 0 && (rest === 0 || v < rest)) rest = v;
  }
  return rest;
}

export function previewAction(
  gpus: readonly number[],
  action: OverrideAction,
  models: readonly GpuModel[],
  gpuModel: Int32Array,
  live: PreviewReadings,
  arbiter: Arbiter,
): Preview {
  let currentW = 0;
  let afterW = 0;
  let clamped = 0;
  for (const g of gpus) {
    const m = models[gpuModel[g]!]!;
    const p = live.powerW[g]!;
    const at = (f: number) => powerAtClock(m, p, live.clockMHz[g]!, f);
    currentW += p;
    if (action.kind === 'powerCap') {
      const w = Math.min(m.maxLimitW, Math.max(m.minLimitW, action.watts));
      if (w !== action.watts) clamped++;
      afterW += Math.min(p, w);
    } else if (action.kind === 'clockLock') {
      const f = Math.min(m.maxClockMHz, Math.max(m.minClockMHz, action.mhz));
      if (f !== action.mhz) clamped++;
      afterW += Math.min(p, at(f));
    } else if (arbiter.out.lockSrc[g] === SOURCE.auto) {
      const rest = lockWithoutAutomation(arbiter, g);
      afterW += Math.max(p, Math.min(live.limitW[g]!, at(rest > 0 ? rest : m.maxClockMHz)));
    } else afterW += p;
  }
  const r1 = (x: number) => Math.round(x * 10) / 10;
  return { gpus: gpus.length, currentW: r1(currentW), afterW: r1(afterW), deltaW: r1(afterW - currentW), clamped };
}
