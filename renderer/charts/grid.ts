/**
 * The grid view's charts (issue 15): site power at full resolution and its 1 s ramp against the limit (two panels on
 * one time axis, seconds before the newest sample), and the spectrum (log–log) with the critical band and the grid's
 * sensitive bands shaded. Pure; the view sends only data on each refresh (`gridUpdate`).
 */
import type { GridWindow } from '../../shared/domain/grid.js';
import { axisTooltip, THEME } from './theme.js';

/** Bands the paper names as sensitive (PAPERS.md §3): transmission, coupled sources, turbine shafts. */
export const SENSITIVE_BANDS: ReadonlyArray<{ label: string; loHz: number; hiHz: number }> = [
  { label: '< 1 Hz: transmission', loHz: 0.01, hiHz: 1 },
  { label: '1–2.5 Hz: coupled sources', loHz: 1, hiHz: 2.5 },
  { label: '7–100 Hz: turbine shafts', loHz: 7, hiHz: 100 },
];

/** [seconds before the newest sample, value] pairs of a series sampled at fs, oldest first. */
export function timePairs<T extends number | null>(v: readonly T[], fs: number): Array<[number, T]> {
  const n = v.length;
  return v.map((x, i) => [Math.round(((i - (n - 1)) / fs) * 1000) / 1000, x]);
}

/** At most this many points per series reach the time chart (about two per pixel of its width). */
export const MAX_TIME_POINTS = 1200;

/**
 * timePairs, thinned to at most `max` points by keeping each bucket's lowest and highest sample in their order: every
 * swing's extremes survive (a peak the utility would see is never averaged away), the chart draws a third as much.
 */
export function envelopePairs(v: ReadonlyArray<number | null>, fs: number, max = MAX_TIME_POINTS): Array<[number, number | null]> {
  const n = v.length;
  if (n <= max) return timePairs(v, fs);
  const size = Math.ceil((2 * n) / max);
  const at = (i: number) => Math.round(((i - (n - 1)) / fs) * 1000) / 1000;
  const out: Array<[number, number | null]> = [];
  for (let s = 0; s < n; s += size) {
    let lo = -1;
    let hi = -1;
    for (let i = s; i < Math.min(n, s + size); i++) {
      const x = v[i];
      if (x === null || x === undefined) continue;
      if (lo < 0 || x < v[lo]!) lo = i;
      if (hi < 0 || x > v[hi]!) hi = i;
    }
    if (lo < 0) out.push([at(s), null]);
    else if (lo === hi) out.push([at(lo), v[lo]!]);
    else for (const i of lo < hi ? [lo, hi] : [hi, lo]) out.push([at(i), v[i]!]);
  }
  return out;
}

export function buildGridTimeOption(w: GridWindow): Record<string, unknown> {
  const grids = [
    { left: 56, right: 16, top: 24, height: '52%' },
    { left: 56, right: 16, top: '70%', bottom: 28 },
  ];
  const axis = (i: number) => ({
    type: 'value',
    gridIndex: i,
    max: 0,
    axisLine: { lineStyle: { color: THEME.axis } },
    axisLabel: { show: i === 1, color: THEME.muted, fontSize: 10, formatter: (s: number) => `${s} s` },
    splitLine: { lineStyle: { color: THEME.grid } },
  });
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { color: THEME.text, fontFamily: THEME.font },
    title: [
      { text: `Site power · MW · ${w.fs} Hz`, top: 4, left: 56, textStyle: { color: THEME.muted, fontSize: 11, fontWeight: 500 } },
      { text: `Ramp over ${w.requirement.rampWindowS} s · MW/s (limit ${w.requirement.rampMWps})`, top: '64%', left: 56, textStyle: { color: THEME.muted, fontSize: 11, fontWeight: 500 } },
    ],
    grid: grids,
    xAxis: [axis(0), axis(1)],
    yAxis: [
      { type: 'value', gridIndex: 0, scale: true, splitNumber: 3, axisLabel: { color: THEME.muted, fontSize: 10 }, splitLine: { lineStyle: { color: THEME.grid } } },
      { type: 'value', gridIndex: 1, min: 0, splitNumber: 2, axisLabel: { color: THEME.muted, fontSize: 10 }, splitLine: { lineStyle: { color: THEME.grid } } },
    ],
    axisPointer: { link: [{ xAxisIndex: 'all' }], lineStyle: { color: THEME.muted } },
    tooltip: { ...axisTooltip(), valueFormatter: (v: number) => (typeof v === 'number' ? v.toFixed(4) : '—') },
    series: [
      { id: 'site', name: 'Site power (MW)', type: 'line', xAxisIndex: 0, yAxisIndex: 0, showSymbol: false, lineStyle: { width: 1.2, color: THEME.site }, itemStyle: { color: THEME.site }, data: envelopePairs(w.siteMW, w.fs) },
      {
        id: 'ramp',
        name: 'Ramp (MW/s)',
        type: 'line',
        xAxisIndex: 1,
        yAxisIndex: 1,
        showSymbol: false,
        lineStyle: { width: 1.2, color: THEME.warnHigh },
        itemStyle: { color: THEME.warnHigh },
        data: envelopePairs(w.rampMWps, w.fs),
        markLine: { silent: true, symbol: 'none', lineStyle: { color: THEME.crit, type: 'dashed' }, label: { color: THEME.crit, fontSize: 10, formatter: 'limit', position: 'insideEndTop' }, data: [{ yAxis: w.requirement.rampMWps }] },
      },
    ],
  };
}

/** Data only, for a refresh of the time chart. */
export function gridTimeUpdate(w: GridWindow): Record<string, unknown> {
  return { series: [{ id: 'site', data: envelopePairs(w.siteMW, w.fs) }, { id: 'ramp', data: timePairs(w.rampMWps, w.fs) }] };
}

const spectrumPairs = (w: GridWindow): Array<[number, number]> => w.spectrum.hz.map((f, i) => [f, Math.max(1e-12, w.spectrum.psd[i]!)]);

export function buildSpectrumOption(w: GridWindow): Record<string, unknown> {
  const b = w.requirement.band;
  const top = w.fs / 2;
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { color: THEME.text, fontFamily: THEME.font },
    title: { text: spectrumTitle(w), top: 4, left: 56, textStyle: { color: THEME.muted, fontSize: 11, fontWeight: 500 } },
    grid: { left: 56, right: 16, top: 26, bottom: 30 },
    xAxis: { type: 'log', name: 'Hz', nameLocation: 'end', nameGap: 4, min: 0.01, max: Math.max(1, top), axisLine: { lineStyle: { color: THEME.axis } }, axisLabel: { color: THEME.muted, fontSize: 10 }, splitLine: { lineStyle: { color: THEME.grid } } },
    yAxis: { type: 'log', axisLabel: { color: THEME.muted, fontSize: 10, formatter: (v: number) => v.toExponential(0) }, splitLine: { lineStyle: { color: THEME.grid } } },
    tooltip: { ...axisTooltip(), trigger: 'axis', valueFormatter: (v: number) => (typeof v === 'number' ? v.toExponential(2) : '—') },
    series: [
      {
        id: 'psd',
        name: 'PSD',
        type: 'line',
        showSymbol: false,
        lineStyle: { width: 1.3, color: THEME.site },
        itemStyle: { color: THEME.site },
        data: spectrumPairs(w),
        markArea: {
          silent: true,
          data: [
            [{ name: `critical band ${b.loHz}–${b.hiHz} Hz (≤ ${b.maxSharePct} %)`, xAxis: b.loHz, itemStyle: { color: THEME.warn, opacity: 0.12 }, label: { color: THEME.warn, fontSize: 10, position: 'insideTop' } }, { xAxis: Math.min(b.hiHz, top) }],
            ...SENSITIVE_BANDS.filter((s) => s.loHz < top).map((s) => [
              { name: '', xAxis: s.loHz, itemStyle: { color: THEME.crit, opacity: 0.05 } },
              { xAxis: Math.min(s.hiHz, top) },
            ]),
          ],
        },
      },
    ],
  };
}

/** The analysis window grows to its 2 minutes after a start: the title follows it on every refresh. */
const spectrumTitle = (w: GridWindow) => `Power spectrum · MW²/Hz (Welch, last ${Math.round(w.analysisS)} s)`;

export function spectrumUpdate(w: GridWindow): Record<string, unknown> {
  return { title: { text: spectrumTitle(w) }, series: [{ id: 'psd', data: spectrumPairs(w) }] };
}
