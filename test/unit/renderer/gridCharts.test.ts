import { describe, expect, it } from 'vitest';
import { buildGridTimeOption, buildSpectrumOption, gridTimeUpdate, spectrumUpdate, timePairs } from '../../../renderer/charts/grid.js';
import { EXAMPLE_UTILITY, type GridWindow } from '../../../shared/domain/grid.js';

const w = (over: Partial<GridWindow> = {}): GridWindow => ({
  source: { kind: 'sim-meter', rateHz: 100, label: 'meter', resolves: 'all' },
  requirement: EXAMPLE_UTILITY,
  mitigation: 'none',
  tEndMs: 0,
  fs: 100,
  siteMW: [1, 1.1, 1.2],
  rampMWps: [null, null, 0.2],
  analysisS: 120,
  figures: { rampMaxMWps: 0.2, dynamicRangeMW: 0.2, bandEnergyPct: 90, bandRmsMW: 0.1, swingAmplitudeMW: 0.2, peakMW: 1.2, meanMW: 1.1, within: { ramp: false, dynamicRange: false, band: false } },
  spectrum: { hz: [0.1, 1, 10], psd: [1e-3, 1e-2, 0] },
  contributors: [],
  crossed: [],
  ...over,
});

describe('the grid view charts', () => {
  it('time runs in seconds before the newest sample; the ramp panel carries its limit', () => {
    expect(timePairs([1, 2, 3], 100)).toEqual([[-0.02, 1], [-0.01, 2], [0, 3]]);
    const o = buildGridTimeOption(w()) as { series: Array<{ id: string; data: unknown[]; markLine?: { data: Array<{ yAxis: number }> } }> };
    expect(o.series.map((s) => s.id)).toEqual(['site', 'ramp']);
    expect(o.series[1]!.markLine!.data[0]!.yAxis).toBe(0.15);
    expect((gridTimeUpdate(w()) as { series: Array<{ data: unknown[] }> }).series[1]!.data).toEqual([[-0.02, null], [-0.01, null], [0, 0.2]]);
  });

  it('the spectrum shades the critical band, never plots a zero on its log axis, and its title follows the analysis window', () => {
    const o = buildSpectrumOption(w()) as { series: Array<{ data: Array<[number, number]>; markArea: { data: Array<Array<{ xAxis: number; name?: string }>> } }> };
    expect(o.series[0]!.data[2]![1]).toBeGreaterThan(0);
    const band = o.series[0]!.markArea.data[0]!;
    expect([band[0]!.xAxis, band[1]!.xAxis]).toEqual([0.1, 20]);
    expect(band[0]!.name).toMatch(/critical band 0\.1–20 Hz \(≤ 20 %\)/);
    // At 1 Hz (a 1 Hz source), the band is cut at its Nyquist frequency, and bands above it are not drawn.
    const slow = buildSpectrumOption(w({ fs: 1 })) as { series: Array<{ markArea: { data: Array<Array<{ xAxis: number }>> } }> };
    expect(slow.series[0]!.markArea.data[0]![1]!.xAxis).toBe(0.5);
    expect(slow.series[0]!.markArea.data).toHaveLength(2);
    expect((spectrumUpdate(w({ analysisS: 37 })) as { title: { text: string } }).title.text).toMatch(/last 37 s/);
  });
});

describe('thinning the time chart', () => {
  it('keeps each bucket’s lowest and highest sample, in order, so no peak is averaged away', async () => {
    const { envelopePairs } = await import('../../../renderer/charts/grid.js');
    const v = Array.from({ length: 3000 }, (_, i) => (i === 1234 ? 9 : i === 2500 ? -9 : Math.sin(i / 10)));
    const out = envelopePairs(v, 100, 1200);
    expect(out.length).toBeLessThanOrEqual(1200);
    expect(Math.max(...out.map((p) => p[1]!))).toBe(9);
    expect(Math.min(...out.map((p) => p[1]!))).toBe(-9);
    expect(out.find((p) => p[1] === 9)![0]).toBeCloseTo((1234 - 2999) / 100, 6);
    expect(out.every((p, i) => i === 0 || p[0] > out[i - 1]![0])).toBe(true);
    // Short series pass through; nulls (the ramp's first second) stay null.
    expect(envelopePairs([1, 2], 100, 1200)).toEqual([[-0.01, 1], [0, 2]]);
    expect(envelopePairs(Array.from({ length: 3000 }, (_, i) => (i < 100 ? null : 1)), 100, 1200)[0]![1]).toBeNull();
  });
});
