/**
 * A rack's learned profile as a chart (the rack view): its inlet against its own power — the sampled history as dots,
 * its own fit as a line, its row's racks pooled as a dashed line — so "runs hotter than its row at the same power"
 * is the gap between the two lines. Pure.
 */
import type { RackProfileView } from '../../shared/domain/placement.js';
import { axisTooltip, THEME } from './theme.js';

/** The x range the lines span: the samples' power range, padded a little (a single power: ±1 kW). */
export function powerSpan(points: ReadonlyArray<readonly [number, number]>): [number, number] {
  let lo = Infinity;
  let hi = -Infinity;
  for (const [kw] of points) {
    if (kw < lo) lo = kw;
    if (kw > hi) hi = kw;
  }
  if (!Number.isFinite(lo)) return [0, 1];
  const pad = Math.max(1, (hi - lo) * 0.05);
  return [Math.max(0, lo - pad), hi + pad];
}

const line = (f: { a: number; b: number }, [x0, x1]: [number, number]): Array<[number, number]> => [
  [x0, f.a + f.b * x0],
  [x1, f.a + f.b * x1],
];

export function buildRackProfileOption(v: RackProfileView): Record<string, unknown> {
  const span = powerSpan(v.points);
  const series: Array<Record<string, unknown>> = [
    { name: `${v.rack} history`, type: 'scatter', data: v.points, symbolSize: 4, itemStyle: { color: THEME.site, opacity: 0.55 } },
  ];
  if (v.profile.inlet) {
    series.push({ name: `${v.rack} fit${v.profile.inlet.from === 'row' ? ' (row slope)' : ''}`, type: 'line', data: line(v.profile.inlet, span), showSymbol: false, itemStyle: { color: THEME.warnHigh }, lineStyle: { color: THEME.warnHigh, width: 2 } });
  }
  if (v.rowPooled) {
    series.push({ name: `row ${v.row} racks`, type: 'line', data: line(v.rowPooled, span), showSymbol: false, itemStyle: { color: THEME.muted }, lineStyle: { color: THEME.muted, width: 1.5, type: 'dashed' } });
  }
  return {
    animation: false,
    textStyle: { fontFamily: THEME.font, color: THEME.text },
    grid: { left: 48, right: 16, top: 28, bottom: 34 },
    legend: { top: 0, right: 8, textStyle: { color: THEME.muted, fontSize: 11 }, itemWidth: 14, itemHeight: 8 },
    tooltip: { ...axisTooltip(), trigger: 'item', formatter: (p: { value: [number, number]; seriesName: string }) => `${p.seriesName}<br>${p.value[0].toFixed(1)} kW · ${p.value[1].toFixed(2)} °C` },
    xAxis: { type: 'value', name: 'rack power · kW', nameLocation: 'middle', nameGap: 22, min: span[0], max: span[1], axisLabel: { color: THEME.muted, formatter: (x: number) => x.toFixed(0) }, axisLine: { lineStyle: { color: THEME.axis } }, splitLine: { lineStyle: { color: THEME.grid } } },
    yAxis: { type: 'value', name: 'inlet · °C', scale: true, nameTextStyle: { color: THEME.muted }, axisLabel: { color: THEME.muted, formatter: (x: number) => x.toFixed(1) }, splitLine: { lineStyle: { color: THEME.grid } } },
    series,
  };
}
