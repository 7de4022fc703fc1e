/**
 * Each rack's inlet temperature over the last `spanS`, one snapshot per tick in a ring, to measure how fast it rises
 * (the inletRise alert: a cooling loss shows as a climbing inlet minutes before a GPU slows down). Pure; fixed memory.
 */
export class InletHistory {
  private readonly ring: Float64Array;
  private readonly times: Float64Array;
  private head = 0;
  private count = 0;
  private readonly rise: Float64Array;

  constructor(
    readonly racks: number,
    readonly capacity: number,
  ) {
    this.ring = new Float64Array(racks * capacity);
    this.times = new Float64Array(capacity);
    this.rise = new Float64Array(racks);
  }

  push(inletC: ArrayLike<number>, nowMs: number): void {
    const base = this.head * this.racks;
    for (let k = 0; k < this.racks; k++) this.ring[base + k] = inletC[k]!;
    this.times[this.head] = nowMs;
    this.head = (this.head + 1) % this.capacity;
    if (this.count < this.capacity) this.count++;
  }

  /**
   * Per rack, (inlet now − inlet `windowS` ago) per minute, from the oldest snapshot at least `windowS` old (NaN until
   * the history covers the window, or where either reading is missing). The same array each call.
   */
  risePerMin(windowS: number, nowMs: number): Float64Array {
    const out = this.rise;
    out.fill(NaN);
    if (this.count < 2) return out;
    const newest = (this.head - 1 + this.capacity) % this.capacity;
    // Walk back to the newest snapshot that is at least windowS old.
    let old = -1;
    for (let i = 1; i < this.count; i++) {
      const j = (newest - i + this.capacity) % this.capacity;
      if (nowMs - this.times[j]! >= windowS * 1000) {
        old = j;
        break;
      }
    }
    if (old < 0) return out;
    const minutes = (this.times[newest]! - this.times[old]!) / 60_000;
    if (!(minutes > 0)) return out;
    const a = newest * this.racks;
    const b = old * this.racks;
    for (let k = 0; k < this.racks; k++) out[k] = (this.ring[a + k]! - this.ring[b + k]!) / minutes;
    return out;
  }
}
