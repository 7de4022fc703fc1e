import { describe, expect, it } from 'vitest';
import { buildRackProfileOption, powerSpan } from '../../../renderer/charts/rackProfile.js';
import { rackSummary } from '../../../main/app/profiles.js';
import type { RackProfileView } from '../../../shared/domain/placement.js';

const profile = (over: Partial<RackProfileView['profile']> = {}): RackProfileView['profile'] => ({
  rack: 'A01',
  row: 'A',
  inlet: { a: 24, b: 0.05, bStdErr: 0.004, sigma: 0.12, n: 600, from: 'rack' },
  hotterThanRowC: 1.23,
  power: { p50KW: 30, p95KW: 36, p99KW: 38, maxKW: 39 },
  ...over,
});

function view(over: Partial<RackProfileView> = {}): RackProfileView {
  return {
    rack: 'A01',
    row: 'A',
    window: { fromMs: 0, toMs: 600_000, ticks: 600, strideS: 1 },
    profile: profile(),
    rowAisle: { a: 22, b: 0.01, bStdErr: 0.001, sigma: 0.1, n: 600 },
    rowPooled: { a: 23, b: 0.05 },
    points: [
      [20, 25],
      [30, 25.5],
      [40, 26],
    ],
    servers: [],
    summary: '',
    fitMs: 3,
    ...over,
  };
}

describe("the rack view's profile", () => {
  it('says in words how the rack runs against its row, with the slope and its source', () => {
    expect(rackSummary(profile())).toBe('rack A01 runs 1.2 °C hotter than its row at the same power (inlet +0.50 °C per 10 kW, σ 0.12 °C)');
    expect(rackSummary(profile({ hotterThanRowC: -0.6 }))).toMatch(/^rack A01 runs 0\.6 °C cooler than its row/);
    expect(rackSummary(profile({ inlet: { a: 24, b: -0.012, bStdErr: 0.004, sigma: 0.12, n: 600, from: 'rack' } }))).toMatch(/\(inlet −0\.12 °C per 10 kW, σ 0\.12 °C\)$/);
    expect(rackSummary(profile({ hotterThanRowC: 0.2 }))).toMatch(/^rack A01 runs as warm as its row/);
    expect(rackSummary(profile({ inlet: { a: 24, b: 0.05, bStdErr: 0.004, sigma: 0.12, n: 600, from: 'row' } }))).toMatch(/its power never varied: the row's slope/);
    expect(rackSummary(profile({ inlet: null }))).toMatch(/^not enough history/);
  });

  it("draws the history as dots, the rack's fit and its row's pooled line across the power seen", () => {
    expect(powerSpan([[20, 0], [40, 0]])).toEqual([19, 41]);
    expect(powerSpan([[5, 0]])).toEqual([4, 6]);
    expect(powerSpan([])).toEqual([0, 1]);
    const o = buildRackProfileOption(view()) as { series: Array<{ type: string; name: string; data: Array<[number, number]> }> };
    expect(o.series.map((s) => s.type)).toEqual(['scatter', 'line', 'line']);
    expect(o.series[0]!.data).toHaveLength(3);
    // The fit at the span's ends: 24 + 0.05 · 19 and 24 + 0.05 · 41; the row: 23 + 0.05 · x — the gap is the offset.
    expect(o.series[1]!.data[0]![1]).toBeCloseTo(24.95, 6);
    expect(o.series[1]!.data[1]![1]).toBeCloseTo(26.05, 6);
    expect(o.series[2]!.data[0]![1]).toBeCloseTo(23.95, 6);
    expect(o.series[2]!.name).toBe('row A racks');
    const bare = buildRackProfileOption(view({ profile: profile({ inlet: null }), rowPooled: null })) as { series: unknown[] };
    expect(bare.series).toHaveLength(1);
  });
});
