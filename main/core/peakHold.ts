/**
 * The highest value of each element of an array over a recent window, kept in two half-window buckets: `max()` is the
 * largest value seen in the last `windowMs / 2` to `windowMs` (the older bucket is dropped whole once its half has
 * passed). O(n) per observation, no allocation after construction. A non-finite reading (a stale GPU) leaves the held
 * value as it was; an element never read finitely stays NaN.
 *
 * Why: an N-1 analysis against one tick's loads says a failure is harmless when a training row happens to be in its
 * communication phase (40 % of its compute power) and unsafe a second later. Analysed against the peak of the last
 * minute, the verdict holds for the whole iteration.
 */
export class PeakHold {
  private cur: Float64Array;
  private prev: Float64Array;
  private readonly out: Float64Array;
  private bucketStartMs = -Infinity;

  constructor(
    readonly size: number,
    readonly windowMs: number,
  ) {
    this.cur = new Float64Array(size).fill(NaN);
    this.prev = new Float64Array(size).fill(NaN);
    this.out = new Float64Array(size);
  }

  observe(values: ArrayLike<number>, nowMs: number): void {
    const half = this.windowMs / 2;
    if (nowMs - this.bucketStartMs >= half) {
      // A new bucket; the one before it is kept only if it is the immediately preceding half.
      const adjacent = nowMs - this.bucketStartMs < 2 * half;
      const old = this.prev;
      this.prev = this.cur;
      this.cur = old.fill(NaN);
      if (!adjacent) this.prev.fill(NaN);
      this.bucketStartMs = Number.isFinite(this.bucketStartMs) && adjacent ? this.bucketStartMs + half : nowMs;
    }
    const c = this.cur;
    for (let i = 0; i < this.size; i++) {
      const v = values[i]!;
      if (v > c[i]! || (c[i] !== c[i] && Number.isFinite(v))) c[i] = v;
    }
  }

  /** Per element, the larger of the two buckets (NaN where neither holds a reading). The same array each call. */
  max(): Float64Array {
    const { cur, prev, out } = this;
    for (let i = 0; i < this.size; i++) {
      const a = cur[i]!;
      const b = prev[i]!;
      out[i] = a !== a ? b : b !== b ? a : Math.max(a, b);
    }
    return out;
  }
}
