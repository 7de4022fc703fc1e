/**
 * Log-bucketed histogram for latencies (s): 1 ms … ~1000 s at ~2 % resolution, O(1) record, O(buckets) quantile.
 * Deterministic and mergeable, so reports are identical for a seed.
 */
const MIN_S = 0.001;
const GROWTH = 1.02;
const BUCKETS = Math.ceil(Math.log(1e6) / Math.log(GROWTH)) + 2;
const LOG_GROWTH = Math.log(GROWTH);

export class LatencyHistogram {
  readonly counts = new Float64Array(BUCKETS);
  total = 0;
  sum = 0;

  record(valueS: number, weight = 1): void {
    if (!(valueS >= 0) || !(weight > 0)) return;
    const b = valueS <= MIN_S ? 0 : Math.min(BUCKETS - 1, 1 + Math.floor(Math.log(valueS / MIN_S) / LOG_GROWTH));
    this.counts[b] += weight;
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
      if (acc >= target) return b === 0 ? MIN_S : MIN_S * Math.pow(GROWTH, b);
    }
    return MIN_S * Math.pow(GROWTH, BUCKETS - 1);
  }

  mean(): number {
    return this.total === 0 ? NaN : this.sum / this.total;
  }
}
