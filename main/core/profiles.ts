import type { Topology } from '../../shared/domain/topology.js';
import type { PowerEnvelope, SiteProfiles } from '../../shared/domain/placement.js';

export type { PowerEnvelope, RackProfile, RowProfile, ServerProfile, SiteProfiles } from '../../shared/domain/placement.js';

/**
 * Profiles learned from history (TAPAS's first ingredient; docs/MODEL.md "Profiles"): per rack its inlet's response to
 * its own power, per server its GPUs' rise over the inlet per watt, per rack and row their power envelope. Pure: fed
 * samples one tick at a time (app/profiles.ts reads them from telemetry.db or a recording), O(1) memory per entity
 * (running sums for least squares, a fixed histogram for quantiles), no I/O.
 *
 *   rack:    inlet_k = a_k + b_k · P_k            (°C, P in kW: the rack's own power; least squares over the window)
 *   row:     mean inlet = a_r + b_r · P_row       (how the row's aisle warms with the row's heat)
 *   server:  T̄ − inlet = c_s + R_s · P̄             (its GPUs' mean temperature above the rack inlet against their mean power, W)
 * with each fit's standard error of the slope and residual σ; a fit needs MIN_SAMPLES valid samples and some spread of
 * power, else it reports null. "Hotter than its row": the rack's predicted inlet at its row's mean rack power, less the
 * mean of the row's racks' predictions at that power — the rack's own place in the air, with its power taken out.
 */
export const MIN_SAMPLES = 30;
/** Power envelope histogram: 1 % of a rack's or row's nominal per bucket, up to 150 %. */
const ENV_BUCKETS = 150;

/** Least squares of y on x from running sums. */
export class LinearFit {
  n = 0;
  private sx = 0;
  private sy = 0;
  private sxx = 0;
  private sxy = 0;
  private syy = 0;

  add(x: number, y: number): void {
    if (!Number.isFinite(x) || !Number.isFinite(y)) return;
    this.n++;
    this.sx += x;
    this.sy += y;
    this.sxx += x * x;
    this.sxy += x * y;
    this.syy += y * y;
  }

  /** Mean x and y of the samples (NaN with none). */
  means(): { mx: number; my: number; n: number } {
    return { mx: this.n ? this.sx / this.n : NaN, my: this.n ? this.sy / this.n : NaN, n: this.n };
  }

  /** Intercept, slope, the slope's standard error, residual σ and the mean x; null with too few or flat samples. */
  result(): { a: number; b: number; bStdErr: number; sigma: number; meanX: number; n: number } | null {
    const n = this.n;
    if (n < MIN_SAMPLES) return null;
    const mx = this.sx / n;
    const my = this.sy / n;
    const vxx = this.sxx / n - mx * mx;
    if (!(vxx > 1e-12 * Math.max(1, mx * mx))) return null;
    const b = (this.sxy / n - mx * my) / vxx;
    const a = my - b * mx;
    const vyy = this.syy / n - my * my;
    const rss = Math.max(0, (vyy - b * b * vxx) * n);
    const sigma = Math.sqrt(rss / Math.max(1, n - 2));
    return { a, b, bStdErr: sigma / Math.sqrt(vxx * n), sigma, meanX: mx, n };
  }
}

/** Quantiles of a value from a fixed histogram of 1 % buckets of `nominal` (0…150 %). */
class Envelope {
  private readonly counts = new Float64Array(ENV_BUCKETS + 1);
  private n = 0;
  max = -Infinity;
  constructor(private readonly nominal: number) {}
  add(v: number): void {
    if (!Number.isFinite(v) || !(this.nominal > 0)) return;
    const k = Math.min(ENV_BUCKETS, Math.max(0, Math.floor((v / this.nominal) * 100)));
    this.counts[k]!++;
    this.n++;
    if (v > this.max) this.max = v;
  }
  /** Upper edge of the bucket holding quantile q, in the value's unit; NaN when empty. */
  quantile(q: number): number {
    if (this.n === 0) return NaN;
    let acc = 0;
    for (let k = 0; k <= ENV_BUCKETS; k++) {
      acc += this.counts[k]!;
      if (acc >= q * this.n) return Math.min(this.max, ((k + 1) / 100) * this.nominal);
    }
    return this.max;
  }
  get samples(): number {
    return this.n;
  }
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const envelope = (e: Envelope): PowerEnvelope | null =>
  e.samples === 0 ? null : { p50KW: r3(e.quantile(0.5)), p95KW: r3(e.quantile(0.95)), p99KW: r3(e.quantile(0.99)), maxKW: r3(e.max) };

/**
 * Accumulates a window's ticks into profiles. `rackTick` takes a tick's rack channel (power W, inlet °C); `gpuTick` its
 * GPU channel (power W, temperature °C, utilisation 0…1, and the inlet of each rack at that tick for the rise fit).
 */
export class Profiler {
  private readonly rackFit: LinearFit[];
  /** Per row, every rack's (power, inlet) pooled: the slope for racks whose own power never varied. */
  private readonly rowPooled: LinearFit[];
  /** Per row, its mean rack inlet against its power. */
  private readonly rowAisle: LinearFit[];
  private readonly rowInlet: Float64Array;
  private readonly rowInletN: Int32Array;
  private readonly serverFit: LinearFit[];
  private readonly rackEnv: Envelope[];
  private readonly rowEnv: Envelope[];
  private readonly utilSum: Float64Array;
  private readonly utilMean: Float64Array;
  private utilTicks = 0;
  private readonly rowW: Float64Array;
  ticks = 0;
  fromMs = Infinity;
  toMs = -Infinity;

  constructor(private readonly t: Topology) {
    this.rackFit = t.racks.map(() => new LinearFit());
    this.rowPooled = t.rows.map(() => new LinearFit());
    this.rowAisle = t.rows.map(() => new LinearFit());
    this.rowInlet = new Float64Array(t.rows.length);
    this.rowInletN = new Int32Array(t.rows.length);
    this.serverFit = t.servers.map(() => new LinearFit());
    this.rackEnv = t.racks.map((r) => new Envelope(r.budgetKW));
    this.rowEnv = t.rows.map((r) => new Envelope(r.budgetKW));
    this.utilSum = new Float64Array(t.servers.length);
    this.utilMean = new Float64Array(t.servers.length);
    this.rowW = new Float64Array(t.rows.length);
  }

  rackTick(tMs: number, powerW: ArrayLike<number>, inletC: ArrayLike<number>): void {
    const t = this.t;
    this.ticks++;
    if (tMs < this.fromMs) this.fromMs = tMs;
    if (tMs > this.toMs) this.toMs = tMs;
    this.rowW.fill(0);
    this.rowInlet.fill(0);
    this.rowInletN.fill(0);
    for (let k = 0; k < t.racks.length; k++) {
      const kw = powerW[k]! / 1000;
      const r = t.racks[k]!.row;
      this.rackFit[k]!.add(kw, inletC[k]!);
      this.rowPooled[r]!.add(kw, inletC[k]!);
      this.rackEnv[k]!.add(kw);
      this.rowW[r]! += Number.isFinite(kw) ? kw : 0;
      if (Number.isFinite(inletC[k]!)) {
        this.rowInlet[r]! += inletC[k]!;
        this.rowInletN[r]!++;
      }
    }
    for (let r = 0; r < t.rows.length; r++) {
      this.rowEnv[r]!.add(this.rowW[r]!);
      if (this.rowInletN[r]! > 0) this.rowAisle[r]!.add(this.rowW[r]!, this.rowInlet[r]! / this.rowInletN[r]!);
    }
  }

  /**
   * One tick of GPU readings. `servers` limits it to a range of servers [from, to) whose GPUs the arrays hold from
   * index 0 (the rack view reads one rack's GPUs: `gpuBase` is its first GPU); the default is every server.
   */
  gpuTick(powerW: ArrayLike<number>, tempC: ArrayLike<number>, util: ArrayLike<number>, rackInletC: ArrayLike<number>, servers?: { from: number; to: number; gpuBase: number }): void {
    const t = this.t;
    this.utilTicks++;
    const base = servers?.gpuBase ?? 0;
    for (let s = servers?.from ?? 0; s < (servers?.to ?? t.servers.length); s++) {
      const sv = t.servers[s]!;
      let p = 0;
      let temp = 0;
      let u = 0;
      let n = 0;
      for (let g = sv.gpuStart - base; g < sv.gpuStart - base + sv.gpuCount; g++) {
        if (!Number.isFinite(powerW[g]!) || !Number.isFinite(tempC[g]!)) continue;
        p += powerW[g]!;
        temp += tempC[g]!;
        u += Number.isFinite(util[g]!) ? util[g]! : 0;
        n++;
      }
      if (n === 0) continue;
      this.utilSum[s]! += u / n;
      this.serverFit[s]!.add(p / n, temp / n - rackInletC[sv.rack]!);
    }
  }

  /** Row r's racks pooled: inlet = a + b · rack kW (the line a rack's own fit is compared with); null: no fit. */
  rowLine(r: number): { a: number; b: number } | null {
    const f = this.rowPooled[r]!.result();
    return f ? { a: r3(f.a), b: r3(f.b) } : null;
  }

  result(strideS: number): SiteProfiles {
    const t = this.t;
    const pooled = this.rowPooled.map((f) => f.result());
    const fits = this.rackFit.map((f, k) => {
      const own = f.result();
      if (own) return { ...own, from: 'rack' as const };
      const row = pooled[t.racks[k]!.row];
      const m = f.means();
      if (!row || m.n < MIN_SAMPLES || !Number.isFinite(m.my)) return null;
      return { a: m.my - row.b * m.mx, b: row.b, bStdErr: row.bStdErr, sigma: row.sigma, meanX: m.mx, n: m.n, from: 'row' as const };
    });
    // Per row: its racks' mean power over the window, and the mean of their predictions there.
    const rowMeanKW = t.rows.map((row) => {
      let sum = 0;
      let n = 0;
      for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) {
        const f = fits[k];
        if (f) {
          sum += f.meanX;
          n++;
        }
      }
      return n ? sum / n : NaN;
    });
    const rowMeanInlet = t.rows.map((row, r) => {
      let sum = 0;
      let n = 0;
      for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) {
        const f = fits[k];
        if (f) {
          sum += f.a + f.b * rowMeanKW[r]!;
          n++;
        }
      }
      return n ? sum / n : NaN;
    });
    for (let s = 0; s < t.servers.length; s++) this.utilMean[s] = this.utilTicks ? this.utilSum[s]! / this.utilTicks : NaN;
    return {
      fromMs: Number.isFinite(this.fromMs) ? this.fromMs : 0,
      toMs: Number.isFinite(this.toMs) ? this.toMs : 0,
      ticks: this.ticks,
      strideS,
      racks: t.racks.map((rack, k) => {
        const f = fits[k];
        const rowR = rack.row;
        return {
          rack: rack.id,
          row: t.rows[rowR]!.id,
          inlet: f ? { a: r3(f.a), b: r3(f.b), bStdErr: r3(f.bStdErr), sigma: r3(f.sigma), n: f.n, from: f.from } : null,
          hotterThanRowC: f && Number.isFinite(rowMeanInlet[rowR]!) ? r3(f.a + f.b * rowMeanKW[rowR]! - rowMeanInlet[rowR]!) : null,
          power: envelope(this.rackEnv[k]!),
        };
      }),
      servers: t.servers.map((sv, s) => {
        const f = this.serverFit[s]!.result();
        return { server: s, rack: t.racks[sv.rack]!.id, rise: f ? { c: r3(f.a), rPerW: Math.round(f.b * 1e5) / 1e5, rStdErr: Math.round(f.bStdErr * 1e5) / 1e5, sigma: r3(f.sigma), n: f.n } : null };
      }),
      rows: t.rows.map((row, r) => {
        const f = this.rowAisle[r]!.result();
        return { row: row.id, budgetKW: row.budgetKW, power: envelope(this.rowEnv[r]!), aisle: f ? { a: r3(f.a), b: Math.round(f.b * 1e4) / 1e4, bStdErr: Math.round(f.bStdErr * 1e4) / 1e4, sigma: r3(f.sigma), n: f.n } : null };
      }),
      serverUtil: Array.from(this.utilMean, (x) => (Number.isFinite(x) ? r3(x) : 0)),
    };
  }
}
