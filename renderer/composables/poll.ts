/**
 * The renderer's one way to refresh something periodically. A poller belongs to whoever owns the state (a store);
 * views subscribe to it while they are mounted (`usePoller`). It runs its task at once when the first subscriber comes,
 * then every `intervalMs`, and stops when the last one leaves. Runs never overlap: a tick that finds the task still
 * running is skipped, and `refresh()` during a run asks for one more run right after it.
 */
import { onBeforeUnmount, onMounted } from 'vue';

/** A periodic task shared by its subscribers. */
export interface Poller {
  /** Starts the polling for one more subscriber; the returned function ends that subscription (once). */
  subscribe(): () => void;
  /** Runs the task now (or right after the run in progress); resolves when that run is over. */
  refresh(): Promise<void>;
  /** Whether anyone is subscribed (the timer runs). */
  readonly active: boolean;
}

/** The timer functions a poller uses (tests pass fakes). */
export interface PollTimers {
  setInterval(fn: () => void, ms: number): unknown;
  clearInterval(handle: unknown): void;
}

const browserTimers: PollTimers = {
  setInterval: (fn, ms) => setInterval(fn, ms),
  clearInterval: (h) => clearInterval(h as ReturnType<typeof setInterval>),
};

/** Polls `task` every `intervalMs` while subscribed (see above); `timers` for tests. */
export function createPoller(task: () => Promise<unknown> | unknown, intervalMs: number, timers: PollTimers = browserTimers): Poller {
  let subscribers = 0;
  let handle: unknown = null;
  let running: Promise<void> | null = null;
  let again: Promise<void> | null = null;

  function run(): Promise<void> {
    let result: Promise<unknown>;
    try {
      // Called at once, not on the next microtask: the first subscriber's request leaves with its mount.
      result = Promise.resolve(task());
    } catch (e) {
      result = Promise.reject(e);
    }
    const done: Promise<void> = result
      // A task reports its own failures as state; a throw must not stop the polling.
      .then(() => undefined, (e: unknown) => console.warn('poll failed', e))
      .finally(() => {
        if (running === done) running = null;
      });
    running = done;
    return done;
  }

  function refresh(): Promise<void> {
    if (!running) return run();
    // One follow-up run however many refreshes arrive meanwhile.
    again ??= running.then(() => {
      again = null;
      return refresh();
    });
    return again;
  }

  function subscribe(): () => void {
    subscribers++;
    if (subscribers === 1) {
      handle = timers.setInterval(() => {
        if (!running) void run();
      }, intervalMs);
      void refresh();
    }
    let done = false;
    return () => {
      if (done) return;
      done = true;
      subscribers--;
      if (subscribers === 0) {
        timers.clearInterval(handle);
        handle = null;
      }
    };
  }

  return {
    subscribe,
    refresh,
    get active() {
      return subscribers > 0;
    },
  };
}

/** Keeps a poller (or a store exposing its `subscribe`) running while the calling component is mounted. */
export function usePoller(poller: Pick<Poller, 'subscribe'>): void {
  let off: (() => void) | null = null;
  onMounted(() => (off = poller.subscribe()));
  onBeforeUnmount(() => off?.());
}
