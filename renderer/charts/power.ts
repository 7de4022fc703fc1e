/**
 * Power over time: site and every row against its budget, as stacked small multiples sharing one time axis zoom.
 * Pure option builders and history bookkeeping; the component owns the ECharts instance and only ever sends
 * `historyUpdate()` (the dataset) per snapshot, never a rebuilt option.
 */
import type { RangeSeries, Snapshot } from '../../shared/domain/fleet.js';
import { fmtClock, fmtKW, fmtPct, fmtSimTime } from './format.js';
import { THEME } from './theme.js';

/** Column-oriented power history in kW, keyed for an ECharts dataset. Arrays are appended in place. */
export interface PowerHistory {
  t: number[];
  site: Array<number | null>;
  rows: Array<Array<number | null>>;
}

export interface PowerSpec {
  rows: Array<{ id: string; budgetKW: number }>;
  siteBudgetKW: number;
}

export const THRESHOLDS = [
  { frac: 0.8, label: '80 %', color: THEME.warn },
  { frac: 0.9, label: '90 %', color: THEME.warnHigh },
  { frac: 1.0, label: '100 %', color: THEME.crit },
] as const;

export function emptyHistory(rowCount: number): PowerHistory {
  return { t: [], site: [], rows: Array.from({ length: rowCount }, () => []) };
}

/**
 * History from a `telemetry:range` answer at row scope; site = sum of the rows present in each bucket.
 * Leading buckets with no data at all (before the store's first sample) are dropped so the time axis starts at data.
 */
export function historyFromRange(range: RangeSeries, rowIds: readonly string[]): PowerHistory {
  const h = emptyHistory(rowIds.length);
  const col = rowIds.map((id) => range.ids.indexOf(id));
  const hasData = (k: number) => col.some((c) => c >= 0 && typeof range.avgKW[c]?.[k] === 'number');
  let start = 0;
  while (start < range.tMs.length && !hasData(start)) start++;
  for (let k = start; k < range.tMs.length; k++) {
    let sum = 0;
    let any = false;
    col.forEach((c, ri) => {
      const v = c >= 0 ? range.avgKW[c]?.[k] ?? null : null;
      h.rows[ri]!.push(v);
      if (v !== null && Number.isFinite(v)) {
        sum += v;
        any = true;
      }
    });
    h.t.push(range.tMs[k]!);
    h.site.push(any ? sum : null);
  }
  return h;
}

/**
 * Appends a snapshot (kW). Samples not newer than the last point are dropped, so a live stream and a backfill can
 * overlap. Keeps at most `maxPoints`, trimming in chunks so the cost is amortised.
 */
export function appendSnapshot(h: PowerHistory, snap: Snapshot, maxPoints = 20_000): boolean {
  const last = h.t.length ? h.t[h.t.length - 1]! : -Infinity;
  if (!(snap.tMs > last)) return false;
  h.t.push(snap.tMs);
  h.site.push(snap.site.powerW / 1000);
  h.rows.forEach((col, i) => col.push((snap.row.powerW[i] ?? NaN) / 1000));
  if (h.t.length > maxPoints * 1.1) {
    const drop = h.t.length - maxPoints;
    h.t.splice(0, drop);
    h.site.splice(0, drop);
    h.rows.forEach((c) => c.splice(0, drop));
  }
  return true;
}

/** Merges a backfill in front of live points already received (live points win where times overlap). */
export function mergeBackfill(backfill: PowerHistory, live: PowerHistory): PowerHistory {
  const first = live.t.length ? live.t[0]! : Infinity;
  const out = emptyHistory(backfill.rows.length);
  for (let k = 0; k < backfill.t.length; k++) {
    if (backfill.t[k]! >= first) break;
    out.t.push(backfill.t[k]!);
    out.site.push(backfill.site[k]!);
    backfill.rows.forEach((c, i) => out.rows[i]!.push(c[k]!));
  }
  out.t.push(...live.t);
  out.site.push(...live.site);
  live.rows.forEach((c, i) => out.rows[i]!.push(...c));
  return out;
}

const rowKey = (i: number) => `row${i}`;

/** The only per-snapshot update: the dataset source, as keyed columns (arrays shared, not copied). */
export function historyUpdate(h: PowerHistory): { dataset: { source: Record<string, Array<number | null>> } } {
  const source: Record<string, Array<number | null>> = { t: h.t, site: h.site };
  h.rows.forEach((c, i) => (source[rowKey(i)] = c));
  return { dataset: { source } };
}

const TOP = 8;
const BOTTOM = 44;
const GAP = 30;

/** Pixel layout of the stacked grids for a chart `heightPx` tall. */
export function gridLayout(count: number, heightPx: number): Array<{ top: number; height: number }> {
  const h = Math.max(60, (heightPx - TOP - BOTTOM - GAP * count) / count);
  return Array.from({ length: count }, (_, i) => ({ top: TOP + GAP + i * (h + GAP), height: h }));
}

/** Full option, built once per topology (or resize); data comes separately via `historyUpdate`. */
export function buildPowerOption(spec: PowerSpec, heightPx: number, h: PowerHistory): Record<string, unknown> {
  interface Panel { id: string; title: string; budgetKW: number; key: string; color: string }
  const sitePanel: Panel = { id: 'site', title: 'Site', budgetKW: spec.siteBudgetKW, key: 'site', color: THEME.site };
  const panels: Panel[] = [sitePanel].concat(
    spec.rows.map((r, i) => ({ id: `row:${r.id}`, title: `Row ${r.id}`, budgetKW: r.budgetKW, key: rowKey(i), color: THEME.series[i % THEME.series.length] as string })),
  );
  const grids = gridLayout(panels.length, heightPx);
  const axisIdx = panels.map((_, i) => i);
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { color: THEME.text, fontFamily: THEME.font },
    ...historyUpdate(h),
    title: panels.map((p, i) => ({
      text: `${p.title}  ·  kW  ·  budget ${fmtKW(p.budgetKW)}`,
      top: grids[i]!.top - 22,
      left: 60,
      textStyle: { color: THEME.text, fontSize: 12, fontWeight: 600 },
    })),
    grid: grids.map((g) => ({ left: 60, right: 96, top: g.top, height: g.height })),
    xAxis: panels.map((_, i) => ({
      type: 'time',
      gridIndex: i,
      axisLine: { lineStyle: { color: THEME.axis } },
      axisLabel: { show: i === panels.length - 1, color: THEME.muted, formatter: (v: number) => fmtClock(v) },
      splitLine: { show: true, lineStyle: { color: THEME.grid } },
    })),
    yAxis: panels.map((p, i) => ({
      type: 'value',
      gridIndex: i,
      min: 0,
      // Always show the 100 % line, even when the row draws far less.
      max: (e: { max: number }) => niceCeil(Math.max(e.max, p.budgetKW * 1.08)),
      splitNumber: 3,
      axisLabel: { color: THEME.muted },
      splitLine: { lineStyle: { color: THEME.grid } },
    })),
    axisPointer: { link: [{ xAxisIndex: 'all' }], lineStyle: { color: THEME.muted } },
    tooltip: {
      trigger: 'axis',
      backgroundColor: THEME.panel,
      borderColor: THEME.axis,
      textStyle: { color: THEME.text, fontSize: 12 },
      formatter: (params: unknown) => powerTooltip(params, panels),
    },
    dataZoom: [
      { type: 'inside', xAxisIndex: axisIdx, filterMode: 'none' },
      {
        type: 'slider',
        xAxisIndex: axisIdx,
        filterMode: 'none',
        bottom: 8,
        height: 22,
        borderColor: THEME.axis,
        textStyle: { color: THEME.muted },
        labelFormatter: (v: number) => fmtClock(v),
        dataBackground: { lineStyle: { color: THEME.muted }, areaStyle: { color: THEME.grid } },
      },
    ],
    series: panels.map((p, i) => ({
      id: p.id,
      name: p.title,
      type: 'line',
      xAxisIndex: i,
      yAxisIndex: i,
      datasetIndex: 0,
      encode: { x: 't', y: p.key },
      showSymbol: false,
      sampling: 'lttb',
      connectNulls: false,
      lineStyle: { width: 1.5, color: p.color },
      itemStyle: { color: p.color },
      areaStyle: { color: p.color, opacity: 0.08 },
      markLine: {
        silent: true,
        symbol: 'none',
        animation: false,
        data: THRESHOLDS.map((th) => ({
          yAxis: p.budgetKW * th.frac,
          lineStyle: { color: th.color, type: th.frac === 1 ? 'solid' : 'dashed', width: 1 },
          label: { formatter: th.label, color: th.color, position: 'end', fontSize: 10 },
        })),
      },
    })),
  };
}

/** Rounds up to 1, 2, 2.5 or 5 × 10^k so axis tops read cleanly. */
export function niceCeil(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

interface TooltipParam { seriesIndex: number; value: unknown; axisValue: number; encode?: { y?: number[] } }

/** Axis tooltip: time, then each panel's kW and % of its budget, in panel order. */
export function powerTooltip(params: unknown, panels: Array<{ title: string; budgetKW: number; key: string }>): string {
  const list = ((Array.isArray(params) ? params : [params]) as TooltipParam[]).slice().sort((a, b) => a.seriesIndex - b.seriesIndex);
  if (!list.length) return '';
  const t = list[0]!.axisValue;
  const lines = list.map((p) => {
    const panel = panels[p.seriesIndex];
    if (!panel) return '';
    const v = valueOf(p, panel.key);
    const pct = v !== null ? (v / panel.budgetKW) * 100 : NaN;
    return `<div>${escapeHtml(panel.title)}: <b>${fmtKW(v)}</b> (${fmtPct(pct, 1)} of budget)</div>`;
  });
  return `<div>${fmtSimTime(t)}</div>${lines.join('')}`;
}

/** A dataset row arrives as an array in dimension order (with `encode` naming the y column) or as an object. */
function valueOf(p: TooltipParam, key: string): number | null {
  let v: unknown = null;
  if (Array.isArray(p.value)) v = p.encode?.y?.length ? p.value[p.encode.y[0]!] : null;
  else if (p.value && typeof p.value === 'object') v = (p.value as Record<string, unknown>)[key];
  return typeof v === 'number' && Number.isFinite(v) ? v : null;
}

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}
