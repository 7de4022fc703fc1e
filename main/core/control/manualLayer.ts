import type { Override } from '../../../shared/domain/control.js';
import { Arbiter, type Layer } from './arbiter.js';

/** The reason an override's contributions carry (the arbiter interns it). */
export function overrideWhy(ov: Pick<Override, 'id' | 'createdBy' | 'reason'>): string {
  return `override ${ov.id} by ${ov.createdBy}: ${ov.reason}`;
}

/**
 * The manual layer: every override in force merged into ONE arbiter layer (one value per channel per GPU) and the
 * exempt flags. Rules:
 *   - power caps and clock locks: per GPU and per channel, the LOWEST value any override asks for wins;
 *   - an exempt override flags each of its GPUs (the arbiter then ignores automatic contributions there);
 *   - the merged values do not depend on the order of the overrides; only which of several EQUAL values is
 *     credited does: the one listed first (the service lists overrides in creation order, so the oldest);
 *   - every override's reason is interned, in list order, even an exempt one's.
 * Clears and refills `layer` and `exempt`; no other effect.
 */
export function mergeOverrides(overrides: Iterable<Override>, layer: Layer, exempt: Uint8Array, why: (text: string) => number): void {
  Arbiter.clear(layer);
  exempt.fill(0);
  for (const ov of overrides) {
    const w = why(overrideWhy(ov));
    const a = ov.action;
    for (const g of ov.gpus) {
      if (a.kind === 'exempt') exempt[g] = 1;
      else if (a.kind === 'powerCap') {
        if (layer.limitW[g] === 0 || a.watts < layer.limitW[g]!) {
          layer.limitW[g] = a.watts;
          layer.limitWhy[g] = w;
        }
      } else if (layer.lockMHz[g] === 0 || a.mhz < layer.lockMHz[g]!) {
        layer.lockMHz[g] = a.mhz;
        layer.lockWhy[g] = w;
      }
    }
  }
}
