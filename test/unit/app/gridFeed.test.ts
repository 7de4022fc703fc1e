import { describe, expect, it } from 'vitest';
import { GRID_KEEP_S, GridFeed } from '../../../main/app/gridFeed.js';
import type { Engine } from '../../../main/engine/engine.js';

/** What the feed reads of the engine (its site power) and writes (the limits crossed, for the gridLimit alert). */
const engineStub = (siteW = 1e6) => ({ agg: { siteW }, gridCrossed: [] as readonly string[] }) as unknown as Engine & { agg: { siteW: number } };
const T0 = Date.parse('2026-01-01T00:00:00Z');

function run(feed: GridFeed, engine: Engine, seconds: number, from = 0): void {
  for (let s = from; s <= from + seconds; s++) feed.onTick(engine, T0 + s * 1000);
}

describe('the grid feed', () => {
  it('a simulated meter keeps pace with the engine clock at 100 Hz; unmitigated, it crosses every limit and says so', () => {
    const feed = new GridFeed({ meter: { mitigation: 'none' }, analyseEveryMs: 0 });
    const engine = engineStub();
    run(feed, engine, 150);
    const w = feed.window({ seconds: 30 });
    expect(w.source).toMatchObject({ kind: 'sim-meter', rateHz: 100 });
    expect(w.fs).toBe(100);
    expect(w.siteMW).toHaveLength(3000);
    expect(w.tEndMs).toBe(T0 + 150_000);
    expect(w.rampMWps.slice(0, 100).every((x) => x === null)).toBe(true);
    expect(w.rampMWps[100]).toBeTypeOf('number');
    expect(w.analysisS).toBe(120);
    expect(w.figures.within).toEqual({ ramp: false, dynamicRange: false, band: false });
    expect(w.crossed).toHaveLength(3);
    expect(engine.gridCrossed).toEqual(w.crossed);
    expect(w.spectrum.hz.length).toBeGreaterThan(100);
    expect(w.spectrum.hz.every((f, i) => i === 0 || f > w.spectrum.hz[i - 1]!)).toBe(true);
    expect(w.contributors.map((c) => c.id)[0]).toBe('pretrain-a');
    expect(w.contributors.reduce((s, c) => s + c.sharePct, 0)).toBeCloseTo(100, 0);
    expect(w.mitigation).toBe('none');
  });

  it('with every remedy, past the start ramps, the analysis is within every limit and the alert clears', () => {
    const feed = new GridFeed({ meter: { mitigation: 'all' }, analyseEveryMs: 0 });
    const engine = engineStub();
    run(feed, engine, 400);
    const w = feed.window({ seconds: 60 });
    expect(w.figures.within).toEqual({ ramp: true, dynamicRange: true, band: true });
    expect(w.crossed).toEqual([]);
    expect(engine.gridCrossed).toEqual([]);
  });

  it('far behind the engine (a jump in time), it keeps only the last kept window, not an unbounded catch-up', () => {
    const feed = new GridFeed({ meter: { mitigation: 'none' }, analyseEveryMs: 0 });
    const engine = engineStub();
    feed.onTick(engine, T0);
    feed.onTick(engine, T0 + 3_600_000);
    expect(feed.window({ seconds: 600 }).siteMW).toHaveLength(GRID_KEEP_S * 100);
    expect(feed.window({ seconds: 600 }).tEndMs).toBe(T0 + 3_600_000);
  });

  it("without a meter: the engine's site power at 1 Hz, labelled with what it cannot show", () => {
    const feed = new GridFeed({ meter: null, analyseEveryMs: 0 });
    const engine = engineStub(1.2e6);
    run(feed, engine, 59);
    const w = feed.window({ seconds: 600 });
    expect(w.source.kind).toBe('engine');
    expect(w.source.resolves).toMatch(/below 0\.5 Hz only/);
    expect(w.fs).toBe(1);
    expect(w.siteMW).toHaveLength(60);
    expect(w.siteMW[0]).toBeCloseTo(1.2, 6);
    expect(w.contributors).toEqual([]);
    expect(w.mitigation).toBeNull();
  });
});
