/**
 * One GPU's recent history as a small chart: power with its limit (a step line: a cap holds until the next one),
 * temperature and SM clock, three stacked panels on one time axis. Pure.
 */
import type { GpuHistory } from '../../shared/domain/history.js';
import { fmtC, fmtClock, fmtMHz, fmtSimTime, fmtW } from './format.js';
import { axisTooltip, THEME } from './theme.js';

/** Appends a newer stretch of the same GPU's history and drops points before `fromMs`. */
export function appendGpuHistory(h: GpuHistory, more: GpuHistory, fromMs: number): GpuHistory {
  if (more.gpu !== h.gpu) return more;
  const last = h.tMs.length ? h.tMs[h.tMs.length - 1]! : -Infinity;
  let start = 0;
  while (start < more.tMs.length && more.tMs[start]! <= last) start++;
  let drop = 0;
  while (drop < h.tMs.length && h.tMs[drop]! < fromMs) drop++;
  const join = <T>(a: T[], b: T[]) => a.slice(drop).concat(b.slice(start));
  return {
    gpu: h.gpu,
    fromMs,
    toMs: Math.max(h.toMs, more.toMs),
    tMs: join(h.tMs, more.tMs),
    powerW: join(h.powerW, more.powerW),
    limitW: join(h.limitW, more.limitW),
    tempC: join(h.tempC, more.tempC),
    clockMHz: join(h.clockMHz, more.clockMHz),
    util: join(h.util, more.util),
    flags: join(h.flags, more.flags),
  };
}

const pair = (t: readonly number[], v: ReadonlyArray<number | null>): Array<[number, number | null]> => t.map((x, i) => [x, v[i] ?? null]);

/** The limit as step points: one where it changes (and the last one), not one per second. */
export function limitSteps(h: GpuHistory): Array<[number, number | null]> {
  const out: Array<[number, number | null]> = [];
  for (let i = 0; i < h.tMs.length; i++) {
    const v = h.limitW[i] ?? null;
    if (i === 0 || i === h.tMs.length - 1 || v !== (h.limitW[i - 1] ?? null)) out.push([h.tMs[i]!, v]);
  }
  return out;
}

/** The three panels; colours read when a chart is built (the theme's). */
const panels = () =>
  [
    { key: 'power', title: 'Power · W', color: THEME.site },
    { key: 'temp', title: 'Temperature · °C', color: THEME.warnHigh },
    { key: 'clock', title: 'SM clock · MHz', color: THEME.series[0]! },
  ] as const;

/** The chart's option for `h` over [fromMs, toMs], `heightPx` tall. */
export function buildGpuHistoryOption(h: GpuHistory, frame: { fromMs: number; toMs: number }, heightPx: number): Record<string, unknown> {
  const top = 22;
  const gap = 26;
  const bottom = 26;
  const PANELS = panels();
  const ph = Math.max(40, (heightPx - top - bottom - gap * (PANELS.length - 1)) / PANELS.length);
  const grids = PANELS.map((_, i) => ({ left: 56, right: 16, top: top + i * (ph + gap), height: ph }));
  const line = (i: number, data: Array<[number, number | null]>, color: string, extra: Record<string, unknown> = {}) => ({
    type: 'line',
    xAxisIndex: i,
    yAxisIndex: i,
    data,
    showSymbol: false,
    connectNulls: false,
    sampling: 'lttb',
    lineStyle: { width: 1.3, color },
    itemStyle: { color },
    ...extra,
  });
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { color: THEME.text, fontFamily: THEME.font },
    title: PANELS.map((p, i) => ({ text: p.title, top: grids[i]!.top - 18, left: 56, textStyle: { color: THEME.muted, fontSize: 11, fontWeight: 500 } })),
    grid: grids,
    xAxis: PANELS.map((_, i) => ({
      type: 'time',
      gridIndex: i,
      min: frame.fromMs,
      max: frame.toMs,
      axisLine: { lineStyle: { color: THEME.axis } },
      axisLabel: { show: i === PANELS.length - 1, color: THEME.muted, fontSize: 10, formatter: (v: number) => fmtClock(v) },
      splitLine: { show: true, lineStyle: { color: THEME.grid } },
    })),
    yAxis: PANELS.map((_, i) => ({
      type: 'value',
      gridIndex: i,
      scale: i !== 0,
      min: i === 0 ? 0 : undefined,
      splitNumber: 2,
      axisLabel: { color: THEME.muted, fontSize: 10 },
      splitLine: { lineStyle: { color: THEME.grid } },
    })),
    axisPointer: { link: [{ xAxisIndex: 'all' }], lineStyle: { color: THEME.muted } },
    tooltip: {
      ...axisTooltip(),
      formatter: (params: unknown) => gpuTooltip(params, h),
    },
    series: [
      line(0, pair(h.tMs, h.powerW), PANELS[0].color, { id: 'powerW', name: 'Power', areaStyle: { color: PANELS[0].color, opacity: 0.08 } }),
      line(0, limitSteps(h), THEME.crit, { id: 'limitW', name: 'Power limit', step: 'end', sampling: undefined, lineStyle: { width: 1, color: THEME.crit, type: 'dashed' } }),
      line(1, pair(h.tMs, h.tempC), PANELS[1].color, { id: 'tempC', name: 'Temperature' }),
      line(2, pair(h.tMs, h.clockMHz), PANELS[2].color, { id: 'clockMHz', name: 'SM clock' }),
    ],
  };
}

/** Nearest stored second to the pointer: power of limit, temperature, clock. */
export function gpuTooltip(params: unknown, h: GpuHistory): string {
  const first = (Array.isArray(params) ? params : [params])[0] as { axisValue?: number } | undefined;
  const t = first?.axisValue;
  if (typeof t !== 'number' || !h.tMs.length) return '';
  let lo = 0;
  let hi = h.tMs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (h.tMs[mid]! < t) lo = mid + 1;
    else hi = mid;
  }
  if (lo > 0 && Math.abs(h.tMs[lo - 1]! - t) < Math.abs(h.tMs[lo]! - t)) lo--;
  return [
    `<div>${fmtSimTime(h.tMs[lo])}</div>`,
    `<div>Power <b>${fmtW(h.powerW[lo])}</b> of ${fmtW(h.limitW[lo])} limit</div>`,
    `<div>Temperature <b>${fmtC(h.tempC[lo])}</b></div>`,
    `<div>SM clock <b>${fmtMHz(h.clockMHz[lo])}</b></div>`,
  ].join('');
}
