import type { Playbook } from '../../../shared/domain/control.js';

/**
 * The load-spike trigger: a real surge, not a training wave or a start-up ramp. Pure (no I/O, no clock).
 *
 * A synchronous training job's power is a square wave (compute after each communication dip: a rise of tens of
 * points of the budget within a second, every iteration, e.g. every 12 s), and a job starting up ramps its row from
 * idle to full power within seconds. Both are fast rises; neither is an emergency. The trigger therefore compares the
 * row with its OWN recent behaviour, not with zero:
 *
 *  1. History. Each fresh reading is kept as the highest power of its one-second bucket (`[bucket start ms, W]`);
 *     stale readings (worst-case power during a telemetry stall), unknown or negative power are not recorded.
 *     Buckets older than max(warmupS, riseS + baselineS) + 1 s are dropped.
 *  2. Warm-up: no spike until the row's oldest bucket is at least `warmupS` old (default 60 s): a job's start-up ramp,
 *     a restarted console or a row whose history aged out during a long stall is not a spike. (A job starting on a
 *     warm row is judged like any rise: only a jump to above `nearPct` counts, and that is a reason to cap early.)
 *  3. Near the budget: no spike unless the row is above `nearPct` of its effective budget (default 85 %) AND above the
 *     lowest `whileAbovePct` of the playbook's stages (where a stage could act; no floor when a stage has none).
 *     A rise from 40 % to 70 % is no emergency.
 *  4. Above the envelope: the envelope is the highest power of the buckets within `baselineS` (default 60 s, five
 *     12 s iterations) before the last `riseS` seconds (default 10 s; a bucket counts once it ended `riseS` ago, so a
 *     reading joins it `riseS` to `riseS` + 1 s later). The row spikes when its power now exceeds that top by MORE than
 *     `pctPerS × riseS` points of the budget (the default playbook: 0.5 %/s × 10 s = 5 points): its envelope rose
 *     faster than `pctPerS`. A training wave only returns to the peak it reached an iteration earlier, so it never
 *     exceeds its envelope; normal noise stays within a few points of it (the envelope already holds the row's recent
 *     range, so the rise is not compared with the range again: a ×1.6 surge on a noisy inference row lifts it by about
 *     one range); a slow drift is followed by the envelope. No baseline bucket: no spike.
 *
 * A surge is caught at the first reading that is above `nearPct` while more than `pctPerS × riseS` points above the
 * envelope; it clears once the envelope has caught up (the surge's own level is `riseS` old), and the playbook ends
 * SPIKE_HOLD_S after that (playbooks.ts).
 */

export type LoadSpikeTrigger = Extract<Playbook['trigger'], { kind: 'loadSpike' }>;

/** One-second buckets of a row's fresh power: [bucket start (ms, a multiple of BUCKET_MS), highest power in it (W)]. */
export type SpikeHistory = Array<[number, number]>;

export const BUCKET_MS = 1000;

/** What the trigger reads of a row at one tick. */
export interface SpikeView {
  budgetKW: number;
  powerW: number;
  stale: boolean;
}

const usable = (v: SpikeView) => !v.stale && v.powerW >= 0 && Number.isFinite(v.powerW);

/** The history after this reading. `hist` is not modified; the same array is returned when nothing changed. */
export function recordSpikePower(tr: LoadSpikeTrigger, hist: SpikeHistory, v: SpikeView, nowMs: number): SpikeHistory {
  const keepFrom = nowMs - Math.max(tr.warmupS, tr.riseS + tr.baselineS) * 1000 - BUCKET_MS;
  let drop = 0;
  while (drop < hist.length && hist[drop]![0] < keepFrom) drop++;
  let out = drop > 0 ? hist.slice(drop) : hist;
  if (!usable(v)) return out;
  const b = Math.floor(nowMs / BUCKET_MS) * BUCKET_MS;
  const last = out[out.length - 1];
  if (last && last[0] === b) {
    if (v.powerW <= last[1]) return out;
    out = out === hist ? hist.slice() : out;
    out[out.length - 1] = [b, v.powerW];
    return out;
  }
  if (last && last[0] > b) return out; // time went back: keep what is known
  return out === hist ? [...hist, [b, v.powerW]] : (out.push([b, v.powerW]), out);
}

/** The top of the row's envelope before the rise window (W): -Infinity when no bucket lies in the baseline. */
export function envelopeTopW(tr: LoadSpikeTrigger, hist: SpikeHistory, nowMs: number): number {
  const end = nowMs - tr.riseS * 1000;
  const start = end - tr.baselineS * 1000;
  let top = -Infinity;
  for (const [b, w] of hist) {
    if (b + BUCKET_MS > end) break;
    if (b >= start && w > top) top = w;
  }
  return top;
}

/**
 * Whether the row spikes now (rules 2–4), given its history INCLUDING this reading and the lowest stage threshold
 * (% of the budget; -Infinity when a stage has none).
 */
export function loadSpikeHolds(tr: LoadSpikeTrigger, hist: SpikeHistory, v: SpikeView, nowMs: number, floorPct: number): boolean {
  if (!usable(v) || !(v.budgetKW > 0) || hist.length === 0) return false;
  if (hist[0]![0] > nowMs - tr.warmupS * 1000) return false;
  const budgetW = v.budgetKW * 1000;
  const pct = (v.powerW / budgetW) * 100;
  if (!(pct > tr.nearPct) || !(pct > floorPct)) return false;
  const top = envelopeTopW(tr, hist, nowMs);
  return ((v.powerW - top) / budgetW) * 100 > tr.pctPerS * tr.riseS;
}
