import type { AuditEntry } from '../ports.js';
import type { Channel, Issued } from './actuation.js';
import { describeValue } from './gpuControl.js';

/**
 * Actuation audit batching: one audit record per command batch, not one per GPU command. Rules:
 *   - a batch = commands issued to one row, on one channel, for the same value and reason, tightening or not;
 *   - its previous value is the one all its commands replaced, or "mixed";
 *   - cap-downs (tighten) are due at once, in the tick they were issued; releases, which the actuation model
 *     staggers over one change interval, are gathered until `windowMs` after the batch's first command, so a row's
 *     uncap is one record, not one per tick;
 *   - due batches come out in the order they were opened.
 * Time comes in as arguments; no effect beyond the open batches.
 */

/** Commands issued together (see the rules above). */
export interface CommandBatch {
  row: number;
  ch: Channel;
  value: number;
  /** The value every command replaced; null when they differ. */
  prev: number | null;
  /** Reason index (arbiter). */
  why: number;
  tighten: boolean;
  count: number;
  firstMs: number;
  lastMs: number;
  /** Issue to effect (ms) of the first command. */
  latencyMs: number;
}

export class CommandBatches {
  private readonly open = new Map<string, CommandBatch>();

  get size(): number {
    return this.open.size;
  }

  /** Add a command issued to `row` at `nowMs`. */
  add(row: number, c: Issued, nowMs: number): void {
    const key = `${row}|${c.ch}|${c.value}|${c.why}|${c.tighten ? 1 : 0}`;
    const b = this.open.get(key);
    if (b) {
      b.count++;
      b.lastMs = nowMs;
      if (b.prev !== c.prev) b.prev = null;
    } else this.open.set(key, { row, ch: c.ch, value: c.value, prev: c.prev, why: c.why, tighten: c.tighten, count: 1, firstMs: nowMs, lastMs: nowMs, latencyMs: c.effectAtMs - nowMs });
  }

  /** Remove and return the batches due at `nowMs` (every open batch when `all`). */
  takeDue(nowMs: number, windowMs: number, all = false): CommandBatch[] {
    const due: CommandBatch[] = [];
    for (const [key, b] of this.open) {
      if (!all && !b.tighten && nowMs - b.firstMs < windowMs) continue;
      this.open.delete(key);
      due.push(b);
    }
    return due;
  }
}

/**
 * The audit record of a batch on row `rowId`. `why` is the reason text (empty: none; a release then says so);
 * `defaultLimitW` words power limits at the default as such.
 */
export function batchAuditEntry(b: CommandBatch, rowId: string, why: string, defaultLimitW: number): AuditEntry {
  const what = describeValue(b.ch, b.value, defaultLimitW);
  const prev = b.prev === null ? 'mixed' : describeValue(b.ch, b.prev, defaultLimitW);
  const span = Math.round((b.lastMs - b.firstMs) / 1000);
  return {
    actor: 'system',
    kind: 'actuation',
    target: `row ${rowId}`,
    oldValue: prev,
    newValue: `${b.count} GPU${b.count === 1 ? '' : 's'} → ${what} (in effect ${Math.round(b.latencyMs / 1000)} s after issue${span > 0 ? `; issued over ${span} s, staggered` : ''})`,
    reason: why || (b.tighten ? '' : 'release: no contribution asks for it any more'),
    outcome: 'ok',
  };
}
