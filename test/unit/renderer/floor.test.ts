import { describe, expect, it } from 'vitest';
import { cellGeometry, countAtOrAbove, floorWrap, rackAriaLabel, rackDetail, rackTooltipLines, rackValues, rowSummaries } from '../../../renderer/charts/floor.js';
import { makeSnapshot, makeTopology } from './fixtures.js';
import { BUILTIN_MODELS } from '../../../main/core/models.js';

describe('floor heatmap data', () => {
  const t = makeTopology([3, 2]);
  const s = makeSnapshot(t, { rackW: 30_000 });

  it('computes % of each rack budget from rack power', () => {
    const v = rackValues(t, s, 'budgetPct');
    expect(v.length).toBe(5);
    expect(v[0]).toBeCloseTo(75);
    s.rack.powerW[4] = 36_000;
    expect(rackValues(t, s, 'budgetPct')[4]).toBeCloseTo(90);
    expect(countAtOrAbove(rackValues(t, s, 'budgetPct'), 80)).toBe(1);
  });

  it("thermal pressure: TAPAS's slack of the rack's air and hottest GPU, 0 % when clear, 100 % at 35 °C inlet or 5 °C from slowdown", () => {
    const t = { ...makeTopology([3, 2]), models: [BUILTIN_MODELS[0]!] };
    const slowdown = t.models[0]!.slowdownC;
    const x = makeSnapshot(t, { rackW: 30_000 });
    x.rack.inletC[0] = 24;
    x.rack.maxTempC[0] = 60;
    x.rack.inletC[1] = 31;
    x.rack.maxTempC[1] = 60;
    x.rack.inletC[2] = 24;
    x.rack.maxTempC[2] = slowdown - 5;
    x.rack.maxTempC[3] = NaN;
    const v = rackValues(t, x, 'thermalPct');
    expect(v[0]).toBe(0);
    expect(v[1]).toBeCloseTo(50, 9);
    expect(v[2]).toBeCloseTo(100, 9);
    // No GPU reading yet: nothing to show, not a full pressure.
    expect(Number.isNaN(v[3]!)).toBe(true);
  });

  it('reuses the output buffer', () => {
    const out = new Float64Array(5);
    expect(rackValues(t, s, 'inletC', out)).toBe(out);
    expect(out[2]).toBe(24);
  });

  it('tooltip names the rack with kW, % budget, inlet and hottest GPU', () => {
    const lines = rackTooltipLines(rackDetail(t, s, 1));
    expect(lines.map((l) => l[0])).toEqual(['Rack', 'Power', 'Budget', 'Inlet', 'Hottest GPU']);
    expect(lines[0]![1]).toBe('A2 (row A)');
    expect(lines[1]![1]).toBe('30.0 kW of 40.0 kW');
    expect(lines[2]![1]).toBe('75.0 %');
    expect(lines[3]![1]).toBe('24.0 °C');
    expect(rackAriaLabel(rackDetail(t, s, 1))).toContain('Rack A2');
  });

  it('summarises rows against their budgets and survives a missing snapshot', () => {
    expect(rowSummaries(t, s)[0]!.pct).toBeCloseTo(75);
    expect(Number.isNaN(rowSummaries(t, null)[0]!.pct)).toBe(true);
  });

  it('lays cells out like a CSS grid of equal columns', () => {
    const g = cellGeometry(103, 10, 3);
    expect(g.cellW).toBeCloseTo(7.6);
    expect(g.x(9) + g.cellW).toBeCloseTo(103);
  });
});

describe('floor wrapping', () => {
  it('keeps one line per row while cells stay readable', () => {
    expect(floorWrap(10, 4, 930, 740).wrap).toBe(1);
    expect(floorWrap(10, 4, 930, 740).cellH).toBe(120);
  });
  it('wraps long rows (80 racks) so values fit, without squashing cells', () => {
    const r = floorWrap(80, 4, 930, 740);
    expect(r.wrap).toBeGreaterThan(1);
    const perBand = Math.ceil(80 / r.wrap);
    expect((930 - 3 * (perBand - 1)) / perBand).toBeGreaterThanOrEqual(30);
    expect(r.cellH).toBeGreaterThanOrEqual(30);
  });
});
