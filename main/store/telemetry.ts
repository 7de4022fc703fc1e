import type { RangeSeries } from '../../shared/domain/fleet.js';
import type { DB } from './db.js';
import type { TickRecord } from '../core/ports.js';

/** Rollup scopes as stored in `rollups.scope`. */
export const Scope = { site: 0, row: 1, rack: 2 } as const;
export type ScopeName = keyof typeof Scope;

export interface Retention {
  /** Raw samples are kept this long (s). */
  rawS: number;
  /** 10 s and 60 s rollups are kept this long (s). */
  rollup10S: number;
  rollup60S: number;
}
export const DEFAULT_RETENTION: Retention = { rawS: 24 * 3600, rollup10S: 14 * 24 * 3600, rollup60S: 400 * 24 * 3600 };

export const INSERT_SAMPLE_SQL =
  'INSERT OR REPLACE INTO samples (t_ms, gpu, power_w, temp_c, clock_mhz, limit_w, util, flags) VALUES (?, ?, ?, ?, ?, ?, ?, ?)';

/** Per-resolution accumulator for the bucket being filled. */
class Bucket {
  startMs = NaN;
  n = 0;
  readonly sumW: Float64Array;
  readonly maxW: Float64Array;
  readonly maxTempC: Float64Array;
  constructor(
    readonly resS: number,
    readonly entities: number,
  ) {
    this.sumW = new Float64Array(entities);
    this.maxW = new Float64Array(entities).fill(-Infinity);
    this.maxTempC = new Float64Array(entities).fill(-Infinity);
  }
  reset(startMs: number): void {
    this.startMs = startMs;
    this.n = 0;
    this.sumW.fill(0);
    this.maxW.fill(-Infinity);
    this.maxTempC.fill(-Infinity);
  }
}

/**
 * Writes ticks into telemetry.db: raw samples and, at ingest, 10 s and 60 s rollups per rack, row and site.
 * Synchronous; owned by one thread (the store worker, or the CLI in batch mode). The db comes first, style-wise,
 * through the constructor.
 */
export class TelemetryWriter {
  private readonly insertSample;
  private readonly insertRollup;
  /** buckets[res][scope]: entity layout = site (1), rows, racks. */
  private readonly buckets: Array<{ resS: number; site: Bucket; row: Bucket; rack: Bucket }>;
  rowsWritten = 0;

  constructor(
    private readonly db: DB,
    layout: { rows: number; racks: number },
    private readonly retention: Retention = DEFAULT_RETENTION,
  ) {
    this.insertSample = db.prepare(INSERT_SAMPLE_SQL);
    this.insertRollup = db.prepare('INSERT OR REPLACE INTO rollups (scope, res_s, t_ms, n, avg_w, max_w, max_temp_c) VALUES (?, ?, ?, ?, ?, ?, ?)');
    this.buckets = [10, 60].map((resS) => ({
      resS,
      site: new Bucket(resS, 1),
      row: new Bucket(resS, layout.rows),
      rack: new Bucket(resS, layout.racks),
    }));
  }

  /** Write ticks in one transaction. Returns the number of raw rows written. */
  write(ticks: readonly TickRecord[]): number {
    let rows = 0;
    this.db.transaction(() => {
      for (const t of ticks) {
        rows += this.insertTick(t);
        this.accumulate(t);
      }
    })();
    this.rowsWritten += rows;
    return rows;
  }

  private insertTick(t: TickRecord): number {
    const stmt = this.insertSample;
    const n = t.powerW.length;
    for (let g = 0; g < n; g++) {
      stmt.run(t.tMs, g, t.powerW[g], t.tempC[g], t.clockMHz[g], t.limitW[g], t.util[g], t.flags[g]);
    }
    return n;
  }

  private accumulate(t: TickRecord): void {
    for (const b of this.buckets) {
      const start = Math.floor(t.tMs / (b.resS * 1000)) * b.resS * 1000;
      if (start !== b.site.startMs) {
        this.flushBuckets(b);
        b.site.reset(start);
        b.row.reset(start);
        b.rack.reset(start);
      }
      add(b.site, 0, t.siteW, Math.max(...t.rowMaxTempC));
      for (let r = 0; r < t.rowW.length; r++) add(b.row, r, t.rowW[r]!, t.rowMaxTempC[r]!);
      for (let r = 0; r < t.rackW.length; r++) add(b.rack, r, t.rackW[r]!, t.rackMaxTempC[r]!);
      b.site.n++;
      b.row.n++;
      b.rack.n++;
    }
  }

  private flushBuckets(b: { site: Bucket; row: Bucket; rack: Bucket }): void {
    const write = (scope: number, k: Bucket) => {
      if (k.n === 0 || Number.isNaN(k.startMs)) return;
      const avg = new Float32Array(k.entities);
      for (let e = 0; e < k.entities; e++) avg[e] = k.sumW[e]! / k.n;
      // Entities with no temperature reading store NaN.
      const temp = Float32Array.from(k.maxTempC, (v) => (Number.isFinite(v) ? v : NaN));
      this.insertRollup.run(scope, k.resS, k.startMs, k.n, toBlob(avg), toBlob(Float32Array.from(k.maxW)), toBlob(temp));
    };
    write(Scope.site, b.site);
    write(Scope.row, b.row);
    write(Scope.rack, b.rack);
  }

  /** Write the partial buckets (on shutdown, so the last minute is not lost). */
  flush(): void {
    this.db.transaction(() => {
      for (const b of this.buckets) this.flushBuckets(b);
    })();
  }

  /** Delete data older than the retention windows, relative to `nowMs`. */
  prune(nowMs: number): number {
    const r = this.retention;
    let n = this.db.prepare('DELETE FROM samples WHERE t_ms < ?').run(nowMs - r.rawS * 1000).changes;
    const del = this.db.prepare('DELETE FROM rollups WHERE scope = ? AND res_s = ? AND t_ms < ?');
    // (scope, res_s) prefix + t_ms range: an index range delete, not a scan.
    for (const scope of Object.values(Scope)) {
      n += del.run(scope, 10, nowMs - r.rollup10S * 1000).changes;
      n += del.run(scope, 60, nowMs - r.rollup60S * 1000).changes;
    }
    return n;
  }
}

function add(b: Bucket, e: number, w: number, tempC: number): void {
  b.sumW[e]! += w;
  if (w > b.maxW[e]!) b.maxW[e] = w;
  if (tempC > b.maxTempC[e]!) b.maxTempC[e] = tempC;
}

/** Float32 vectors are stored little-endian (every platform Headroom runs on is little-endian). */
export function toBlob(v: Float32Array): Buffer {
  return Buffer.from(v.buffer, v.byteOffset, v.byteLength);
}
export function fromBlob(b: Buffer): Float32Array {
  const copy = new Uint8Array(b.byteLength);
  copy.set(b);
  return new Float32Array(copy.buffer);
}

export const RANGE_SQL = 'SELECT t_ms, avg_w, max_w FROM rollups WHERE scope = ? AND res_s = ? AND t_ms >= ? AND t_ms < ? ORDER BY t_ms';

/**
 * Rollup series for every entity of a scope over [fromMs, toMs), bucket-aligned, kW (rounded to 1 W). One indexed
 * range scan over one row per bucket; this is the hot query of the Power view.
 */
export function queryRange(db: DB, q: { scope: ScopeName; fromMs: number; toMs: number; resS: 10 | 60 }, ids: readonly string[]): RangeSeries {
  const resMs = q.resS * 1000;
  const first = Math.floor(q.fromMs / resMs) * resMs;
  const buckets = Math.max(0, Math.ceil((q.toMs - first) / resMs));
  const tMs = Array.from({ length: buckets }, (_, i) => first + i * resMs);
  const avgKW: Array<Array<number | null>> = ids.map(() => new Array<number | null>(buckets).fill(null));
  const maxKW: Array<Array<number | null>> = ids.map(() => new Array<number | null>(buckets).fill(null));
  const stmt = db.prepare(RANGE_SQL).raw(true);
  for (const row of stmt.iterate(Scope[q.scope], q.resS, first, q.toMs) as Iterable<[number, Buffer, Buffer]>) {
    const b = Math.round((row[0] - first) / resMs);
    if (b < 0 || b >= buckets) continue;
    const avg = fromBlob(row[1]);
    const max = fromBlob(row[2]);
    const n = Math.min(ids.length, avg.length);
    for (let e = 0; e < n; e++) {
      avgKW[e]![b] = Math.round(avg[e]!) / 1000;
      maxKW[e]![b] = Math.round(max[e]!) / 1000;
    }
  }
  return { scope: q.scope, resS: q.resS, ids: [...ids], tMs, avgKW, maxKW };
}
