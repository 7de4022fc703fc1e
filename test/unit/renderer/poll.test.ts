import { describe, expect, it } from 'vitest';
import { createPoller, type PollTimers } from '../../../renderer/composables/poll.js';

/** Timers driven by hand: `tick()` fires the interval once. */
function fakeTimers() {
  let fn: (() => void) | null = null;
  const timers: PollTimers = {
    setInterval: (f) => ((fn = f), 1),
    clearInterval: () => (fn = null),
  };
  return { timers, tick: () => fn?.(), get running() { return fn !== null; } };
}

/** A task whose runs finish when the test says so. */
function gatedTask() {
  const pending: Array<() => void> = [];
  let runs = 0;
  const task = () => {
    runs++;
    return new Promise<void>((resolve) => pending.push(resolve));
  };
  return { task, finish: () => pending.shift()?.(), get runs() { return runs; } };
}
const settle = () => new Promise((r) => setTimeout(r, 0));

describe('poller', () => {
  it('runs at once for the first subscriber, then on each tick, and stops with the last one', async () => {
    const t = fakeTimers();
    let runs = 0;
    const p = createPoller(() => void runs++, 2000, t.timers);
    expect(p.active).toBe(false);
    const a = p.subscribe();
    const b = p.subscribe();
    await settle();
    expect(runs).toBe(1);
    t.tick();
    await settle();
    expect(runs).toBe(2);
    a();
    a();
    expect(p.active).toBe(true);
    b();
    expect(p.active).toBe(false);
    expect(t.running).toBe(false);
  });

  it('never overlaps runs: a tick during a run is skipped, a refresh runs once right after it', async () => {
    const t = fakeTimers();
    const g = gatedTask();
    const p = createPoller(g.task, 2000, t.timers);
    const off = p.subscribe();
    expect(g.runs).toBe(1);
    t.tick();
    const r1 = p.refresh();
    const r2 = p.refresh();
    expect(g.runs).toBe(1);
    g.finish();
    await settle();
    expect(g.runs).toBe(2);
    g.finish();
    await Promise.all([r1, r2]);
    expect(g.runs).toBe(2);
    off();
  });

  it('keeps polling after a task throws', async () => {
    const t = fakeTimers();
    let runs = 0;
    const warn = console.warn;
    console.warn = () => {};
    try {
      const p = createPoller(() => {
        runs++;
        throw new Error('boom');
      }, 2000, t.timers);
      const off = p.subscribe();
      await settle();
      t.tick();
      await settle();
      expect(runs).toBe(2);
      off();
    } finally {
      console.warn = warn;
    }
  });
});
