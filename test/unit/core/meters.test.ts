import { describe, expect, it } from 'vitest';
import { SampleFlag } from '../../../shared/domain/fleet.js';
import { compareMeters, comparableModel, controlPower, createControlPower, createRackParts, DRIFT_CLAMP_PCT, MeterWindow, rackParts } from '../../../main/core/meters.js';
import { resolveTopology } from '../../../main/core/topology.js';

/** Two rows of two racks, one server of four GPUs each. */
const t = resolveTopology({
  site: { id: 'm', name: 'meters' },
  gpuModels: [],
  rows: ['A', 'B'].map((id) => ({ id, budgetKW: 20, coolingKW: 30, supplyC: 22, racks: 2, serversPerRack: 1, gpusPerServer: 4, gpuModel: 'H100-SXM', serverIdleW: 1000, serverActiveW: 0 })),
});

/** A window of `n` 1 s samples ending at `n * 1000` ms, one entity; `at(k)` gives [metered, modelled] in W. */
function window1(n: number, at: (k: number) => [number, number], capacity = n): MeterWindow {
  const w = new MeterWindow(1, capacity);
  for (let k = 1; k <= n; k++) {
    const [m, model] = at(k);
    w.push(k * 1000, [m], [model]);
  }
  return w;
}

describe('meter drift', () => {
  it('is (metered − modelled) / metered over the window: positive when the meter reads more, negative when less', () => {
    const more = compareMeters(window1(60, () => [34_000, 30_000]), 60_000, 60_000, 10);
    expect(more.driftPct[0]).toBeCloseTo(((34 - 30) / 34) * 100, 9);
    expect(more.above).toEqual([0]);
    expect(more.meteredW[0]).toBe(34_000);
    expect(more.modelledW[0]).toBe(30_000);
    expect(more.samples[0]).toBe(60);
    const less = compareMeters(window1(60, () => [26_000, 30_000]), 60_000, 60_000, 10);
    expect(less.driftPct[0]).toBeCloseTo(((26 - 30) / 26) * 100, 9);
    expect(less.above).toEqual([0]);
    expect(compareMeters(window1(60, () => [33_000, 30_000]), 60_000, 60_000, 10).above).toEqual([]);
  });

  it('smooths over the window: one late scrape (the meter a step behind the model) does not cross the threshold; alone it would', () => {
    // A load step at 60 s: the model follows at once, the meter's newest scrape still shows the old load.
    const w = window1(60, (k) => (k < 60 ? [30_000, 30_000] : [30_000, 45_000]));
    const smoothed = compareMeters(w, 60_000, 60_000, 10);
    expect(smoothed.driftPct[0]).toBeCloseTo(((1800 - 1815) / 1800) * 100, 9);
    expect(smoothed.above).toEqual([]);
    // Over a 1 s window the same sample is a −50 % drift.
    const instant = compareMeters(w, 60_000, 1_000, 10);
    expect(instant.samples[0]).toBe(1);
    expect(instant.driftPct[0]).toBe(-50);
    expect(instant.above).toEqual([0]);
  });

  it('forgets samples older than the window, and the ring keeps only its capacity', () => {
    // 60 s of +30 % drift, then 60 s in agreement: the last minute is clean.
    const w = window1(120, (k) => (k <= 60 ? [39_000, 30_000] : [30_000, 30_000]), 61);
    expect(compareMeters(w, 120_000, 60_000, 10).driftPct[0]).toBe(0);
    expect(compareMeters(w, 120_000, 60_000, 10).samples[0]).toBe(60);
    // Asking for a longer window than the ring holds sees what it holds.
    expect(compareMeters(w, 120_000, 600_000, 10).samples[0]).toBe(61);
  });

  it('a stale meter (no fresh reading now) is not judged; stale samples inside the window are left out of the mean', () => {
    const staleNow = window1(60, (k) => (k === 60 ? [NaN, 30_000] : [40_000, 30_000]));
    const d = compareMeters(staleNow, 60_000, 60_000, 10);
    expect(d.driftPct[0]).toBeNaN();
    expect(d.above).toEqual([]);
    // Fresh now, with a gap: only the 50 fresh samples count (a NaN must not poison the sums).
    const gap = window1(60, (k) => (k > 5 && k <= 15 ? [NaN, 30_000] : [40_000, 30_000]));
    const g = compareMeters(gap, 60_000, 60_000, 10);
    expect(g.samples[0]).toBe(50);
    expect(g.driftPct[0]).toBe(25);
    // A worst-case model (NaN modelled) is no comparison either.
    expect(compareMeters(window1(3, (k) => [40_000, k === 3 ? NaN : 30_000]), 3000, 60_000, 10).driftPct[0]).toBeNaN();
  });

  it('threshold edge: exactly the threshold does not count, just above does', () => {
    const at = compareMeters(window1(10, () => [100_000, 90_000]), 10_000, 60_000, 10);
    expect(at.driftPct[0]).toBe(10);
    expect(at.above).toEqual([]);
    const over = compareMeters(window1(10, () => [100_000, 89_990]), 10_000, 60_000, 10);
    expect(over.driftPct[0]).toBeGreaterThan(10);
    expect(over.above).toEqual([0]);
    const under = compareMeters(window1(10, () => [100_000, 110_000]), 10_000, 60_000, 10);
    expect(under.driftPct[0]).toBe(-10);
    expect(under.above).toEqual([]);
  });

  it('a meter reading 0 under a loaded rack is a clamped drift, not −Infinity', () => {
    const d = compareMeters(window1(5, () => [0, 30_000]), 5000, 60_000, 10);
    expect(d.driftPct[0]).toBe(-DRIFT_CLAMP_PCT);
    expect(d.above).toEqual([0]);
    expect(compareMeters(window1(5, () => [0, 0]), 5000, 60_000, 10).driftPct[0]).toBe(0);
  });
});

describe('the power control sees', () => {
  const gpus = (w: number, flags = 0) => ({ powerW: new Float64Array(t.gpuCount).fill(w), flags: new Uint32Array(t.gpuCount).fill(flags) });
  /** Model per rack: 4 GPUs at 500 W + 1 kW of server = 3 kW; per row 6 kW. */
  const model = { rackW: Float64Array.from([3000, 3000, 3000, 3000]), rowW: Float64Array.from([6000, 6000]) };

  function see(rackKW: number[], rowKW: number[], g = gpus(500)) {
    const parts = createRackParts(t);
    rackParts(t, g, parts);
    const out = createControlPower(t);
    controlPower(t, model, parts, { rack: rackKW, row: rowKW }, out);
    return { out, parts };
  }

  it('is the model without meters, the meter where fresh, per rack and summed per row', () => {
    expect(Array.from(see([NaN, NaN, NaN, NaN], [NaN, NaN]).out.rowW)).toEqual([6000, 6000]);
    const { out } = see([3.6, NaN, 2.5, NaN], [NaN, NaN]);
    expect(Array.from(out.rackW)).toEqual([3600, 3000, 2500, 3000]);
    expect(Array.from(out.rowW)).toEqual([6600, 5500]);
    expect(out.meteredRacks).toBe(2);
  });

  it('never below what the GPUs report themselves, nor below the model where a GPU counts at its worst case', () => {
    // The GPUs alone draw 2 kW per rack: a PDU reading 0.5 kW counts as 2 kW.
    expect(see([0.5, NaN, NaN, NaN], [NaN, NaN]).out.rackW[0]).toBe(2000);
    const stale = gpus(500);
    stale.flags[0] = SampleFlag.stale;
    const { out, parts } = see([2.5, NaN, NaN, NaN], [NaN, NaN], stale);
    expect(parts.worst[0]).toBe(1);
    expect(out.rackW[0]).toBe(3000);
    const comparable = { rackW: new Float64Array(4), rowW: new Float64Array(2) };
    comparableModel(t, model, parts, comparable);
    expect(Array.from(comparable.rackW)).toEqual([NaN, 3000, 3000, 3000]);
    expect(Array.from(comparable.rowW)).toEqual([NaN, 6000]);
  });

  it("a row's branch circuits decide the row where fresh (never below its racks' floors)", () => {
    const { out } = see([3.6, NaN, NaN, NaN], [7.2, NaN]);
    expect(Array.from(out.rowW)).toEqual([7200, 6000]);
    expect(out.meteredRows).toBe(1);
    expect(see([NaN, NaN, NaN, NaN], [1, NaN]).out.rowW[0]).toBe(4000);
  });
});
