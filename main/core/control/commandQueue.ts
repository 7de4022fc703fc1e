/**
 * Commands in flight (issued, not yet in effect) of the actuation model: a structure of arrays in issue order,
 * compacted as commands land. Each command has a sequence number; a later one for the same GPU and channel
 * supersedes an earlier one (the actuation model compares them when they land).
 */
export class CommandQueue {
  private gpu = new Int32Array(1024);
  private ch = new Uint8Array(1024);
  private val = new Float64Array(1024);
  private effect = new Float64Array(1024);
  private issued = new Float64Array(1024);
  private seqs = new Float64Array(1024);
  private n = 0;
  private seq = 0;

  get count(): number {
    return this.n;
  }

  push(g: number, ch: number, value: number, issuedMs: number, effectAtMs: number): void {
    if (this.n === this.gpu.length) this.grow();
    const i = this.n++;
    this.gpu[i] = g;
    this.ch[i] = ch;
    this.val[i] = value;
    this.issued[i] = issuedMs;
    this.effect[i] = effectAtMs;
    this.seqs[i] = this.seq++;
  }

  /** Take every command due by nowMs, in issue order, to `land(gpu, channel, value, seq)`. */
  takeDue(nowMs: number, land: (g: number, ch: number, value: number, seq: number) => void): void {
    let k = 0;
    for (let i = 0; i < this.n; i++) {
      if (this.effect[i]! <= nowMs) {
        land(this.gpu[i]!, this.ch[i]!, this.val[i]!, this.seqs[i]!);
        continue;
      }
      if (k !== i) {
        this.gpu[k] = this.gpu[i]!;
        this.ch[k] = this.ch[i]!;
        this.val[k] = this.val[i]!;
        this.issued[k] = this.issued[i]!;
        this.effect[k] = this.effect[i]!;
        this.seqs[k] = this.seqs[i]!;
      }
      k++;
    }
    this.n = k;
  }

  /** The commands in flight for one GPU. */
  of(g: number): Array<{ ch: number; value: number; issuedAtMs: number; effectAtMs: number }> {
    const out: Array<{ ch: number; value: number; issuedAtMs: number; effectAtMs: number }> = [];
    for (let i = 0; i < this.n; i++) {
      if (this.gpu[i] === g) out.push({ ch: this.ch[i]!, value: this.val[i]!, issuedAtMs: this.issued[i]!, effectAtMs: this.effect[i]! });
    }
    return out;
  }

  private grow(): void {
    const cap = this.gpu.length * 2;
    const re = <T extends Int32Array | Uint8Array | Float64Array>(a: T, make: (n: number) => T): T => {
      const b = make(cap);
      b.set(a);
      return b;
    };
    this.gpu = re(this.gpu, (k) => new Int32Array(k));
    this.ch = re(this.ch, (k) => new Uint8Array(k));
    this.val = re(this.val, (k) => new Float64Array(k));
    this.issued = re(this.issued, (k) => new Float64Array(k));
    this.effect = re(this.effect, (k) => new Float64Array(k));
    this.seqs = re(this.seqs, (k) => new Float64Array(k));
  }
}
