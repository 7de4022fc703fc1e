import type { DB } from '../store/db.js';
import type { AuditTrail } from '../store/audit.js';
import { countersigWriter } from '../store/countersigs.js';
import type { SourceManager } from '../fleet/manager.js';
import { queryRange } from '../store/telemetry.js';
import { eventWindow, gpuHistory } from '../store/history.js';
import { RefusalError, type SourcesApi, type TelemetryReader } from '../core/ports.js';
import type { Engine } from '../engine/engine.js';

/** The runtime's small adapters: the simulator's answer on Settings → Sources, and the reader over stored telemetry. */

/** Settings → Sources while the simulator runs: its one source, nothing to add. */
export function simSources(engine: Engine): SourcesApi {
  const refuse = (): never => {
    throw new RefusalError('this console runs the built-in simulator; start it with --inventory (and --sources) to watch real GPUs');
  };
  return {
    view: () => ({ mode: 'sim', sources: engine.sourceHealth().map((health) => ({ config: null, health })), inventory: null, identity: null }),
    test: async () => refuse(),
    add: () => refuse(),
    remove: async () => refuse(),
  };
}

export function telemetryReader(db: DB | null, run: number): TelemetryReader | null {
  return db
    ? {
        range: (q, ids) => queryRange(db, run, q, ids),
        events: (q, rows) => eventWindow(db, run, q, rows),
        gpu: (gpu, fromMs, toMs) => gpuHistory(db, run, gpu, fromMs, toMs),
      }
    : null;
}

/**
 * What the agents are shown and what they give back: every command carries the trail's committed head; each
 * countersignature (checked against the agent's certificate by its link) is stored in control.db.
 */
export function agentAuditHeads(audit: AuditTrail, controlDb: DB, log: (line: string) => void): NonNullable<ConstructorParameters<typeof SourceManager>[0]['auditHeads']> {
  const save = countersigWriter(controlDb);
  return {
    head: () => audit.head(),
    countersigned: (c) => {
      if (!controlDb.open) return;
      try {
        save(c);
      } catch (e) {
        log(`audit heads: cannot store ${c.host}'s countersignature of record ${c.seq}: ${(e as Error).message}`);
      }
    },
  };
}
