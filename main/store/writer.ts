import type { Worker } from 'node:worker_threads';
import { startWorker } from '../node/workers.js';
import type { Retention } from './telemetry.js';
import type { TelemetrySink, TickRecord } from '../core/ports.js';

/** The typed columns of a tick, moved to the worker by transfer. */
const COLUMNS = ['powerW', 'tempC', 'clockMHz', 'limitW', 'util', 'flags', 'rackW', 'rackMaxTempC', 'rowW', 'rowMaxTempC', 'rackInletC'] as const;

function allocSlot(rec: TickRecord): TickRecord {
  return {
    tMs: 0,
    siteW: 0,
    powerW: new Float64Array(rec.powerW.length),
    tempC: new Float64Array(rec.tempC.length),
    clockMHz: new Float64Array(rec.clockMHz.length),
    limitW: new Float64Array(rec.limitW.length),
    util: new Float64Array(rec.util.length),
    flags: new Uint32Array(rec.flags.length),
    rackW: new Float64Array(rec.rackW.length),
    rackMaxTempC: new Float64Array(rec.rackMaxTempC.length),
    rackInletC: new Float64Array(rec.rackW.length),
    rowW: new Float64Array(rec.rowW.length),
    rowMaxTempC: new Float64Array(rec.rowMaxTempC.length),
  };
}

/** Batches waiting in the worker beyond this are dropped (and counted), so memory stays bounded. */
export const MAX_LAG_BATCHES = 64;

/**
 * Telemetry sink backed by a worker thread that owns telemetry.db. `write` copies the tick's columns (structured
 * clone) and returns; acknowledgements from the worker give the lag. Start with `await StoreWriter.start(...)`.
 */
export class StoreWriter implements TelemetrySink {
  private pending = 0;
  private written = 0;
  private errors = 0;
  private dropped = 0;
  /** Dropped ticks already reported to the worker (which counts them on the run). */
  private droppedSent = 0;
  private lastError: string | null = null;
  private closed: Promise<void> | null = null;

  private readonly pool: TickRecord[] = [];

  private constructor(private readonly worker: Worker) {
    worker.on('message', (m: { kind: string; rows?: number; error?: string; ticks?: TickRecord[] }) => {
      if (m.kind !== 'ack') return;
      if (m.ticks) this.pool.push(...m.ticks);
      this.pending--;
      this.written += m.rows ?? 0;
      if (m.error) {
        this.errors++;
        this.lastError = m.error;
      }
      if (this.pending === 0) for (const w of this.idleWaiters.splice(0)) w();
    });
  }

  private readonly idleWaiters: Array<() => void> = [];

  /** Resolves once every tick handed over so far is committed (what a reader of the file sees from then on). */
  idle(): Promise<void> {
    if (this.pending === 0 || this.closed) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Start the worker writing `run` (store/runs.ts beginRun) into `file`. */
  static start(file: string, run: number, layout: { rows: number; racks: number }, retention?: Retention): Promise<StoreWriter> {
    const worker = startWorker(import.meta.url, 'writerWorker', { file, run, ...layout, retention });
    return new Promise((resolve, reject) => {
      const onMsg = (m: { kind: string; error?: string }) => {
        if (m.kind === 'ready') {
          worker.off('message', onMsg);
          resolve(new StoreWriter(worker));
        } else if (m.kind === 'fatal') {
          worker.off('message', onMsg);
          void worker.terminate();
          reject(new Error(m.error));
        }
      };
      worker.on('message', onMsg);
      worker.once('error', reject);
    });
  }

  /**
   * Hand a tick to the worker: copy its columns into a pooled buffer set (memcpy) and transfer it, so the tick
   * neither serialises nor allocates; the worker transfers the set back with its acknowledgement.
   */
  write(rec: TickRecord): void {
    if (this.closed) return;
    if (this.pending >= MAX_LAG_BATCHES) {
      this.dropped++;
      return;
    }
    const slot = this.pool.pop() ?? allocSlot(rec);
    if (slot.powerW.length !== rec.powerW.length || slot.rackW.length !== rec.rackW.length || slot.rowW.length !== rec.rowW.length) {
      throw new Error('tick shape changed: the store writer is bound to one topology');
    }
    slot.tMs = rec.tMs;
    slot.siteW = rec.siteW;
    slot.events = rec.events?.length ? rec.events : undefined;
    for (const k of COLUMNS) {
      const from = rec[k];
      // A source that knows no inlets: the rack channel stores them as missing.
      if (from) slot[k]!.set(from);
      else slot[k]!.fill(NaN);
    }
    this.pending++;
    const dropped = this.dropped - this.droppedSent;
    this.droppedSent = this.dropped;
    this.worker.postMessage({ kind: 'ticks', ticks: [slot], dropped }, COLUMNS.map((k) => slot[k]!.buffer as ArrayBuffer));
  }

  stats() {
    return { lagBatches: this.pending, writtenRows: this.written, errors: this.errors, dropped: this.dropped, lastError: this.lastError };
  }

  /** Flush partial rollups, close the db and stop the worker. Idempotent. */
  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      const done = () => void this.worker.terminate().then(() => resolve());
      this.worker.on('message', (m: { kind: string }) => m.kind === 'closed' && done());
      this.worker.once('error', done);
      this.worker.postMessage({ kind: 'close', dropped: this.dropped - this.droppedSent });
    });
    return this.closed;
  }
}
