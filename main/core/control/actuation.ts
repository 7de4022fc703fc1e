import type { ActuationConfig } from '../../../shared/domain/control.js';
import { ClockEvent, SampleFlag } from '../../../shared/domain/fleet.js';
import type { GpuModel } from '../../../shared/domain/topology.js';
import { SOURCE, type Decision } from './arbiter.js';
import { CH, type ActuationStats, type Channel, type CommandSink, type GpuRange, type Issued, type Readback } from './actuationTypes.js';
import { CommandQueue } from './commandQueue.js';

/**
 * The actuation model, a pure state machine per GPU: the arbiter's decision (desired setpoint) becomes commands
 * with a modelled time to effect, and every tick the modelled state is reconciled against read-back.
 *
 *  - Paths (ActuationConfig): clock locks and power limits take `outOfBandCapS` (BMC, POLCA: up to 40 s; we model
 *    the worst case) or `inBandS` (nvidia-smi on the host), per `capPath`; the power brake takes `brakeS`.
 *  - Clamping: a limit within the GPU model's minLimitW..maxLimitW ("none" = its default limit), a lock within
 *    minClockMHz..maxClockMHz ("none" = 0, reset). Never NaN: invalid values mean "none", as in the arbiter.
 *  - Rate limit: a GPU's setpoint changes at most once per `minChangeIntervalS`; the brake and emergency cap-downs
 *    are exempt. Releases (a higher limit or lock, no lock, brake off) are staggered: each GPU waits a fixed,
 *    GPU-specific offset within one change interval, so a row never uncaps in one step. While the telemetry is
 *    stale (`holdReleases`) no release is issued at all, nor to a GPU whose own reading is stale (`flags`: one silent
 *    host among fresh ones): automation never uncaps on stale data.
 *  - Commands land in issue order (a later command for the same GPU and channel supersedes an earlier one).
 *  - Reconcile: the modelled in-effect value is compared with read-back every tick (fresh GPUs only). A mismatch
 *    lasting `correctionS` raises an alarm on the GPU; a value that was confirmed and then drifted (an agent
 *    restarted and lost its caps) is re-sent at once, then at most once per `correctionS`.
 */

export { ALARM, CH, CHANNEL_NAMES, type ActuationStats, type Channel, type CommandSink, type GpuRange, type Issued, type Readback } from './actuationTypes.js';

const valid = (v: number) => v > 0 && v < Infinity;
const UNREADABLE = SampleFlag.stale | SampleFlag.invalid | SampleFlag.shutdown;

export class Actuation {
  cfg: ActuationConfig;
  readonly n: number;
  /** Requested (issued) setpoint per channel: [limitW, lockMHz, brake 0/1]. */
  readonly req: [Float64Array, Float64Array, Float64Array];
  readonly reqSource: Uint8Array;
  readonly reqSinceMs: Float64Array;
  /** In effect (modelled: landed), per channel. */
  readonly eff: [Float64Array, Float64Array, Float64Array];
  readonly alarm: Uint8Array;
  /** Since when read-back disagrees with the in-effect value, per channel (NaN: agrees). */
  readonly mismatchSinceMs: [Float64Array, Float64Array, Float64Array];
  readonly lastChangeMs: Float64Array;
  private readonly loosenSinceMs: [Float64Array, Float64Array, Float64Array];
  private readonly verified: Uint8Array;
  /** 0: every channel of the GPU agreed with read-back at the last reconcile and nothing landed since. */
  private readonly unclean: Uint8Array;
  /** Channels a command was ever issued on, per GPU (bit per channel). */
  private readonly issued: Uint8Array;
  private readonly lastReapplyMs: [Float64Array, Float64Array, Float64Array];
  private readonly lastLandedSeq: [Float64Array, Float64Array, Float64Array];
  private readonly minLimit: Float64Array;
  private readonly maxLimit: Float64Array;
  private readonly defLimit: Float64Array;
  private readonly minClock: Float64Array;
  private readonly maxClock: Float64Array;
  private readonly stagger: Float64Array;
  /**
   * 1: visit GPU g at the next step even where the decision did not change (a change waiting for its stagger, the
   * rate limit or fresh data; a setpoint adopted from read-back). [uLo, uHi) bounds them. A GPU whose requested
   * setpoints all equal the decision's targets is settled: until the decision changes there, a step finds nothing.
   */
  private readonly unsettled: Uint8Array;
  private uLo = 0;
  private uHi: number;
  /** GPUs whose in-effect value changed (landed or adopted) since the last takeEffChanged(). */
  private readonly effChanged: GpuRange;
  private readonly queue = new CommandQueue();
  /** Re-sent commands (drift after confirmation), total. */
  reapplied = 0;

  constructor(n: number, gpuModel: Int32Array, models: readonly GpuModel[], cfg: ActuationConfig) {
    this.n = n;
    this.cfg = cfg;
    const per = (f: (m: GpuModel) => number) => Float64Array.from({ length: n }, (_, g) => f(models[gpuModel[g]!]!));
    this.minLimit = per((m) => m.minLimitW);
    this.maxLimit = per((m) => m.maxLimitW);
    this.defLimit = per((m) => Math.min(m.maxLimitW, Math.max(m.minLimitW, m.defaultLimitW)));
    this.minClock = per((m) => m.minClockMHz);
    this.maxClock = per((m) => m.maxClockMHz);
    // A fixed offset per GPU in [0, 1): golden-ratio hashing spreads neighbours apart.
    this.stagger = Float64Array.from({ length: n }, (_, g) => (Math.imul(g + 1, 0x9e3779b1) >>> 0) / 4294967296);
    const f64 = (fill: number) => new Float64Array(n).fill(fill);
    this.req = [Float64Array.from(this.defLimit), f64(0), f64(0)];
    this.eff = [Float64Array.from(this.defLimit), f64(0), f64(0)];
    this.reqSource = new Uint8Array(n);
    this.reqSinceMs = f64(-Infinity);
    this.alarm = new Uint8Array(n);
    this.mismatchSinceMs = [f64(NaN), f64(NaN), f64(NaN)];
    this.lastChangeMs = f64(-Infinity);
    this.loosenSinceMs = [f64(NaN), f64(NaN), f64(NaN)];
    this.verified = new Uint8Array(n);
    this.unclean = new Uint8Array(n).fill(1);
    this.issued = new Uint8Array(n);
    this.lastReapplyMs = [f64(-Infinity), f64(-Infinity), f64(-Infinity)];
    this.lastLandedSeq = [f64(-1), f64(-1), f64(-1)];
    this.unsettled = new Uint8Array(n).fill(1);
    this.uHi = n;
    this.effChanged = { from: n, to: 0 };
  }

  /** Modelled time from command to effect on a channel (ms). */
  latencyMs(ch: Channel): number {
    const c = this.cfg;
    return 1000 * (ch === CH.brake ? c.brakeS : c.capPath === 'inBand' ? c.inBandS : c.outOfBandCapS);
  }

  /** The command value for a desired value: clamped to the GPU model, "none" mapped to the reset value. */
  target(g: number, ch: Channel, desired: number): number {
    if (ch === CH.brake) return desired === 1 ? 1 : 0;
    if (ch === CH.limit) return valid(desired) ? Math.min(this.maxLimit[g]!, Math.max(this.minLimit[g]!, desired)) : this.defLimit[g]!;
    return valid(desired) ? Math.min(this.maxClock[g]!, Math.max(this.minClock[g]!, desired)) : 0;
  }

  /** True if `next` is at least as restrictive as `cur` on that channel, and different. */
  static tightens(ch: Channel, cur: number, next: number): boolean {
    if (ch === CH.brake) return next === 1 && cur !== 1;
    if (ch === CH.lock) return next > 0 && (cur === 0 || next < cur);
    return next < cur;
  }

  /**
   * Issue the commands the decision asks for (rate limit, stagger), then land those whose time has come (calling
   * `sink`). `onIssue` sees each issued command (for audit batching). `changed`: where the decision may differ from
   * the one the previous step saw (Arbiter.takeChanged); elsewhere only unsettled GPUs are visited, which issues
   * exactly the same commands. Without it every GPU is visited.
   */
  step(
    nowMs: number,
    d: Decision,
    sink: CommandSink,
    onIssue?: (c: Issued) => void,
    opts: { holdReleases?: boolean; flags?: ArrayLike<number>; changed?: GpuRange } = {},
  ): ActuationStats {
    const holdReleases = opts.holdReleases === true;
    const flags = opts.flags;
    const stats: ActuationStats = { caps: 0, releases: 0, brakesOn: 0, landed: 0, deferred: 0 };
    const intervalMs = this.cfg.minChangeIntervalS * 1000;
    const want = [d.limitW, d.lockMHz, d.brake] as const;
    const src = [d.limitSrc, d.lockSrc, d.brakeSrc] as const;
    const why = [d.limitWhy, d.lockWhy, d.brakeWhy] as const;
    const cFrom = opts.changed ? opts.changed.from : 0;
    const cTo = opts.changed ? opts.changed.to : this.n;
    const unsettled = this.unsettled;
    const gFrom = cFrom < cTo ? Math.min(cFrom, this.uLo) : this.uLo;
    const gTo = cFrom < cTo ? Math.max(cTo, this.uHi) : this.uHi;
    let lo = this.n;
    let hi = 0;
    for (let g = gFrom; g < gTo; g++) {
      if (unsettled[g] === 0 && (g < cFrom || g >= cTo)) continue;
      const allowed = nowMs - this.lastChangeMs[g]! >= intervalMs;
      let changed = false;
      let waiting = false;
      for (let c = 2; c >= 0; c--) {
        const ch = c as Channel;
        const tgt = this.target(g, ch, want[c]![g]!);
        const cur = this.req[c]![g]!;
        if (tgt === cur) {
          this.loosenSinceMs[c]![g] = NaN;
          continue;
        }
        const tighten = Actuation.tightens(ch, cur, tgt);
        const s = src[c]![g]!;
        if (!tighten) {
          // No uncap on stale data: a release waits for fresh readings (its stagger clock keeps running).
          if (holdReleases || (flags !== undefined && (flags[g]! & SampleFlag.stale) !== 0)) {
            stats.deferred++;
            waiting = true;
            continue;
          }
          const since = this.loosenSinceMs[c]!;
          if (Number.isNaN(since[g]!)) since[g] = nowMs;
          if (nowMs < since[g]! + this.stagger[g]! * intervalMs) {
            waiting = true;
            continue;
          }
        } else this.loosenSinceMs[c]![g] = NaN;
        const exempt = ch === CH.brake || (tighten && s === SOURCE.emergency);
        if (!exempt && !allowed) {
          stats.deferred++;
          waiting = true;
          continue;
        }
        const effectAtMs = nowMs + this.latencyMs(ch);
        this.req[c]![g] = tgt;
        this.loosenSinceMs[c]![g] = NaN;
        this.enqueue(g, ch, tgt, nowMs, effectAtMs);
        changed = true;
        if (ch === CH.brake) {
          if (tgt === 1) stats.brakesOn++;
          else stats.releases++;
        } else if (tighten) stats.caps++;
        else stats.releases++;
        onIssue?.({ gpu: g, ch, value: tgt, prev: cur, tighten, source: s, why: why[c]![g]!, effectAtMs });
      }
      if (changed) {
        this.lastChangeMs[g] = nowMs;
        this.reqSinceMs[g] = nowMs;
        this.reqSource[g] = d.source[g]!;
      }
      unsettled[g] = waiting ? 1 : 0;
      if (waiting) {
        if (g < lo) lo = g;
        hi = g + 1;
      }
    }
    // Unsettled GPUs outside [gFrom, gTo) do not exist: [uLo, uHi) is inside it.
    this.uLo = lo;
    this.uHi = hi;
    stats.landed = this.land(nowMs, sink);
    return stats;
  }

  /** Mark GPU g to be visited at the next step (its requested setpoint changed outside step). */
  private unsettle(g: number): void {
    this.unsettled[g] = 1;
    if (g < this.uLo) this.uLo = g;
    if (g >= this.uHi) this.uHi = g + 1;
  }

  private effChange(g: number): void {
    const r = this.effChanged;
    if (g < r.from) r.from = g;
    if (g >= r.to) r.to = g + 1;
  }

  /**
   * GPUs whose in-effect value changed (a command landed, a value adopted from read-back) since the last call, as a
   * range (empty: from >= to); the range is reset.
   */
  takeEffChanged(): GpuRange {
    const r = this.effChanged;
    const out = { from: r.from, to: r.to };
    r.from = this.n;
    r.to = 0;
    return out;
  }

  private enqueue(g: number, ch: Channel, value: number, nowMs: number, effectAtMs: number): void {
    this.queue.push(g, ch, value, nowMs, effectAtMs);
    this.issued[g] = this.issued[g]! | (1 << ch);
  }

  /** Land every command due by nowMs, in issue order (a superseded one is dropped). Returns how many took effect. */
  private land(nowMs: number, sink: CommandSink): number {
    let landed = 0;
    this.queue.takeDue(nowMs, (g, c, value, seq) => {
      if (!(seq > this.lastLandedSeq[c]![g]!)) return;
      this.lastLandedSeq[c]![g] = seq;
      this.eff[c]![g] = value;
      this.verified[g] = this.verified[g]! & ~(1 << c);
      this.unclean[g] = 1;
      this.mismatchSinceMs[c]![g] = NaN;
      this.effChange(g);
      sink.apply(g, c as Channel, value);
      landed++;
    });
    return landed;
  }

  /** Commands in flight (issued, not yet in effect) for one GPU. */
  pending(g: number): Array<{ ch: Channel; value: number; issuedAtMs: number; effectAtMs: number }> {
    return this.queue.of(g).map((p) => ({ ...p, ch: p.ch as Channel }));
  }

  get pendingCount(): number {
    return this.queue.count;
  }

  /**
   * Compare the in-effect state with read-back (skipped while the source is stale, and for GPUs whose reading is
   * stale, invalid or shut down: nothing can be confirmed). Returns the number of GPUs in alarm.
   */
  reconcile(nowMs: number, rb: Readback, stale: boolean, sink: CommandSink): number {
    if (stale) return this.alarmCount();
    const corrMs = this.cfg.correctionS * 1000;
    const { flags, limitW, clockMHz } = rb;
    const [effLimit, effLock, effBrake] = this.eff;
    const [m0, m1, m2] = this.mismatchSinceMs;
    const { alarm, verified, issued, unclean } = this;
    const NEVER = (1 << CH.limit) | (1 << CH.brake);
    let alarms = 0;
    for (let g = 0; g < this.n; g++) {
      const f = flags[g]!;
      if ((f & UNREADABLE) !== 0) {
        if (alarm[g]) alarms++;
        continue;
      }
      const rbLimit = limitW[g]!;
      // Only a GPU with the limit or brake channel never commanded nor confirmed can adopt (see adopt).
      if (((issued[g]! | verified[g]!) & NEVER) !== NEVER) this.adopt(g, rbLimit, f);
      const lock = effLock[g]!;
      const okLimit = Math.abs(rbLimit - effLimit[g]!) <= 1;
      const okLock = lock > 0 ? clockMHz[g]! <= lock + 1 : (f & ClockEvent.clocksSetting) === 0;
      const okBrake = effBrake[g] === 1 ? (f & ClockEvent.hwPowerBrake) !== 0 : (f & ClockEvent.hwPowerBrake) === 0;
      if (okLimit && okLock && okBrake) {
        // The common case, what the loop below does when every channel agrees (nothing to write if it did last time).
        if (unclean[g] === 0) continue;
        m0[g] = NaN;
        m1[g] = NaN;
        m2[g] = NaN;
        verified[g] = verified[g]! | 7;
        alarm[g] = 0;
        unclean[g] = 0;
        continue;
      }
      unclean[g] = 1;
      let a = 0;
      for (let c = 0; c < 3; c++) {
        const ok = c === 0 ? okLimit : c === 1 ? okLock : okBrake;
        const since = this.mismatchSinceMs[c]!;
        const bit = 1 << c;
        if (ok) {
          since[g] = NaN;
          verified[g] = verified[g]! | bit;
          continue;
        }
        if (Number.isNaN(since[g]!)) since[g] = nowMs;
        if ((verified[g]! & bit) !== 0 && nowMs - this.lastReapplyMs[c]![g]! >= corrMs) {
          // Confirmed once, lost since (agent restart, manual change on the host): send it again now.
          this.lastReapplyMs[c]![g] = nowMs;
          this.reapplied++;
          sink.apply(g, c as Channel, this.eff[c]![g]!);
        }
        if (nowMs - since[g]! >= corrMs) a |= bit;
      }
      alarm[g] = a;
      if (a) alarms++;
    }
    return alarms;
  }

  /**
   * Start from what the GPU reports where nothing was ever commanded or confirmed: real GPUs come up wherever their
   * agent holds them (its safe cap after a start, another console's caps), not at the model's default. Adopting that
   * as requested and in effect makes any raise a normal release — staggered, and held while telemetry is stale —
   * instead of a blind jump to the default limit, and spares an alarm for a value nobody asked for.
   */
  private adopt(g: number, limitW: number, flags: number): void {
    const known = this.issued[g]! | this.verified[g]!;
    if ((known & (1 << CH.limit)) === 0 && Math.abs(limitW - this.eff[CH.limit][g]!) > 1 && limitW >= this.minLimit[g]! && limitW <= this.maxLimit[g]!) {
      this.eff[CH.limit][g] = this.req[CH.limit][g] = limitW;
      this.unsettle(g);
      this.effChange(g);
    }
    if ((known & (1 << CH.brake)) === 0 && (flags & ClockEvent.hwPowerBrake) !== 0 && this.eff[CH.brake][g] === 0) {
      this.eff[CH.brake][g] = this.req[CH.brake][g] = 1;
      this.unsettle(g);
      this.effChange(g);
    }
  }

  alarmCount(): number {
    let k = 0;
    for (let g = 0; g < this.n; g++) if (this.alarm[g]) k++;
    return k;
  }

  /** True if GPU g has a lock, a limit below its default, or the brake in effect. */
  capped(g: number): boolean {
    return this.eff[CH.lock][g]! > 0 || this.eff[CH.limit][g]! < this.defLimit[g]! || this.eff[CH.brake][g] === 1;
  }

  defaultLimitW(g: number): number {
    return this.defLimit[g]!;
  }
}
