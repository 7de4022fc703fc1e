import type { Actor } from '../../shared/domain/control.js';

export interface RefusalAuditOptions {
  /** Length of one window per (principal, channel) (wall ms; default 60 s). */
  windowMs?: number;
  /** Wall clock (ms) and timers, for tests. */
  now?: () => number;
  setTimer?: (fn: () => void, ms: number) => { unref?: () => void } | unknown;
  clearTimer?: (handle: unknown) => void;
}

/** One record to write: the first refusal in full, or the count of those that followed it in the window. */
export type RefusalRecord = { actor: Actor; channel: string; reason: string; more: null } | { actor: Actor; channel: string; reason: string; more: { count: number; seconds: number } };

interface OpenWindow {
  actor: Actor;
  channel: string;
  startedAt: number;
  more: number;
  timer: unknown;
}

/**
 * Refused requests are audited without filling the disk: the first refusal per (principal, channel) in a window is
 * written in full; the ones after it in that window are only counted, and one summary record ("and 20,514 more
 * refusals of override:set by viewer (token) in 60 s") is written when the window closes. Each audit record is an
 * fsync'd transaction: a client repeating a refused call as fast as it can would otherwise grow control.db by
 * megabytes a second. At most two records per principal and channel per window, whatever the rate.
 */
export class RefusalAudit {
  private readonly windows = new Map<string, OpenWindow>();
  private readonly windowMs: number;
  private readonly now: () => number;

  constructor(
    private readonly write: (r: RefusalRecord) => void,
    private readonly o: RefusalAuditOptions = {},
  ) {
    this.windowMs = o.windowMs ?? 60_000;
    this.now = o.now ?? (() => performance.now());
  }

  record(actor: Actor, channel: string, error: string): void {
    const key = `${actor.user}\u0000${actor.role}\u0000${channel}`;
    const w = this.windows.get(key);
    if (w && this.now() - w.startedAt < this.windowMs) {
      w.more++;
      return;
    }
    if (w) this.close(key, w);
    this.write({ actor, channel, reason: error, more: null });
    const setTimer = this.o.setTimer ?? ((fn: () => void, ms: number) => setTimeout(fn, ms));
    const timer = setTimer(() => {
      const cur = this.windows.get(key);
      if (cur && cur.timer === timer) this.close(key, cur);
    }, this.windowMs);
    (timer as { unref?: () => void } | null)?.unref?.();
    this.windows.set(key, { actor, channel, startedAt: this.now(), more: 0, timer });
  }

  /** Write every open window's count now (the runtime closes: the counts must not be lost). */
  flush(): void {
    for (const [key, w] of [...this.windows]) this.close(key, w);
  }

  /** Windows open (at most one per principal and channel). */
  get open(): number {
    return this.windows.size;
  }

  private close(key: string, w: OpenWindow): void {
    this.windows.delete(key);
    (this.o.clearTimer ?? ((h: unknown) => clearTimeout(h as NodeJS.Timeout)))(w.timer);
    if (w.more === 0) return;
    const seconds = Math.max(1, Math.round(Math.min(this.windowMs, this.now() - w.startedAt) / 1000));
    const reason = `and ${w.more.toLocaleString('en-US')} more refusal${w.more === 1 ? '' : 's'} of ${w.channel} by ${w.actor.user} in ${seconds} s`;
    this.write({ actor: w.actor, channel: w.channel, reason, more: { count: w.more, seconds } });
  }
}
