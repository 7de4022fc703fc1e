import type { RangeSeries } from '../../shared/domain/fleet.js';
import type { DB } from './db.js';
import type { TelemetrySink, TickRecord } from '../core/ports.js';
import { decodeEntities, encodeFrame, GPU_CHANNEL, RACK_CHANNEL } from './frames.js';
import { insertChannels } from './migrations/telemetry.js';
import { countTicks } from './runs.js';

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

/** One tick of every GPU, as one compressed frame of the GPU channel. A repeated (run, t) is an error, never a replace. */
export const INSERT_FRAME_SQL = 'INSERT INTO frames (run, channel, t_ms, data) VALUES (?, ?, ?, ?)';

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
 * Writes one run's ticks into telemetry.db: a GPU-channel frame per tick (store/frames.ts: ~2.5 bytes per
 * GPU-sample), the tick's events, and at ingest 10 s and 60 s rollups per rack, row and site. Synchronous; owned by
 * one thread (the store worker, or the CLI in batch mode). The db comes first, style-wise, through the constructor.
 */
export class TelemetryWriter {
  private readonly insertFrame;
  private readonly insertEvent;
  private readonly insertRollup;
  private eventSeq = 0;
  /** buckets[res][scope]: entity layout = site (1), rows, racks. */
  private readonly buckets: Array<{ resS: number; site: Bucket; row: Bucket; rack: Bucket }>;
  rowsWritten = 0;

  constructor(
    private readonly db: DB,
    /** The run these ticks belong to (store/runs.ts beginRun). */
    readonly run: number,
    layout: { rows: number; racks: number },
    private readonly retention: Retention = DEFAULT_RETENTION,
  ) {
    // The channels this writer writes, described in the database (a database older than a channel learns it here).
    insertChannels(db);
    this.insertFrame = db.prepare(INSERT_FRAME_SQL);
    this.insertEvent = db.prepare('INSERT INTO events (run, t_ms, seq, kind, subject, body) VALUES (?, ?, ?, ?, ?, ?)');
    // A bucket is rewritten when a partial one was flushed at shutdown and the run goes on: replace is right here.
    this.insertRollup = db.prepare('INSERT OR REPLACE INTO run_rollups (run, scope, res_s, t_ms, n, avg_w, max_w, max_temp_c) VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    this.buckets = [10, 60].map((resS) => ({
      resS,
      site: new Bucket(resS, 1),
      row: new Bucket(resS, layout.rows),
      rack: new Bucket(resS, layout.racks),
    }));
  }

  /** Write ticks in one transaction. Returns the number of GPU-samples written. */
  write(ticks: readonly TickRecord[]): number {
    const first = ticks[0];
    const last = ticks.at(-1);
    if (!first || !last) return 0;
    let rows = 0;
    this.db.transaction(() => {
      // Stored first: a tick whose frame is refused never reaches the rollups.
      for (const t of ticks) rows += this.insertTick(t);
      for (const t of ticks) this.rollUp(t);
      countTicks(this.db, this.run, ticks.length, rows, first.tMs, last.tMs);
    })();
    this.rowsWritten += rows;
    return rows;
  }

  private insertTick(t: TickRecord): number {
    const frame = encodeFrame(GPU_CHANNEL, [t.powerW, t.tempC, t.clockMHz, t.limitW, t.util, t.flags]);
    this.insertFrame.run(this.run, GPU_CHANNEL.id, t.tMs, frame);
    if (t.rackInletC) this.insertFrame.run(this.run, RACK_CHANNEL.id, t.tMs, encodeFrame(RACK_CHANNEL, [t.rackW, t.rackInletC]));
    for (const e of t.events ?? []) this.insertEvent.run(this.run, t.tMs, this.eventSeq++, e.kind, e.subject, JSON.stringify(e.body));
    return t.powerW.length;
  }

  /** Add a tick to the rollups only (its frame is already stored): `flush()` writes the last, partial buckets. */
  rollUp(t: Omit<TickRecord, 'powerW' | 'tempC' | 'clockMHz' | 'limitW' | 'util' | 'flags'>): void {
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
      this.insertRollup.run(this.run, scope, k.resS, k.startMs, k.n, toBlob(avg), toBlob(Float32Array.from(k.maxW)), toBlob(temp));
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

  /**
   * Delete this run's data older than the retention windows, relative to `nowMs` (its engine time), and what other
   * runs that ended longer ago than a window (wall clock, `wallMs`) keep beyond it. Index range deletes, not scans.
   */
  prune(nowMs: number, wallMs = Date.now()): number {
    const r = this.retention;
    let n = this.db.prepare('DELETE FROM frames WHERE run = ? AND t_ms < ?').run(this.run, nowMs - r.rawS * 1000).changes;
    const del = this.db.prepare('DELETE FROM run_rollups WHERE run = ? AND scope = ? AND res_s = ? AND t_ms < ?');
    for (const scope of Object.values(Scope)) {
      n += del.run(this.run, scope, 10, nowMs - r.rollup10S * 1000).changes;
      n += del.run(this.run, scope, 60, nowMs - r.rollup60S * 1000).changes;
    }
    const ended = (windowS: number) => this.db.prepare('SELECT id FROM runs WHERE id <> ? AND ended_wall_ms < ?').pluck().all(this.run, wallMs - windowS * 1000) as number[];
    for (const run of ended(r.rawS)) n += this.db.prepare('DELETE FROM frames WHERE run = ?').run(run).changes;
    for (const run of ended(r.rollup10S)) n += this.db.prepare('DELETE FROM run_rollups WHERE run = ? AND res_s = 10').run(run).changes;
    for (const run of ended(r.rollup60S)) n += this.db.prepare('DELETE FROM run_rollups WHERE run = ? AND res_s = 60').run(run).changes;
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

export const RANGE_SQL = 'SELECT t_ms, avg_w, max_w FROM run_rollups WHERE run = ? AND scope = ? AND res_s = ? AND t_ms >= ? AND t_ms < ? ORDER BY t_ms';

/**
 * Rollup series for every entity of a scope over [fromMs, toMs), bucket-aligned, kW (rounded to 1 W). One indexed
 * range scan over one row per bucket; this is the hot query of the Power view.
 */
export function queryRange(db: DB, run: number, q: { scope: ScopeName; fromMs: number; toMs: number; resS: 10 | 60 }, ids: readonly string[]): RangeSeries {
  const resMs = q.resS * 1000;
  const first = Math.floor(q.fromMs / resMs) * resMs;
  const buckets = Math.max(0, Math.ceil((q.toMs - first) / resMs));
  const tMs = Array.from({ length: buckets }, (_, i) => first + i * resMs);
  const avgKW: Array<Array<number | null>> = ids.map(() => new Array<number | null>(buckets).fill(null));
  const maxKW: Array<Array<number | null>> = ids.map(() => new Array<number | null>(buckets).fill(null));
  const stmt = db.prepare(RANGE_SQL).raw(true);
  for (const row of stmt.iterate(run, Scope[q.scope], q.resS, first, q.toMs) as Iterable<[number, Buffer, Buffer]>) {
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

export const GPU_SERIES_SQL = 'SELECT t_ms, data FROM frames WHERE run = ? AND channel = ? AND t_ms >= ? AND t_ms < ? ORDER BY t_ms';

/** One GPU's stored metrics over [fromMs, toMs) of a run, one point per stored tick (NaN: not valid when stored). */
export interface GpuSeries {
  gpu: number;
  tMs: number[];
  powerW: number[];
  tempC: number[];
  clockMHz: number[];
  limitW: number[];
  util: number[];
  flags: number[];
}

/** Per-GPU history from the frames (the Rack view's "last hour" of any GPU): one indexed range, one slice per frame. */
export function gpuSeries(db: DB, run: number, gpu: number, fromMs: number, toMs: number): GpuSeries {
  const out: GpuSeries = { gpu, tMs: [], powerW: [], tempC: [], clockMHz: [], limitW: [], util: [], flags: [] };
  const cols = [out.powerW, out.tempC, out.clockMHz, out.limitW, out.util, out.flags];
  for (const row of db.prepare(GPU_SERIES_SQL).raw(true).iterate(run, GPU_CHANNEL.id, fromMs, toMs) as Iterable<[number, Buffer]>) {
    const v = decodeEntities(GPU_CHANNEL, row[1], gpu, gpu + 1);
    out.tMs.push(row[0]);
    v.forEach((f, i) => cols[i]?.push(f[0] ?? NaN));
  }
  return out;
}

/**
 * The engine's sink over a TelemetryWriter on this thread (batch runs, `headroom sim --db`): writes as it ticks; a
 * failed write throws out of the tick (a batch run stops with the error rather than leave a silent hole).
 */
export function syncSink(writer: TelemetryWriter): TelemetrySink {
  return {
    write: (rec) => void writer.write([rec]),
    stats: () => ({ lagBatches: 0, writtenRows: writer.rowsWritten, errors: 0, dropped: 0, lastError: null }),
    close: async () => writer.flush(),
  };
}
