/**
 * Ticks the telemetry store dropped, grouped in bursts. On a real fleet the engine cannot wait for a slow disk, so
 * the store writer drops ticks beyond its lag limit (and counts them); this turns that running count into what
 * operators need: a `storeDropped` alert while a burst lasts, and one log line per burst with how many were lost.
 */

/** A burst ends after this much engine time without a new drop. */
export const DROP_BURST_QUIET_MS = 10_000;
/** A burst that goes on is reported at most this often (engine ms), so a log is never flooded. */
export const DROP_REPORT_EVERY_MS = 60_000;

/** Drops close together in time: from the first to the latest, how many ticks in all. */
export interface DropBurst {
  fromMs: number;
  lastMs: number;
  ticks: number;
}

/** A burst to log: ended (final count), or still going after DROP_REPORT_EVERY_MS (count so far). */
export interface DropReport extends DropBurst {
  ended: boolean;
}

export class DropBursts {
  /** The burst going on (a drop within the last quiet interval), or null. */
  current: DropBurst | null = null;
  private seen = 0;
  private reportedAtMs = 0;

  constructor(
    private readonly quietMs = DROP_BURST_QUIET_MS,
    private readonly reportEveryMs = DROP_REPORT_EVERY_MS,
  ) {}

  /** Feed the sink's running count of dropped ticks at engine time `nowMs`; returns a burst to log, if one is due. */
  update(droppedTotal: number, nowMs: number): DropReport | null {
    const fresh = droppedTotal - this.seen;
    this.seen = droppedTotal;
    if (fresh > 0) {
      if (!this.current) {
        this.current = { fromMs: nowMs, lastMs: nowMs, ticks: 0 };
        this.reportedAtMs = nowMs;
      }
      this.current.ticks += fresh;
      this.current.lastMs = nowMs;
      if (nowMs - this.reportedAtMs < this.reportEveryMs) return null;
      this.reportedAtMs = nowMs;
      return { ...this.current, ended: false };
    }
    if (this.current && nowMs - this.current.lastMs >= this.quietMs) {
      const done = this.current;
      this.current = null;
      return { ...done, ended: true };
    }
    return null;
  }
}

/** The log line for a burst (times in UTC). */
export function dropLine(r: DropReport): string {
  const span = `${new Date(r.fromMs).toISOString()} to ${new Date(r.lastMs).toISOString()}`;
  const ticks = `${r.ticks} telemetry tick${r.ticks === 1 ? '' : 's'}`;
  return r.ended
    ? `store: ${ticks} dropped from ${span}: the store writer fell behind, telemetry.db has a gap there`
    : `store: still dropping: ${ticks} so far, from ${span}: the store writer is behind`;
}
