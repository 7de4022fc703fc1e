import { describe, expect, it } from 'vitest';
import { EventBus } from '../../../main/engine/bus.js';
import { Engine } from '../../../main/engine/engine.js';
import { Runner, type WallClock } from '../../../main/engine/runner.js';
import type { Source } from '../../../main/core/source.js';
import { defaultTopology } from '../../helpers.js';

function setup(speed: number) {
  const t = defaultTopology();
  const n = t.gpuCount;
  const source: Source = {
    id: 'fake',
    kind: 'sim',
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
