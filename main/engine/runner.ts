import type { Status } from '../../shared/domain/fleet.js';
import type { TelemetrySink } from '../core/ports.js';
import { dropLine } from '../core/storeDrops.js';
import type { EventBus } from './bus.js';
import type { Engine, TickResult } from './engine.js';

/** Wall-clock port, so tests can drive the runner with a fake clock. */
export interface WallClock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}
export const systemClock: WallClock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface RunnerOptions {
  speed?: number;
  clock?: WallClock;
  scenario: string;
  sink?: TelemetrySink | null;
  /** A real fleet: time is the wall clock, speed is fixed at 1 and the loop is never paused. */
  realTime?: boolean;
  /** Epoch clock for `realTime` (default Date.now). */
  epochNow?: () => number;
  /** Snapshots to faces at most this often (wall ms). */
  snapshotEveryMs?: number;
  /** Wall time a single loop turn may spend ticking before yielding (ms). */
  turnBudgetMs?: number;
  /** Playing back a recording: named in the status; `atEnd` says when the runner pauses (past the last frame). */
  recording?: { file: string; t0Ms: number; t1Ms: number; atEnd: (nowMs: number) => boolean };
  /** Operator log (stderr in headless mode): bursts of ticks the store dropped. */
  log?: (line: string) => void;
}

const LOOP_MS = 50;

/**
 * How many batches the store writer queues before it drops ticks (MAX_LAG_BATCHES in main/store/writer.ts, which the
 * engine may not import; a test holds the two equal).
 */
export const STORE_QUEUE_BATCHES = 64;
/**
 * The simulator waits for the store: when a turn starts with this many batches still queued from earlier turns, the
 * writer is behind and the turn does not step. Half the queue, so a turn has room for its own ticks; within a turn
 * stepping stops at the queue's limit. A simulation never loses a tick: on a slow disk it runs slower instead.
 */
export const PACE_LAG_BATCHES = STORE_QUEUE_BATCHES / 2;
/** `status.store.paced` stays true this long after the store last held the simulator back (wall ms). */
const PACED_SHOWN_MS = 2000;

/**
 * Real-time driver: ticks the engine so that simulated time advances `speed`× wall time, yields to the event loop
 * between turns, and publishes throttled snapshots, alert changes and status on the bus.
 */
export class Runner {
  speed: number;
  paused = false;
  running = false;
  private timer: unknown = null;
  private lastWall = 0;
  private debtMs = 0;
  private lastSnapshotWall = -Infinity;
  private lastStatusWall = -Infinity;
  private pacedAtWall = -Infinity;
  private readonly clock: WallClock;

  constructor(
    readonly engine: Engine,
    private readonly bus: EventBus,
    private readonly opts: RunnerOptions,
  ) {
    this.speed = opts.speed ?? 1;
    this.clock = opts.clock ?? systemClock;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.lastWall = this.clock.now();
    this.schedule();
  }

  stop(): void {
    this.running = false;
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }

  pause(): void {
    this.paused = true;
    this.publishStatus(true);
  }

  resume(): void {
    this.paused = false;
    this.lastWall = this.clock.now();
    this.publishStatus(true);
  }

  setSpeed(speed: number): void {
    this.speed = speed;
    this.publishStatus(true);
  }

  /** Playback: move to tMs and show it at once (one tick reads the frame there, paused or not). */
  seek(tMs: number): void {
    this.engine.seek(tMs);
    this.debtMs = 0;
    this.afterTick(this.engine.tick());
    this.bus.emit('alerts:changed', this.engine.activeAlerts());
    this.pushedTicks = this.engine.ticks;
    this.bus.emit('fleet:snapshot', this.engine.snapshot());
    this.publishStatus(true);
  }

  /** Engine tick count of the last snapshot pushed. */
  private pushedTicks = -1;

  private schedule(): void {
    this.timer = this.clock.setTimeout(() => this.turn(), LOOP_MS);
  }

  /** One loop turn: run the ticks that are due, within the turn budget. */
  turn(): void {
    const now = this.clock.now();
    const elapsed = now - this.lastWall;
    this.lastWall = now;
    if (!this.paused && this.opts.realTime) this.tickRealTime();
    else if (!this.paused) {
      const step = this.engine.step;
      // Never carry more than one second of wall debt: a slow machine runs slower, it does not burst.
      this.debtMs = Math.min(this.debtMs + elapsed * this.speed, Math.max(step, this.speed * 1000));
      const budget = this.opts.turnBudgetMs ?? 40;
      const t0 = this.clock.now();
      // Back-pressure: the debt waits (bounded as above) while the writer is behind; nothing is dropped.
      if (this.debtMs >= step && this.storeLag() >= PACE_LAG_BATCHES) this.pacedAtWall = now;
      else {
        while (this.debtMs >= step && this.clock.now() - t0 < budget) {
          if (this.storeLag() >= STORE_QUEUE_BATCHES) {
            this.pacedAtWall = now;
            break;
          }
          this.debtMs -= step;
          this.afterTick(this.engine.tick());
          if (this.opts.recording?.atEnd(this.engine.nowMs)) {
            // Past the end of a recording: nothing more to play.
            this.debtMs = 0;
            this.paused = true;
            this.publishStatus(true);
            break;
          }
        }
      }
    }
    if (now - this.lastSnapshotWall >= (this.opts.snapshotEveryMs ?? 500)) {
      this.lastSnapshotWall = now;
      // Paused, nothing changes between ticks: push only what a tick (a seek, say) has not pushed yet. Re-sending an
      // unchanged 10,240-GPU snapshot twice a second costs every face a parse and a repaint for nothing.
      if (!this.paused || this.engine.ticks !== this.pushedTicks) {
        this.pushedTicks = this.engine.ticks;
        this.bus.emit('fleet:snapshot', this.engine.snapshot());
      }
    }
    this.publishStatus(false);
    if (this.running) this.schedule();
  }

  /**
   * A real fleet: the engine's clock is the wall clock. Tick whenever a step has passed; after a stall longer than two
   * steps, jump to now rather than replay the gap (there were no samples to replay, and telemetry must carry real
   * times for incident analysis).
   */
  private tickRealTime(): void {
    const e = this.engine;
    const now = (this.opts.epochNow ?? Date.now)();
    if (now - e.nowMs > 2 * e.step) e.nowMs = now - e.step;
    while (e.nowMs + e.step <= now) this.afterTick(e.tick());
  }

  private afterTick(r: TickResult): void {
    if (r.alertsChanged) this.bus.emit('alerts:changed', this.engine.activeAlerts());
    if (r.storeDrops) (this.opts.log ?? console.error)(dropLine(r.storeDrops));
  }

  /** Batches queued in the store writer (0 without a store). */
  private storeLag(): number {
    return this.opts.sink?.stats().lagBatches ?? 0;
  }

  private publishStatus(force: boolean): void {
    const now = this.clock.now();
    if (!force && now - this.lastStatusWall < 1000) return;
    this.lastStatusWall = now;
    this.bus.emit('status:changed', this.status());
  }

  status(): Status {
    const e = this.engine;
    const st = this.opts.sink?.stats();
    return {
      simTimeMs: e.nowMs,
      running: this.running,
      paused: this.paused,
      speed: this.speed,
      stepMs: e.step,
      scenario: this.opts.scenario,
      realTime: this.opts.realTime ?? false,
      ticks: e.ticks,
      lastTickMs: Math.round(e.lastTickMs * 1000) / 1000,
      store: st
        ? {
            enabled: true,
            lagBatches: st.lagBatches,
            writtenRows: st.writtenRows,
            errors: st.errors,
            dropped: st.dropped,
            paced: this.clock.now() - this.pacedAtWall < PACED_SHOWN_MS,
          }
        : { enabled: false, lagBatches: 0, writtenRows: 0, errors: 0, dropped: 0, paced: false },
      sources: e.sourceHealth(),
      ...(this.opts.recording ? { recording: { file: this.opts.recording.file, t0Ms: this.opts.recording.t0Ms, t1Ms: this.opts.recording.t1Ms } } : {}),
    };
  }
}
