import { describe, expect, it } from 'vitest';
import type { GpuHistory } from '../../../shared/domain/history.js';
import { appendGpuHistory, buildGpuHistoryOption, gpuTooltip, limitSteps } from '../../../renderer/charts/gpuHistory.js';

function hist(gpu: number, t: number[], limitW: number[] = t.map(() => 700)): GpuHistory {
  return {
    gpu,
    fromMs: t[0] ?? 0,
    toMs: (t[t.length - 1] ?? 0) + 1,
    tMs: t,
    powerW: t.map((x) => 400 + x / 1000),
    limitW,
    tempC: t.map(() => 60),
    clockMHz: t.map(() => 1980),
    util: t.map(() => 0.9),
    flags: t.map(() => 0),
  };
}

describe('a GPU’s last hour', () => {
  it('appends what is new and drops what fell out of the hour', () => {
    const a = hist(3, [0, 1000, 2000]);
    const b = hist(3, [2000, 3000]);
    const m = appendGpuHistory(a, b, 1000);
    expect(m.tMs).toEqual([1000, 2000, 3000]);
    expect(m.powerW).toEqual([401, 402, 403]);
    expect(m.fromMs).toBe(1000);
    // Another GPU's answer replaces, never mixes.
    expect(appendGpuHistory(a, hist(4, [5000]), 0).gpu).toBe(4);
  });

  it('draws the limit as steps where it changes, power, temperature and clock on one time axis', () => {
    const h = hist(3, [0, 1000, 2000, 3000, 4000], [700, 700, 450, 450, 450]);
    expect(limitSteps(h)).toEqual([
      [0, 700],
      [2000, 450],
      [4000, 450],
    ]);
    const opt = buildGpuHistoryOption(h, { fromMs: 0, toMs: 3600_000 }, 260) as { series: Array<{ id: string; step?: string; xAxisIndex: number }>; xAxis: Array<{ min: number; max: number }> };
    expect(opt.series.map((s) => [s.id, s.xAxisIndex])).toEqual([
      ['powerW', 0],
      ['limitW', 0],
      ['tempC', 1],
      ['clockMHz', 2],
    ]);
    expect(opt.series[1]!.step).toBe('end');
    expect(opt.xAxis.every((x) => x.min === 0 && x.max === 3600_000)).toBe(true);
  });

  it('the tooltip reads the nearest stored second', () => {
    const h = hist(3, [0, 1000, 2000], [700, 700, 450]);
    expect(gpuTooltip([{ axisValue: 1900 }], h)).toMatch(/Power <b>402 W<\/b> of 450 W limit.*60.0 °C.*1980 MHz/);
    expect(gpuTooltip([], h)).toBe('');
  });
});
