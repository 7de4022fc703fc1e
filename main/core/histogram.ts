/**
 * Log-bucketed histogram for latencies (s), HDR-style: the bucket comes from the float's exponent and the top 5
 * bits of its mantissa (32 sub-buckets per octave, ≤ 3.1 % relative error), with no Math.log on the hot path —
 * an hour of the default site records ~2.8 M latencies. Covers ~1 µs … ~1 Ms. Deterministic and mergeable.
 */
const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;
const MIN_EXP = -20; // 2^-20 s ≈ 1 µs
const MAX_EXP = 20; // 2^20 s ≈ 12 days
const BUCKETS = (MAX_EXP - MIN_EXP) * SUB;

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
// Little-endian: the high word (sign, exponent, top mantissa bits) is u32[1].
const HI = 1;

function bucketOf(v: number): number {
  f64[0] = v;
  const hi = u32[HI]!;
  const exp = ((hi >>> 20) & 0x7ff) - 1023;
  if (exp < MIN_EXP) return 0;
  if (exp >= MAX_EXP) return BUCKETS - 1;
  return (exp - MIN_EXP) * SUB + ((hi >>> (20 - SUB_BITS)) & (SUB - 1));
}

/** Upper edge of a bucket (s). */
function upperEdge(b: number): number {
  const exp = Math.floor(b / SUB) + MIN_EXP;
  const sub = b % SUB;
  return Math.pow(2, exp) * (1 + (sub + 1) / SUB);
}

export class LatencyHistogram {
  readonly counts = new Float64Array(BUCKETS);
  total = 0;
  sum = 0;

  record(valueS: number, weight = 1): void {
    if (!(valueS >= 0) || !(weight > 0)) return;
    this.counts[bucketOf(valueS)]! += weight;
    this.total += weight;
    this.sum += valueS * weight;
  }

  /** Upper edge of the bucket holding quantile q (0..1); NaN when empty. */
  quantile(q: number): number {
    if (this.total === 0) return NaN;
    const target = q * this.total;
    let acc = 0;
    for (let b = 0; b < BUCKETS; b++) {
      acc += this.counts[b]!;
      if (acc >= target) return upperEdge(b);
    }
    return upperEdge(BUCKETS - 1);
  }

  mean(): number {
    return this.total === 0 ? NaN : this.sum / this.total;
  }

  /** Forget everything recorded (e.g. after a warm-up). */
  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.sum = 0;
  }
}
