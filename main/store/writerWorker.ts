import { parentPort, workerData } from 'node:worker_threads';
import { openTelemetryDb } from './telemetryDb.js';
import { TelemetryWriter, type Retention } from './telemetry.js';
import { countDropped, endRun } from './runs.js';
import { type TickRecord } from '../core/ports.js';

/** Store worker: owns telemetry.db's write connection, so SQLite never blocks the engine's tick. */
interface Init {
  file: string;
  run: number;
  rows: number;
  racks: number;
  retention?: Retention;
}
/** `dropped`: ticks the main thread dropped since the last message (counted on the run). */
type Msg = { kind: 'ticks'; ticks: TickRecord[]; dropped: number } | { kind: 'close'; dropped: number };

/** Give the tick buffers back to the engine's pool. */
function transferables(ticks: TickRecord[]): ArrayBuffer[] {
  return ticks.flatMap((t) =>
    [t.powerW, t.tempC, t.clockMHz, t.limitW, t.util, t.flags, t.rackW, t.rackMaxTempC, t.rowW, t.rowMaxTempC, t.rackInletC].flatMap((a) => (a ? [a.buffer as ArrayBuffer] : [])),
  );
}

const init = workerData as Init;
const port = parentPort!;
try {
  const db = openTelemetryDb(init.file);
  const writer = new TelemetryWriter(db, init.run, { rows: init.rows, racks: init.racks }, init.retention);
  let sincePrune = 0;
  port.postMessage({ kind: 'ready' });
  port.on('message', (msg: Msg) => {
    if (msg.kind === 'close') {
      try {
        writer.flush();
        countDropped(db, init.run, msg.dropped);
        endRun(db, init.run, Date.now());
        db.close();
      } finally {
        port.postMessage({ kind: 'closed' });
      }
      return;
    }
    try {
      countDropped(db, init.run, msg.dropped);
      const rows = writer.write(msg.ticks);
      if (++sincePrune >= 600) {
        sincePrune = 0;
        writer.prune(msg.ticks[msg.ticks.length - 1]!.tMs);
      }
      port.postMessage({ kind: 'ack', batches: 1, rows, ticks: msg.ticks }, transferables(msg.ticks));
    } catch (e) {
      port.postMessage({ kind: 'ack', batches: 1, rows: 0, error: (e as Error).message, ticks: msg.ticks }, transferables(msg.ticks));
    }
  });
} catch (e) {
  port.postMessage({ kind: 'fatal', error: (e as Error).message });
}
