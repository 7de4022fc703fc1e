import type { HeadroomConfig, PolcaConfig } from '../../../shared/domain/control.js';
import { RiseTracker } from '../rises.js';
import type { PolcaRowState } from './polca.js';

/**
 * Headroom's own row controller, layered on POLCA's levels (polca.ts: T1, T2, the brake, the same locks per model).
 * POLCA compares the row's power now with fixed thresholds chosen for one site's worst rise (T2 = 89 % because
 * POLCA's production row never rose more than 11.8 % within the 40 s a lock takes). Headroom compares what the row
 * can reach before a lock lands. Rules:
 *   - envelope: decisions read the row's highest power over the last `envelopeS` (fresh readings), so a training
 *     job's iteration waves (compute ↔ communication every few seconds) read as the plateau they return to, not as
 *     rises — and its start-up ramp is one rise, learnt like any other;
 *   - learnt rise: after a `warmupS` start (a row first seen from nothing is no rise), and not for a lock latency +
 *     envelope after the controller changed the row's locks (what follows a release is its own doing), over the last
 *     `riseHistoryS`, how far the envelope rose within the time a lock takes to land
 *     (the actuator's latency, + one step to see it): its `riseQuantile` (default: the worst), at least `minRisePct`;
 *   - lock level: T1 and T2 compare envelope + learnt rise + `marginPct` − (brake − T2), i.e. POLCA's thresholds
 *     keep their meaning and move earlier by exactly how much worse this row's rise is than the one they assumed;
 *     the brake still reads measured power: it is the last resort and must not act on a prediction;
 *   - hold: a level releases only after `minHoldS` landed and with the lock level below its threshold minus the
 *     hysteresis for as long (crests return within minutes: a release in a trough re-engages 40 s late);
 *   - deep lock, the stage beyond the brake: `escalateBrakes` brakes within `escalateWindowS` engage it (low-priority
 *     GPUs at `deepClockShare` of their max clock, high-priority at POLCA's low-priority T2 clock); it holds
 *     `deepHoldS` after the last brake, and releases on fresh readings with the lock level below T2 − hysteresis;
 *   - shed: with the deep lock landed and measured power still above the brake level, the controller recommends
 *     shedding ⌈excess ÷ mean server power⌉ servers (it never sheds: a person decides);
 *   - stale readings add nothing to the history, the envelope counts them as unknown (Infinity: escalate, never
 *     release), exactly as POLCA does.
 * Pure: the memory is a plain object advanced by the caller; time comes in as arguments.
 */

export interface HeadroomRowMemory {
  /** Ring of the last envelope-window power readings (% of budget). */
  readonly recent: Float64Array;
  next: number;
  size: number;
  /** Rises of the envelope over the lock latency, learnt over the history. */
  readonly rises: RiseTracker;
  /** Engine ms of the row's brake engagements within the escalation window. */
  brakeAtMs: number[];
  lastBrakeMs: number;
  /** Readings still to skip before rises are learnt (the controller's start: a row seen from nothing is no rise). */
  warmup: number;
  /** Engine ms until which rises are not learnt: the controller changed the row's locks (its own doing, not demand). */
  quietUntilMs: number;
  /** The row's lock signature at the last step (levels engaged), to see changes. */
  locks: string;
}

export function createHeadroomMemory(cfg: HeadroomConfig, stepMs: number, capLatencyS: number): HeadroomRowMemory {
  const step = Math.max(1, stepMs);
  const envSamples = Math.max(1, Math.round((cfg.envelopeS * 1000) / step));
  const latencySamples = Math.max(1, Math.ceil((capLatencyS * 1000) / step) + 1);
  const history = Math.max(latencySamples + 1, Math.round((cfg.riseHistoryS * 1000) / step));
  const warmup = Math.round((cfg.warmupS * 1000) / step);
  return { recent: new Float64Array(envSamples), next: 0, size: 0, rises: new RiseTracker(history, latencySamples), brakeAtMs: [], lastBrakeMs: NaN, warmup, quietUntilMs: -Infinity, locks: '' };
}

/** Add one reading (% of budget) and return the envelope: the highest of the window, Infinity when stale or unknown. */
export function observeEnvelope(mem: HeadroomRowMemory, pct: number, stale: boolean, nowMs = -Infinity): number {
  if (stale || !Number.isFinite(pct)) return Infinity;
  mem.recent[mem.next] = pct;
  mem.next = (mem.next + 1) % mem.recent.length;
  if (mem.size < mem.recent.length) mem.size++;
  let env = -Infinity;
  for (let i = 0; i < mem.size; i++) if (mem.recent[i]! > env) env = mem.recent[i]!;
  if (mem.warmup > 0) mem.warmup--;
  else mem.rises.push(env, nowMs >= mem.quietUntilMs);
  return env;
}

/**
 * After a step: when the row's locks changed (a level engaged or released, the brake, the deep lock), rises are not
 * learnt for the lock latency plus the envelope window — the power that follows a release is the controller's own
 * doing, and learning it would make the row look burstier each time a lock lifts.
 */
export function noteLocks(mem: HeadroomRowMemory, s: PolcaRowState, nowMs: number, cfg: HeadroomConfig, capLatencyS: number): void {
  const on = (x: number) => (Number.isNaN(x) ? 0 : 1);
  const locks = `${on(s.t1SinceMs)}${on(s.t2SinceMs)}${on(s.lowDeepSinceMs)}${on(s.highSinceMs)}${on(s.brakeSinceMs)}${on(s.deepSinceMs)}`;
  if (locks !== mem.locks) {
    if (mem.locks !== '') mem.quietUntilMs = nowMs + (capLatencyS + cfg.envelopeS) * 1000 + 1000;
    mem.locks = locks;
  }
}

/**
 * The rise a lock must be early for (points of the budget): the learnt rises' quantile `q`, at least `minRisePct`;
 * until a latency's worth of rises is learnt, POLCA's own allowance (brake − T2 − margin: the lock level is then
 * the envelope, POLCA's thresholds as they are).
 */
export function expectedRise(mem: HeadroomRowMemory, cfg: HeadroomConfig, polca: PolcaConfig, q = cfg.riseQuantile): number {
  if (mem.rises.size < mem.rises.window + 1) return Math.max(cfg.minRisePct, polca.brakePct - polca.t2Pct - cfg.marginPct);
  return Math.max(cfg.minRisePct, q >= 1 ? mem.rises.worst() : mem.rises.riseQuantile(q));
}

/** The value POLCA's T1 and T2 compare under Headroom: envelope + rise + margin − POLCA's own allowance (brake − T2). */
export function headroomLockPct(envelope: number, rise: number, polca: PolcaConfig, cfg: HeadroomConfig): number {
  return envelope + rise + cfg.marginPct - (polca.brakePct - polca.t2Pct);
}

/**
 * After POLCA's step: the deep lock and the shed recommendation. `braked`: the row's brake started being wanted at
 * this step; `landed`: the deep lock has had the actuator latency to land. Returns a new state.
 */
export function stepEscalation(
  cfg: HeadroomConfig,
  polca: PolcaConfig,
  mem: HeadroomRowMemory,
  s: PolcaRowState,
  o: { nowMs: number; braked: boolean; stale: boolean; capLatencyS: number; budgetKW: number; rowKW: number; servers: number },
): PolcaRowState {
  const { nowMs } = o;
  const next = { ...s };
  if (o.braked) {
    mem.brakeAtMs.push(nowMs);
    mem.lastBrakeMs = nowMs;
  }
  const from = nowMs - cfg.escalateWindowS * 1000;
  while (mem.brakeAtMs.length && mem.brakeAtMs[0]! <= from) mem.brakeAtMs.shift();
  const deep = !Number.isNaN(next.deepSinceMs);
  if (!deep && mem.brakeAtMs.length >= cfg.escalateBrakes) next.deepSinceMs = nowMs;
  else if (deep && !o.stale && nowMs - mem.lastBrakeMs >= cfg.deepHoldS * 1000 && next.lockPct < polca.t2Pct - polca.releaseHysteresisPct) next.deepSinceMs = NaN;
  const landed = !Number.isNaN(next.deepSinceMs) && nowMs - next.deepSinceMs >= o.capLatencyS * 1000;
  if (landed && !o.stale && next.pct > polca.brakePct && o.servers > 0 && o.rowKW > 0) {
    const excessKW = ((next.pct - polca.brakePct) / 100) * o.budgetKW;
    next.shedServers = Math.max(1, Math.ceil(excessKW / (o.rowKW / o.servers)));
  } else if (Number.isNaN(next.deepSinceMs)) next.shedServers = 0;
  return next;
}
