import type { GpuControl, Override } from '../../../shared/domain/control.js';
import { CH, CHANNEL_NAMES, type Actuation, type Channel } from './actuation.js';
import { SOURCE_NAMES, type Arbiter } from './arbiter.js';
import { overrideWhy } from './manualLayer.js';

/**
 * One GPU's control picture for the operator, and the wording of setpoint values (shared with the audit trail).
 * Rules:
 *   - requested = the actuation model's issued setpoint and the arbiter's winning source; a GPU never commanded has
 *     been as it is since the service started;
 *   - reasons = the arbiter's explanation (winners first), then every override that lost to a lower one on the same
 *     GPU (the manual layer holds only the lowest), then the exempt override, if any;
 *   - alarm = each channel whose in-effect value is not seen in read-back, or null.
 */

/** A setpoint value in words: "power brake on", "1559 MHz", "clock unlocked", "default power limit (700 W)", "450 W". */
export function describeValue(ch: Channel, v: number, defaultLimitW: number): string {
  if (ch === CH.brake) return v === 1 ? 'power brake on' : 'power brake off';
  if (ch === CH.lock) return v > 0 ? `${Math.round(v)} MHz` : 'clock unlocked';
  return v >= defaultLimitW ? `default power limit (${Math.round(v)} W)` : `${Math.round(v)} W`;
}

/** A channel's value as a phrase naming the channel once: "power limit 450 W", "power brake on", "clock unlocked". */
export function channelValue(ch: Channel, v: number, defaultLimitW: number): string {
  const d = describeValue(ch, v, defaultLimitW);
  return /^\d/.test(d) ? `${CHANNEL_NAMES[ch]} ${d}` : d;
}

/** What a GPU's picture is read from. */
export interface GpuControlInputs {
  readonly actuation: Actuation;
  readonly arbiter: Arbiter;
  /** Overrides in force, in creation order. */
  readonly overrides: readonly Override[];
  /** Read-back alarm delay (s), for the alarm text. */
  readonly correctionS: number;
  /** When the service started (engine ms). */
  readonly startMs: number;
}

export function gpuControl(g: number, c: GpuControlInputs): GpuControl {
  const A = c.actuation;
  const o = c.arbiter.out;
  const d = A.req;
  const alarmBits = A.alarm[g]!;
  const alarm = alarmBits
    ? [0, 1, 2]
        .filter((ch) => alarmBits & (1 << ch))
        .map((ch) => `${channelValue(ch as Channel, A.eff[ch]![g]!, A.defaultLimitW(g))} not seen in read-back ${c.correctionS} s after it took effect`)
        .join('; ')
    : null;
  const reasons = c.arbiter.explain(g).map((x) => ({ source: x.source, what: x.what, why: x.why }));
  for (const ov of c.overrides) {
    if (ov.action.kind === 'exempt' || !ov.gpus.includes(g)) continue;
    const what = ov.action.kind === 'powerCap' ? `power limit ${ov.action.watts} W` : `clock lock ${ov.action.mhz} MHz`;
    if (!reasons.some((x) => x.source === 'manual' && x.what === what)) reasons.push({ source: 'manual', what, why: `${overrideWhy(ov)} (a lower value wins)` });
  }
  const exempt = c.arbiter.exempt[g] === 1;
  if (exempt) {
    const ov = c.overrides.find((x) => x.action.kind === 'exempt' && x.gpus.includes(g));
    if (ov) reasons.push({ source: 'manual', what: 'exempt from automation', why: overrideWhy(ov) });
  }
  return {
    gpu: g,
    requested: { limitW: d[CH.limit][g]!, lockMHz: d[CH.lock][g]!, brake: d[CH.brake][g] === 1, source: SOURCE_NAMES[o.source[g]!]!, since: Number.isFinite(A.reqSinceMs[g]!) ? A.reqSinceMs[g]! : c.startMs },
    inEffect: { limitW: A.eff[CH.limit][g]!, lockMHz: A.eff[CH.lock][g]!, brake: A.eff[CH.brake][g] === 1 },
    pending: A.pending(g).map((p) => ({ what: `${CHANNEL_NAMES[p.ch]} → ${describeValue(p.ch, p.value, A.defaultLimitW(g))}`, effectAtMs: p.effectAtMs })),
    reasons,
    exempt,
    alarm,
  };
}

/**
 * Per row [start[r], end[r]): GPUs with a cap, lock or brake in effect, and GPUs braked in effect, into `capped` /
 * `braked`. Only rows overlapping GPUs [from, to) are recounted (where in-effect values changed; default: all).
 */
export function countInEffect(A: Actuation, start: Int32Array, end: Int32Array, capped: Int32Array, braked: Int32Array, from = 0, to = Infinity): void {
  const brake = A.eff[CH.brake];
  for (let r = 0; r < start.length; r++) {
    if (end[r]! <= from || start[r]! >= to) continue;
    let nc = 0;
    let nb = 0;
    for (let g = start[r]!; g < end[r]!; g++) {
      if (A.capped(g)) nc++;
      if (brake[g] === 1) nb++;
    }
    capped[r] = nc;
    braked[r] = nb;
  }
}
