import type { InferenceService } from '../../shared/domain/scenario.js';
import { LatencyHistogram } from '../core/histogram.js';
import type { Rng } from './rng.js';
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

interface Request {
  arrivalS: number;
  prefillLeft: number;
  genLeft: number;
  tokens: number;
}

/**
 * Per-server queues. Decoding sequences all advance by the same number of tokens per step, so instead of touching
 * every sequence every step we keep a per-server token clock (`decoded`) and a min-heap of finish marks
 * (`decoded` at admission + tokens to generate): a step costs O(finished · log n), not O(in flight).
 */
interface ServerQueue {
  prefill: Request[];
  prefillHead: number;
  /** Sequences that finished prefill but wait for a batch slot. */
  waiting: Request[];
  waitingHead: number;
  decoded: number;
  heapKey: number[];
  heapReq: Request[];
}

function heapPush(q: ServerQueue, key: number, req: Request): void {
  const k = q.heapKey;
  const r = q.heapReq;
  let i = k.length;
  k.push(key);
  r.push(req);
  while (i > 0) {
    const p = (i - 1) >> 1;
    if (k[p]! <= key) break;
    k[i] = k[p]!;
    r[i] = r[p]!;
    i = p;
  }
  k[i] = key;
  r[i] = req;
}

function heapPop(q: ServerQueue): Request {
  const k = q.heapKey;
  const r = q.heapReq;
  const top = r[0]!;
  const lastK = k.pop()!;
  const lastR = r.pop()!;
  const n = k.length;
  if (n > 0) {
    let i = 0;
    for (;;) {
      let c = 2 * i + 1;
      if (c >= n) break;
      if (c + 1 < n && k[c + 1]! < k[c]!) c++;
      if (k[c]! >= lastK) break;
      k[i] = k[c]!;
      r[i] = r[c]!;
      i = c;
    }
    k[i] = lastK;
    r[i] = lastR;
  }
  return top;
}

export interface ServiceStats {
  arrived: number;
  completed: number;
  tokens: number;
  latency: LatencyHistogram;
  ttft: LatencyHistogram;
}

/** Drop consumed queue heads once they dominate the arrays (amortised O(1)). */
function compact(q: ServerQueue): void {
  if (q.prefillHead > 1024 && q.prefillHead * 2 > q.prefill.length) {
    q.prefill.splice(0, q.prefillHead);
    q.prefillHead = 0;
  }
  if (q.waitingHead > 1024 && q.waitingHead * 2 > q.waiting.length) {
    q.waiting.splice(0, q.waitingHead);
    q.waitingHead = 0;
  }
}

/** One inference service replaying a trace across its servers. Arrivals are routed round-robin. */
export class InferenceServiceSim {
  readonly stats: ServiceStats = { arrived: 0, completed: 0, tokens: 0, latency: new LatencyHistogram(), ttft: new LatencyHistogram() };
  private readonly queues: ServerQueue[];
  private readonly scale: number;
  private cursor = 0;
  private lap = 0;
  private rr = 0;

  constructor(
    readonly spec: InferenceService,
    private readonly trace: Trace,
    readonly servers: readonly number[],
    private readonly rng: Rng,
  ) {
    this.queues = servers.map(() => ({ prefill: [], prefillHead: 0, waiting: [], waitingHead: 0, decoded: 0, heapKey: [], heapReq: [] }));
    const traceRate = trace.arrivalS.length / trace.durationS;
    this.scale = (spec.ratePerServer * servers.length) / traceRate;
    // Start the cursor at the service's offset into the trace.
    const off = spec.traceOffsetS % trace.durationS;
    while (this.cursor < trace.arrivalS.length && trace.arrivalS[this.cursor]! < off) this.cursor++;
  }

  /** Admit the trace's arrivals in (t, t+dt], scaled by the service rate and a spike factor. */
  private admit(tS: number, dtS: number, spike: number): void {
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
      for (let c = 0; c < copies; c++) {
        const q = this.queues[this.rr]!;
        this.rr = (this.rr + 1) % this.queues.length;
        q.prefill.push({ arrivalS: at - this.spec.traceOffsetS, prefillLeft: ctx, genLeft: Math.max(1, gen), tokens: ctx + gen });
      }
      this.stats.arrived += copies;
      this.cursor++;
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
    for (let i = 0; i < this.queues.length; i++) {
      const q = this.queues[i]!;
      const r = clockRatio[i]!;
      const prefillRate = S.prefillTokensPerS * r;
      // Chunked prefill: while sequences are decoding, prefill gets at most PREFILL_SHARE of the step.
      const cap = prefillRate * dtS * (q.heapKey.length > 0 ? PREFILL_SHARE : 1);
      let used = 0;
      while (q.prefillHead < q.prefill.length && used < cap) {
        const req = q.prefill[q.prefillHead]!;
        const take = Math.min(req.prefillLeft, cap - used);
        req.prefillLeft -= take;
        used += take;
        if (req.prefillLeft <= 0) {
          q.prefillHead++;
          this.stats.ttft.record(tS + (prefillRate > 0 ? used / prefillRate : dtS) - req.arrivalS);
          q.waiting.push(req);
        }
      }
      compact(q);
      while (q.heapKey.length < S.maxBatch && q.waitingHead < q.waiting.length) {
        const req = q.waiting[q.waitingHead++]!;
        heapPush(q, q.decoded + req.genLeft, req);
      }
      const busy = prefillRate > 0 ? Math.min(1, used / prefillRate / dtS) : 0;
      const active = q.heapKey.length;
      if (active > 0) q.decoded += S.decodeTokensPerSeqPerS * Math.pow(r, 0.3) * dtS * (1 - busy);
      while (q.heapKey.length > 0 && q.heapKey[0]! <= q.decoded) {
        const req = heapPop(q);
        this.stats.completed++;
        this.stats.tokens += req.tokens;
        this.stats.latency.record(endS - req.arrivalS);
      }
      const decodeAct = active > 0 ? S.decodeBaseActivity + (S.decodeBatchActivity * active) / S.maxBatch : 0;
      activity[i] = busy * S.prefillActivity + (1 - busy) * decodeAct;
      memBound[i] = busy * S.prefillMemBound + (1 - busy) * S.decodeMemBound;
    }
  }

  /** Requests waiting or in flight (a load indicator). */
  backlog(): number {
    let n = 0;
    for (const q of this.queues) n += q.prefill.length - q.prefillHead + q.waiting.length - q.waitingHead + q.heapKey.length;
    return n;
  }
}
