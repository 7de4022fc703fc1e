import type { InferenceService } from '../../shared/domain/scenario.js';
import { LatencyHistogram } from '../core/histogram.js';
import type { Rng } from './rng.js';
import { Router } from './routing.js';
import { RECONFIG_LADDER } from '../../shared/domain/reconfig.js';
import type { Trace } from './traces.js';

/**
 * Serving model of one DGX-class server (8 GPUs, tensor-parallel replica of a ~70B model). Reconstructed values,
 * see docs/MODEL.md: prefill is compute-bound and runs near or above TDP in short bursts; decode is memory-bound,
 * lower and steadier, and grows with batch size.
 */
export const SERVING = {
  prefillTokensPerS: 20_000,
  decodeTokensPerSeqPerS: 30,
  maxBatch: 48,
  prefillActivity: 1.05,
  decodeBaseActivity: 0.3,
  decodeBatchActivity: 0.35,
  prefillMemBound: 0.1,
  decodeMemBound: 0.85,
} as const;

/** Share of a step that prefill may take while sequences are decoding (chunked prefill keeps decode moving). */
const PREFILL_SHARE = 0.7;

/**
 * A FIFO of requests as three numeric columns in a growable ring (no per-request objects: an hour of the default
 * site admits ~1.4 M requests, and allocation would dominate the simulation).
 */
class Fifo {
  a: Float64Array;
  b: Float64Array;
  c: Float64Array;
  head = 0;
  size = 0;
  /** Capacity is a power of two so ring indices wrap with a mask. */
  private mask: number;
  constructor(capacity = 64) {
    this.mask = capacity - 1;
    this.a = new Float64Array(capacity);
    this.b = new Float64Array(capacity);
    this.c = new Float64Array(capacity);
  }
  push(a: number, b: number, c: number): void {
    if (this.size === this.a.length) this.grow();
    const i = (this.head + this.size) & this.mask;
    this.a[i] = a;
    this.b[i] = b;
    this.c[i] = c;
    this.size++;
  }
  shift(): void {
    this.head = (this.head + 1) & this.mask;
    this.size--;
  }
  private grow(): void {
    const n = this.a.length;
    const re = (x: Float64Array) => {
      const y = new Float64Array(n * 2);
      for (let k = 0; k < this.size; k++) y[k] = x[(this.head + k) & this.mask]!;
      return y;
    };
    this.a = re(this.a);
    this.b = re(this.b);
    this.c = re(this.c);
    this.head = 0;
    this.mask = n * 2 - 1;
  }
}

/**
 * Sequences in the decode batch. They all advance by the same number of tokens per step, so instead of touching
 * each one each step we keep a per-server token clock and, per sequence, its finish mark (clock at admission +
 * tokens to generate), plus the smallest mark: most steps finish nobody and cost one comparison; a step that
 * finishes someone scans the (≤ maxBatch) marks once.
 */
class DecodeBatch {
  readonly key: Float64Array;
  readonly arrival: Float64Array;
  readonly tokens: Float64Array;
  size = 0;
  minKey = Infinity;
  constructor(capacity: number) {
    this.key = new Float64Array(capacity);
    this.arrival = new Float64Array(capacity);
    this.tokens = new Float64Array(capacity);
  }
  push(key: number, arrival: number, tokens: number): void {
    const i = this.size++;
    this.key[i] = key;
    this.arrival[i] = arrival;
    this.tokens[i] = tokens;
    if (key < this.minKey) this.minKey = key;
  }
  /** Remove every sequence whose mark is ≤ `clock`, calling `done` for each (order is not meaningful). */
  finish(clock: number, done: (arrival: number, tokens: number) => void): void {
    if (clock < this.minKey) return;
    let min = Infinity;
    let i = 0;
    while (i < this.size) {
      const k = this.key[i]!;
      if (k <= clock) {
        done(this.arrival[i]!, this.tokens[i]!);
        const last = --this.size;
        this.key[i] = this.key[last]!;
        this.arrival[i] = this.arrival[last]!;
        this.tokens[i] = this.tokens[last]!;
      } else {
        if (k < min) min = k;
        i++;
      }
    }
    this.minKey = min;
  }
}

/** Per-server queues: prefill FIFO (arrival, context left, tokens to generate), batch wait FIFO, decode batch. */
interface ServerQueue {
  prefill: Fifo;
  waiting: Fifo;
  decoded: number;
  batch: DecodeBatch;
}

export interface ServiceStats {
  arrived: number;
  completed: number;
  /** Generated (output) tokens of completed requests. */
  tokens: number;
  /** Σ tokens × the quality cost of the configuration that served them (shared/domain/reconfig.ts). */
  qualityLoss: number;
  latency: LatencyHistogram;
  ttft: LatencyHistogram;
}

/**
 * How a service's requests reach its servers (scenario `demand`, docs/MODEL.md "Demand"):
 *  - 'production': every server draws its own stream from the trace — its own offset into the trace (within
 *    PRODUCTION_SPREAD_S of the service's offset, so servers share the trace's slow swings but not its seconds) and its
 *    own random thinning to the service's per-server rate — so a row aggregates many independent streams, as a
 *    production row behind a load balancer does. Calibrated to POLCA's production row (docs/MODEL.md).
 *  - 'bursty': the whole service replays one trace, scaled, dealt round-robin: every server sees the same burst in
 *    the same second. A stress profile (the simulator's demand before calibration).
 */
export type DemandProfile = 'production' | 'bursty';

/** Spread of the per-server offsets into the trace under 'production' demand (s). */
export const PRODUCTION_SPREAD_S = 1800;

/**
 * Per-server streams of 'production' demand, columnar: each stream walks the trace from its own offset, keeping each
 * request with probability `keep` (geometric skips: the cost is per admitted request, not per trace line).
 */
export class Streams {
  readonly server: Int32Array;
  readonly idx: Int32Array;
  readonly lap: Int32Array;
  readonly offsetS: Float64Array;
  readonly keep: number;
  private readonly logMiss: number;

  constructor(
    private readonly trace: Trace,
    servers: number,
    perServerKeep: number,
    baseOffsetS: number,
    private readonly rng: Rng,
  ) {
    const m = Math.max(1, Math.ceil(perServerKeep));
    this.keep = perServerKeep / m;
    this.logMiss = this.keep < 1 ? Math.log(1 - this.keep) : 0;
    const n = servers * m;
    this.server = Int32Array.from({ length: n }, (_, k) => k % servers);
    this.idx = new Int32Array(n);
    this.lap = new Int32Array(n);
    this.offsetS = new Float64Array(n);
    const dur = trace.durationS;
    for (let k = 0; k < n; k++) {
      const off = baseOffsetS + rng() * PRODUCTION_SPREAD_S;
      this.offsetS[k] = off;
      this.lap[k] = Math.floor(off / dur);
      const i = lowerBound(trace.arrivalS, off - this.lap[k]! * dur);
      // Past the trace's last request: the stream starts at the first one of the next lap (never in the past).
      if (i === trace.arrivalS.length) this.lap[k]!++;
      this.idx[k] = i === trace.arrivalS.length ? 0 : i;
      this.advance(k, this.skip() - 1);
    }
  }

  /** Trace lines to the next kept request: 1 + Geometric(keep). */
  private skip(): number {
    if (this.keep >= 1) return 1;
    return 1 + Math.floor(Math.log(1 - this.rng()) / this.logMiss);
  }

  private advance(k: number, by: number): void {
    const len = this.trace.arrivalS.length;
    let i = this.idx[k]! + by;
    while (i >= len) {
      i -= len;
      this.lap[k]!++;
    }
    this.idx[k] = i;
  }

  /** Arrival time (s, simulation time) of stream k's next request. */
  nextAt(k: number): number {
    return this.trace.arrivalS[this.idx[k]!]! + this.lap[k]! * this.trace.durationS - this.offsetS[k]!;
  }

  /** Move stream k past its current request to the next kept one. */
  next(k: number): void {
    this.advance(k, this.skip());
  }
}

/** First index with xs[i] ≥ x (xs ascending); xs.length when there is none. */
function lowerBound(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** One inference service fed from a trace across its servers ('production' or 'bursty' demand, see DemandProfile). */
export class InferenceServiceSim {
  readonly stats: ServiceStats = { arrived: 0, completed: 0, tokens: 0, qualityLoss: 0, latency: new LatencyHistogram(), ttft: new LatencyHistogram() };
  private readonly queues: ServerQueue[];
  private readonly scale: number;
  private readonly streams: Streams | null;
  private cursor = 0;
  private lap = 0;
  private rr = 0;
  /** Per server: its rung of the reconfiguration ladder in effect (0: as deployed). */
  readonly rung: Uint8Array;
  /** Which server each request goes to (sim/routing.ts); 'affinity' (the dealt server) unless a policy routes. */
  readonly router: Router;
  /** Requests queued or in flight on server i (the router's load signal). */
  readonly backlogOf = (i: number): number => {
    const q = this.queues[i]!;
    return q.prefill.size + q.waiting.size + q.batch.size;
  };

  constructor(
    readonly spec: InferenceService,
    private readonly trace: Trace,
    readonly servers: readonly number[],
    private readonly rng: Rng,
    readonly demand: DemandProfile = 'production',
    /** The router's own draws (so that routing never changes the requests themselves). */
    routerRng: Rng = rng,
  ) {
    this.queues = servers.map(() => ({ prefill: new Fifo(), waiting: new Fifo(), decoded: 0, batch: new DecodeBatch(SERVING.maxBatch) }));
    this.router = new Router(servers.length, routerRng, SERVING.maxBatch);
    this.rung = new Uint8Array(servers.length);
    const traceRate = trace.arrivalS.length / trace.durationS;
    this.scale = (spec.ratePerServer * servers.length) / traceRate;
    this.streams = demand === 'production' && servers.length > 0 ? new Streams(trace, servers.length, spec.ratePerServer / traceRate, spec.traceOffsetS, rng) : null;
    // Start the cursor at the service's offset into the trace.
    const off = spec.traceOffsetS % trace.durationS;
    while (this.cursor < trace.arrivalS.length && trace.arrivalS[this.cursor]! < off) this.cursor++;
  }

  /** Admit the arrivals in (t, t+dt], scaled by the service rate and a spike factor. */
  private admit(tS: number, dtS: number, spike: number): void {
    if (this.streams) return this.admitStreams(tS + dtS, spike);
    const tr = this.trace;
    const end = tS + dtS + this.spec.traceOffsetS;
    const k = this.scale * spike;
    const whole = Math.floor(k);
    const frac = k - whole;
    for (;;) {
      if (this.cursor >= tr.arrivalS.length) {
        this.cursor = 0;
        this.lap++;
      }
      const at = tr.arrivalS[this.cursor]! + this.lap * tr.durationS;
      if (at > end) break;
      const copies = whole + (this.rng() < frac ? 1 : 0);
      const ctx = tr.contextTokens[this.cursor]!;
      const gen = tr.generatedTokens[this.cursor]!;
      const arrivalS = at - this.spec.traceOffsetS;
      const routed = this.router.mode !== 'affinity';
      for (let c = 0; c < copies; c++) {
        const to = routed ? this.router.pick(this.rr, this.backlogOf) : this.rr;
        this.queues[to]!.prefill.push(arrivalS, ctx, Math.max(1, gen));
        if (++this.rr === this.queues.length) this.rr = 0;
      }
      this.stats.arrived += copies;
      this.cursor++;
    }
  }

  /** 'production': each stream's kept requests up to `end`, to its own server; a spike adds copies on the same server. */
  private admitStreams(end: number, spike: number): void {
    const st = this.streams!;
    const tr = this.trace;
    const whole = Math.floor(spike);
    const frac = spike - whole;
    const routed = this.router.mode !== 'affinity';
    for (let k = 0; k < st.server.length; k++) {
      const own = st.server[k]!;
      const q = this.queues[own]!.prefill;
      for (let at = st.nextAt(k); at <= end; at = st.nextAt(k)) {
        const i = st.idx[k]!;
        const copies = frac > 0 ? whole + (this.rng() < frac ? 1 : 0) : whole;
        for (let c = 0; c < copies; c++) (routed ? this.queues[this.router.pick(own, this.backlogOf)]!.prefill : q).push(at, tr.contextTokens[i]!, Math.max(1, tr.generatedTokens[i]!));
        this.stats.arrived += copies;
        st.next(k);
      }
    }
  }

  /**
   * Serve one step. `clockRatio[i]` is server i's usable SM clock as a fraction of max (slowest GPU: tensor
   * parallel ranks wait for each other). Writes per-server activity and memory-bound share.
   */
  step(tS: number, dtS: number, spike: number, clockRatio: Float64Array, activity: Float64Array, memBound: Float64Array): void {
    this.admit(tS, dtS, spike);
    const S = SERVING;
    const endS = tS + dtS;
    const stats = this.stats;
    let quality = 0;
    const onDone = (arrival: number, tokens: number) => {
      stats.completed++;
      stats.tokens += tokens;
      stats.qualityLoss += tokens * quality;
      stats.latency.record(endS - arrival);
    };
    for (let i = 0; i < this.queues.length; i++) {
      const q = this.queues[i]!;
      const r = clockRatio[i]!;
      const cfg = RECONFIG_LADDER[this.rung[i]!]!;
      quality = cfg.qualityCost;
      const prefillRate = S.prefillTokensPerS * r * cfg.prefillX;
      // Chunked prefill: while sequences are decoding, prefill gets at most PREFILL_SHARE of the step.
      const cap = prefillRate * dtS * (q.batch.size > 0 ? PREFILL_SHARE : 1);
      let used = 0;
      const pf = q.prefill;
      while (pf.size > 0 && used < cap) {
        const h = pf.head;
        const take = Math.min(pf.b[h]!, cap - used);
        pf.b[h]! -= take;
        used += take;
        if (pf.b[h]! <= 0) {
          const arrival = pf.a[h]!;
          this.stats.ttft.record(tS + (prefillRate > 0 ? used / prefillRate : dtS) - arrival);
          // Straight into the batch when it has room and nobody waits (the common case), else queue for a slot.
          if (q.waiting.size === 0 && q.batch.size < S.maxBatch) q.batch.push(q.decoded + pf.c[h]!, arrival, pf.c[h]!);
          else q.waiting.push(arrival, pf.c[h]!, pf.c[h]!);
          pf.shift();
        }
      }
      const wt = q.waiting;
      while (q.batch.size < S.maxBatch && wt.size > 0) {
        const h = wt.head;
        q.batch.push(q.decoded + wt.b[h]!, wt.a[h]!, wt.b[h]!);
        wt.shift();
      }
      const busy = prefillRate > 0 ? Math.min(1, used / prefillRate / dtS) : 0;
      const active = q.batch.size;
      if (active > 0) q.decoded += S.decodeTokensPerSeqPerS * cfg.decodeX * (r === 1 ? 1 : Math.pow(r, 0.3)) * dtS * (1 - busy);
      q.batch.finish(q.decoded, onDone);
      const decodeAct = active > 0 ? S.decodeBaseActivity + (S.decodeBatchActivity * active) / S.maxBatch : 0;
      activity[i] = busy * S.prefillActivity + (1 - busy) * decodeAct;
      memBound[i] = busy * S.prefillMemBound + (1 - busy) * S.decodeMemBound;
    }
  }

  /** Requests waiting or in flight (a load indicator). */
  backlog(): number {
    let n = 0;
    for (const q of this.queues) n += q.prefill.size + q.waiting.size + q.batch.size;
    return n;
  }
}
