import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../main/engine/bus.js';
import { Engine } from '../../../main/engine/engine.js';
import { PACE_LAG_BATCHES, Runner, STORE_QUEUE_BATCHES, type WallClock } from '../../../main/engine/runner.js';
import type { Source } from '../../../main/core/source.js';
import type { TelemetrySink } from '../../../main/core/ports.js';
import { MAX_LAG_BATCHES } from '../../../main/store/writer.js';
import { defaultTopology } from '../../helpers.js';

function setup(speed: number) {
  const t = defaultTopology();
  const n = t.gpuCount;
  const source = fullSource(n, 'sim');
  const engine = new Engine({ topology: t, source, stepMs: 1000, startMs: 0 });
  let now = 0;
  const clock: WallClock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} };
  const bus = new EventBus();
  const snapshots: number[] = [];
  bus.on('fleet:snapshot', (s) => snapshots.push(s.tMs));
  const runner = new Runner(engine, bus, { speed, clock, scenario: 'test', turnBudgetMs: 1e9 });
  runner.start();
  const advance = (ms: number) => {
    now += ms;
    runner.turn();
  };
  return { engine, runner, advance, snapshots };
}

describe('runner (real-time driver)', () => {
  it('advances simulated time at `speed` × wall time', () => {
    const { engine, advance } = setup(10);
    advance(1000);
    expect(engine.ticks).toBe(10);
    advance(500);
    expect(engine.ticks).toBe(15);
  });

  it('pause stops time; resume does not replay the paused interval', () => {
    const { engine, runner, advance } = setup(1);
    advance(3000);
    const before = engine.ticks;
    runner.pause();
    advance(10_000);
    expect(engine.ticks).toBe(before);
    runner.resume();
    advance(1000);
    expect(engine.ticks).toBe(before + 1);
  });

  it('a stalled process does not burst: at most one second of wall debt is carried', () => {
    const { engine, advance } = setup(1);
    advance(60_000);
    expect(engine.ticks).toBeLessThanOrEqual(1);
  });

  it('changing speed takes effect at the next turn and snapshots are throttled', () => {
    const { engine, runner, advance, snapshots } = setup(1);
    runner.setSpeed(60);
    advance(1000);
    expect(engine.ticks).toBe(60);
    advance(100);
    advance(100);
    // One snapshot per 500 ms of wall time at most.
    expect(snapshots.length).toBe(1);
    expect(runner.status()).toMatchObject({ speed: 60, paused: false, ticks: engine.ticks });
  });

  it('paused, it pushes the last instant once and then nothing until a tick changes it', () => {
    const { runner, advance, snapshots } = setup(1);
    advance(2000);
    runner.pause();
    advance(600);
    const n = snapshots.length;
    for (let i = 0; i < 10; i++) advance(600);
    expect(snapshots.length).toBe(n);
    runner.resume();
    advance(1000);
    expect(snapshots.length).toBe(n + 1);
  });
});

describe('runner on a real fleet (wall-clock time)', () => {
  it('keeps the engine on the wall clock: one tick per second, and after a stall it jumps to now instead of replaying', () => {
    const t = defaultTopology();
    const source: Source = { id: 'fleet', kind: 'agent', poll: () => null };
    let epoch = 1_800_000_000_000;
    const engine = new Engine({ topology: t, source, stepMs: 1000, startMs: epoch });
    const clock: WallClock = { now: () => 0, setTimeout: () => 0, clearTimeout: () => {} };
    const runner = new Runner(engine, new EventBus(), { clock, scenario: 'lab', realTime: true, epochNow: () => epoch });
    runner.start();
    for (let i = 0; i < 7; i++) {
      epoch += 500;
      runner.turn();
    }
    expect([engine.ticks, engine.nowMs]).toEqual([3, 1_800_000_003_000]);
    // A 60 s stall (a suspended laptop, a long GC): one tick at "now", not 60 ticks of nothing.
    epoch += 60_000;
    runner.turn();
    expect(engine.ticks).toBe(4);
    expect(epoch - engine.nowMs).toBeLessThan(1000);
    expect(runner.status()).toMatchObject({ realTime: true, speed: 1 });
  });
});

/**
 * A store writer on a slow disk: like StoreWriter it queues batches and drops beyond MAX_LAG_BATCHES; its "worker"
 * finishes only the batches the test drains.
 */
class SlowSink implements TelemetrySink {
  pending = 0;
  dropped = 0;
  written = 0;
  maxPending = 0;
  write(): void {
    if (this.pending >= MAX_LAG_BATCHES) {
      this.dropped++;
      return;
    }
    this.pending++;
    this.maxPending = Math.max(this.maxPending, this.pending);
  }
  drain(batches: number): void {
    const k = Math.min(batches, this.pending);
    this.pending -= k;
    this.written += k;
  }
  stats() {
    return { lagBatches: this.pending, writtenRows: this.written, errors: 0, dropped: this.dropped, lastError: null };
  }
  async close() {}
}

/** A source that delivers every GPU every tick, with fixed readings. */
function fullSource(n: number, kind: Source['kind'] = 'agent'): Source {
  return {
    id: 'fake',
    kind,
    poll: (tMs) => ({
      tMs,
      powerW: new Float64Array(n).fill(300),
      tempC: new Float64Array(n).fill(50),
      clockMHz: new Float64Array(n).fill(1900),
      limitW: new Float64Array(n).fill(700),
      util: new Float64Array(n).fill(0.5),
      flags: new Uint32Array(n),
    }),
  };
}

describe('runner and a slow store', () => {
  it('the runner knows the store writer\'s queue limit, and paces at half of it', () => {
    expect(STORE_QUEUE_BATCHES).toBe(MAX_LAG_BATCHES);
    expect(PACE_LAG_BATCHES).toBe(MAX_LAG_BATCHES / 2);
  });

  it('the simulator waits for the store instead of dropping ticks: slower, nothing lost, and it says so', () => {
    const t = defaultTopology();
    const sink = new SlowSink();
    const engine = new Engine({ topology: t, source: fullSource(t.gpuCount), stepMs: 1000, startMs: 0, sink });
    let now = 0;
    const clock: WallClock = { now: () => now, setTimeout: () => 0, clearTimeout: () => {} };
    const runner = new Runner(engine, new EventBus(), { speed: 600, clock, scenario: 'test', sink, turnBudgetMs: 1e9 });
    runner.start();
    // 5 s of wall time at ×600 wants 3,000 ticks; the disk finishes 2 batches per 50 ms turn.
    let steppingTurns = 0;
    for (let i = 0; i < 100; i++) {
      now += 50;
      const ticks = engine.ticks;
      runner.turn();
      if (engine.ticks > ticks) steppingTurns++;
      sink.drain(2);
    }
    expect(sink.dropped).toBe(0);
    expect(sink.maxPending).toBeLessThanOrEqual(MAX_LAG_BATCHES);
    // What the disk took, plus at most a queue's worth: far fewer steps than asked for.
    expect(engine.ticks).toBeLessThanOrEqual(MAX_LAG_BATCHES + 2 * 100);
    expect(engine.ticks).toBeGreaterThan(150);
    // Once behind, a turn waits until the writer is down to half its queue: a few turns of many ticks, not a tick or
    // two every turn at the edge of dropping.
    expect(steppingTurns).toBeLessThanOrEqual(15);
    expect(sink.written + sink.pending).toBe(engine.ticks);
    expect(runner.status().store).toMatchObject({ enabled: true, paced: true, dropped: 0, errors: 0 });
    expect(engine.activeAlerts().filter((a) => a.rule === 'storeDropped')).toEqual([]);
    // The disk catches up: full speed again, and the status stops saying "paced" soon after.
    const before = engine.ticks;
    for (let i = 0; i < 60; i++) {
      now += 50;
      runner.turn();
      sink.drain(1000);
    }
    expect(engine.ticks - before).toBeGreaterThan(60 * 20);
    expect(runner.status().store.paced).toBe(false);
  });

  it('a real fleet cannot wait: ticks beyond the limit are dropped and counted, logged once per burst, and alerted', () => {
    const t = defaultTopology();
    const sink = new SlowSink();
    let epoch = 1_800_000_000_000;
    const engine = new Engine({ topology: t, source: fullSource(t.gpuCount), stepMs: 1000, startMs: epoch, sink });
    const clock: WallClock = { now: () => epoch, setTimeout: () => 0, clearTimeout: () => {} };
    const lines: string[] = [];
    const runner = new Runner(engine, new EventBus(), { clock, scenario: 'lab', sink, realTime: true, epochNow: () => epoch, log: (l) => lines.push(l) });
    runner.start();
    const seconds = (n: number, drain: number) => {
      for (let i = 0; i < n; i++) {
        sink.drain(drain);
        epoch += 1000;
        runner.turn();
      }
    };
    seconds(100, 0); // the disk stalls for 100 s: 64 queued, 36 dropped
    expect(engine.ticks).toBe(100);
    expect(sink.dropped).toBe(36);
    expect(runner.status().store).toMatchObject({ lagBatches: 64, dropped: 36, errors: 0, paced: false });
    const alert = engine.activeAlerts().find((a) => a.rule === 'storeDropped');
    expect(alert).toMatchObject({ state: 'firing', severity: 'warning', subject: { kind: 'store', id: 'telemetry' }, value: 36 });
    expect(alert!.summary).toMatch(/36 ticks not stored/);
    expect(lines).toEqual([]); // the burst goes on: its line comes when it ends (or after a minute of it)
    seconds(30, 1000); // the disk recovers
    expect(sink.dropped).toBe(36);
    expect(lines).toEqual([expect.stringMatching(/^store: 36 telemetry ticks dropped from .* the store writer fell behind/)]);
    // The alert outlives the burst by its keep-firing time, then resolves.
    expect(engine.activeAlerts().some((a) => a.rule === 'storeDropped')).toBe(true);
    seconds(60, 1000);
    expect(engine.activeAlerts().some((a) => a.rule === 'storeDropped')).toBe(false);
    expect(engine.alerts.resolved.some((a) => a.rule === 'storeDropped' && a.value === 36)).toBe(true);
    expect(lines).toHaveLength(1);
  });
});
