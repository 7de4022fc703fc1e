/**
 * Rises of a power series: how far it can climb within a window. POLCA's thresholds are chosen against this
 * figure ("no 40 s spike crosses 100 % before a lock lands", ../shared/domain/PAPERS.md §1), the calibration of the
 * simulator's demand is stated in it (docs/MODEL.md), and Headroom's own controller stages its locks from it.
 *
 * The rise over a window of W samples ending at sample t is p[t] − min(p[t−W .. t]): how much higher the series is
 * now than at its lowest point within the window. The worst rise of a series is the largest of these over every t.
 * Pure; O(n) with a monotone deque.
 */

/** Per sample, the rise over the last `window` samples (0 for the first sample). `out` may be passed to reuse. */
export function risesOver(series: ArrayLike<number>, window: number, out = new Float64Array(series.length)): Float64Array {
  const n = series.length;
  const w = Math.max(1, Math.floor(window));
  // Indices of a monotone increasing deque of values: the window's minimum is at its head.
  const dq = new Int32Array(n);
  let head = 0;
  let tail = 0;
  for (let t = 0; t < n; t++) {
    while (head < tail && dq[head]! < t - w) head++;
    const v = series[t]!;
    out[t] = head < tail ? Math.max(0, v - series[dq[head]!]!) : 0;
    while (head < tail && series[dq[tail - 1]!]! >= v) tail--;
    dq[tail++] = t;
  }
  return out;
}

/** The worst rise of a series over a window of `window` samples. */
export function worstRise(series: ArrayLike<number>, window: number): number {
  let m = 0;
  for (const r of risesOver(series, window)) if (r > m) m = r;
  return m;
}

/** Quantile q (0..1) of a sample, nearest rank; NaN when empty. Does not modify `xs`. */
export function quantileOf(xs: ArrayLike<number>, q: number): number {
  if (xs.length === 0) return NaN;
  const s = Float64Array.from(xs).sort();
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}

/** Resolution of the tracker's rise histogram: rises are kept in buckets this wide (points), read at their upper edge. */
export const RISE_BUCKET = 0.1;
const RISE_BUCKETS = 2001; // 0 … 200 points; a larger rise counts in the last bucket

/**
 * A bounded history of one series for on-line use (a controller's row power): the last `capacity` samples in a ring,
 * per sample its rise over the `window` samples before it, and a histogram of those rises in RISE_BUCKET buckets, so
 * the worst rise and any quantile cost a walk down from the highest occupied bucket, not a sort (a row's hour of 1 s
 * samples is 3,600 rises, read every tick). Rises read at their bucket's upper edge: at most RISE_BUCKET above the
 * exact value, never below it. A push costs O(window).
 */
export class RiseTracker {
  private readonly buf: Float64Array;
  private readonly bucket: Int16Array;
  private readonly counts = new Int32Array(RISE_BUCKETS);
  private top = -1;
  private n = 0;
  private next = 0;

  constructor(
    readonly capacity: number,
    readonly window: number,
  ) {
    this.buf = new Float64Array(capacity);
    this.bucket = new Int16Array(capacity);
  }

  /** Samples held. */
  get size(): number {
    return this.n;
  }

  /**
   * Add a sample (non-finite samples are skipped: a stale reading says nothing about the row's variation). With
   * `learn` false the sample is kept for later windows but its own rise counts as 0 (a rise someone caused).
   */
  push(x: number, learn = true): void {
    if (!Number.isFinite(x)) return;
    const c = this.capacity;
    let lo = x;
    const back = Math.min(this.window, this.n);
    for (let k = 1; k <= back; k++) {
      const v = this.buf[(this.next - k + c) % c]!;
      if (v < lo) lo = v;
    }
    if (this.n === c) {
      const old = this.bucket[this.next]!;
      this.counts[old]!--;
      while (this.top >= 0 && this.counts[this.top] === 0) this.top--;
    }
    const rise = learn ? x - lo : 0;
    const b = rise <= 0 ? 0 : Math.min(RISE_BUCKETS - 1, Math.ceil(rise / RISE_BUCKET - 1e-9));
    this.buf[this.next] = x;
    this.bucket[this.next] = b;
    this.counts[b]!++;
    if (b > this.top) this.top = b;
    this.next = (this.next + 1) % c;
    if (this.n < c) this.n++;
  }

  /** Quantile q of the rises held, nearest rank, at its bucket's upper edge (0 with no history). */
  riseQuantile(q: number): number {
    if (this.n === 0) return 0;
    const rank = Math.min(this.n, Math.max(1, Math.ceil(q * this.n)));
    // Walk down from the top: the rank-th smallest is in the bucket where the count above it drops below n − rank + 1.
    let above = 0;
    for (let b = this.top; b >= 0; b--) {
      above += this.counts[b]!;
      if (this.n - above < rank) return b * RISE_BUCKET;
    }
    return 0;
  }

  /** The worst rise held (0 with no history). */
  worst(): number {
    return this.top > 0 ? this.top * RISE_BUCKET : 0;
  }
}
