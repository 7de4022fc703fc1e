/**
 * Power over time: panels (the site and every row, or a row and its racks) against their budgets, stacked small
 * multiples sharing one time axis zoom. Budgets are step lines (100 %, 90 %, 80 % of the budget in force at each
 * instant), never today's value drawn across the past. Pure option builders; the component owns the ECharts
 * instance, builds the option once per set of panels and then only sends `powerUpdate()`.
 */
import { fmtClock, fmtKW, fmtPct, fmtSimTime } from './format.js';
import { budgetAt, stepLine, type BudgetSteps } from './powerSeries.js';
import { axisTooltip, THEME } from './theme.js';

/** One small multiple: a power column of the dataset against a budget over time. */
export interface PowerPanel {
  /** 'site', 'row:C', 'rack:C03'. */
  id: string;
  /** 'Site', 'Row C', 'Rack C03'. */
  title: string;
  /** Its column in the dataset. */
  key: string;
  color: string;
  budget: BudgetSteps;
}

/** Bucket times and one kW column per panel key. */
export interface PowerData {
  t: number[];
  cols: Record<string, Array<number | null>>;
}

/** An alert shown on the chart: its panel highlighted, a line where it fired. */
export interface PowerMark {
  panelId: string;
  atMs: number;
  label: string;
}

/**
 * Vertical lines on a panel: the alert it was opened on (solid, red, on its row) and every drill's start and end
 * (dashed, on every panel; labelled on the first).
 */
function markLines(p: PowerPanel, i: number, mark: PowerMark | null, drills: ReadonlyArray<{ atMs: number; label: string }>): Record<string, unknown> {
  const data: Array<Record<string, unknown>> = [];
  if (mark?.panelId === p.id) data.push({ xAxis: mark.atMs, lineStyle: { color: THEME.crit, width: 1.5, type: 'solid' }, label: { formatter: mark.label, color: THEME.crit, fontSize: 10, position: 'insideEndTop' } });
  for (const d of drills) data.push({ xAxis: d.atMs, lineStyle: { color: THEME.warn, width: 1, type: 'dashed' }, label: { show: i === 0, formatter: d.label, color: THEME.warn, fontSize: 10, position: 'insideEndTop' } });
  return data.length ? { markLine: { symbol: 'none', silent: true, data } } : {};
}

/** The time span the axis shows (the window, from its first data on). */
export interface Frame {
  fromMs: number;
  toMs: number;
}

export const THRESHOLDS = [
  // Colours read when drawn (the theme's), not when this module loads.
  { frac: 1.0, label: '100 %', get color() { return THEME.crit; }, type: 'solid' },
  { frac: 0.9, label: '90 %', get color() { return THEME.warnHigh; }, type: 'dashed' },
  { frac: 0.8, label: '80 %', get color() { return THEME.warn; }, type: 'dashed' },
] as const;

const budgetSeriesId = (panel: PowerPanel, frac: number) => `budget:${panel.id}:${Math.round(frac * 100)}`;

/** Budget lines of every panel as step-line points over the frame, by series id. */
export function budgetSeries(panels: readonly PowerPanel[], frame: Frame): Array<{ id: string; data: Array<[number, number]> }> {
  return panels.flatMap((p) => THRESHOLDS.map((th) => ({ id: budgetSeriesId(p, th.frac), data: stepLine(p.budget, frame.fromMs, frame.toMs, th.frac) })));
}

/** "budget 408.0 kW", or "budget 408.0 → 285.6 kW" when it changed within the frame. */
export function budgetTitle(b: BudgetSteps, frame: Frame): string {
  const start = budgetAt(b, frame.fromMs);
  const end = budgetAt(b, frame.toMs);
  if (start === null || end === null) return 'budget —';
  return start === end ? `budget ${fmtKW(end)}` : `budget ${fmtKW(start)} → ${fmtKW(end)}`;
}

/** A step of a panel's budget inside the frame, in words for the list under the chart. */
export interface BudgetChange {
  panelId: string;
  title: string;
  fromKW: number;
  toKW: number;
  atMs: number;
}

/** Every budget step inside the frame, oldest first (what the step lines show, for screen readers and tests). */
export function budgetChanges(panels: readonly PowerPanel[], frame: Frame): BudgetChange[] {
  const out: BudgetChange[] = [];
  for (const p of panels) {
    const pts = stepLine(p.budget, frame.fromMs, frame.toMs);
    for (let k = 1; k < pts.length - 1; k++) out.push({ panelId: p.id, title: p.title, fromKW: pts[k - 1]![1], toKW: pts[k]![1], atMs: pts[k]![0] });
  }
  return out.sort((a, b) => a.atMs - b.atMs);
}

/** Highest budget in force anywhere in the frame (the y axis always shows the 100 % line). */
export function maxBudget(b: BudgetSteps, frame: Frame): number {
  return Math.max(0, ...stepLine(b, frame.fromMs, frame.toMs).map((p) => p[1]));
}

/** The dataset: `t` and each panel's column (arrays shared, not copied). */
export function powerDataset(panels: readonly PowerPanel[], data: PowerData): { source: Record<string, Array<number | null>> } {
  const source: Record<string, Array<number | null>> = { t: data.t };
  for (const p of panels) source[p.key] = data.cols[p.key] ?? data.t.map(() => null);
  return { source };
}

/** What changes between rebuilds: data, budget steps, titles, the frame, the tooltip's budgets. */
export function powerUpdate(panels: readonly PowerPanel[], data: PowerData, frame: Frame, heightPx: number): Record<string, unknown> {
  const grids = gridLayout(panels.length, heightPx);
  return {
    dataset: powerDataset(panels, data),
    title: panels.map((p, i) => ({
      text: `${p.title}  ·  kW  ·  ${budgetTitle(p.budget, frame)}`,
      top: grids[i]!.top - 22,
      left: 60,
      textStyle: { color: THEME.text, fontSize: 12, fontWeight: 600 },
    })),
    xAxis: panels.map(() => ({ min: frame.fromMs, max: frame.toMs })),
    yAxis: panels.map((p) => {
      const top = maxBudget(p.budget, frame) * 1.08;
      return { max: (e: { max: number }) => niceCeil(Math.max(e.max, top)) };
    }),
    series: budgetSeries(panels, frame),
    tooltip: { formatter: (params: unknown) => powerTooltip(params, panels) },
  };
}

const TOP = 8;
const BOTTOM = 44;
const GAP = 30;

/** Pixel layout of the stacked grids for a chart `heightPx` tall. */
export function gridLayout(count: number, heightPx: number): Array<{ top: number; height: number }> {
  const h = Math.max(60, (heightPx - TOP - BOTTOM - GAP * count) / count);
  return Array.from({ length: count }, (_, i) => ({ top: TOP + GAP + i * (h + GAP), height: h }));
}

/**
 * The full option, built once per set of panels (or resize). Series: every panel's power first (series index =
 * panel index, which the tooltip relies on), then its 100/90/80 % budget step lines.
 */
export function buildPowerOption(panels: readonly PowerPanel[], heightPx: number, data: PowerData, frame: Frame, mark: PowerMark | null = null, drills: ReadonlyArray<{ atMs: number; label: string }> = []): Record<string, unknown> {
  const grids = gridLayout(panels.length, heightPx);
  const axisIdx = panels.map((_, i) => i);
  const update = powerUpdate(panels, data, frame, heightPx);
  const power = panels.map((p, i) => ({
    id: `power:${p.id}`,
    name: p.title,
    type: 'line',
    xAxisIndex: i,
    yAxisIndex: i,
    datasetIndex: 0,
    encode: { x: 't', y: p.key },
    showSymbol: false,
    sampling: 'lttb',
    connectNulls: false,
    z: 3,
    lineStyle: { width: mark?.panelId === p.id ? 3 : 1.5, color: p.color, opacity: mark && mark.panelId !== p.id ? 0.45 : 1 },
    itemStyle: { color: p.color },
    areaStyle: { color: p.color, opacity: mark?.panelId === p.id ? 0.18 : 0.08 },
    ...markLines(p, i, mark, drills),
  }));
  const budgets = (update.series as ReturnType<typeof budgetSeries>).map((s, k) => {
    const i = Math.floor(k / THRESHOLDS.length);
    const th = THRESHOLDS[k % THRESHOLDS.length]!;
    return {
      id: s.id,
      name: `${panels[i]!.title} ${th.label} of budget`,
      type: 'line',
      xAxisIndex: i,
      yAxisIndex: i,
      data: s.data,
      step: 'end',
      showSymbol: false,
      silent: true,
      z: 2,
      tooltip: { show: false },
      lineStyle: { width: 1, color: th.color, type: th.type },
      itemStyle: { color: th.color },
      endLabel: { show: true, formatter: th.label, color: th.color, fontSize: 10 },
      emphasis: { disabled: true },
    };
  });
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { color: THEME.text, fontFamily: THEME.font },
    dataset: update.dataset,
    title: update.title,
    grid: grids.map((g) => ({ left: 60, right: 96, top: g.top, height: g.height })),
    xAxis: panels.map((_, i) => ({
      type: 'time',
      gridIndex: i,
      min: frame.fromMs,
      max: frame.toMs,
      axisLine: { lineStyle: { color: THEME.axis } },
      axisLabel: { show: i === panels.length - 1, color: THEME.muted, formatter: (v: number) => fmtAxisTime(v, frame) },
      splitLine: { show: true, lineStyle: { color: THEME.grid } },
    })),
    yAxis: panels.map((_, i) => ({
      type: 'value',
      gridIndex: i,
      min: 0,
      ...(update.yAxis as Array<Record<string, unknown>>)[i],
      splitNumber: 3,
      axisLabel: { color: THEME.muted },
      splitLine: { lineStyle: { color: THEME.grid } },
    })),
    axisPointer: { link: [{ xAxisIndex: 'all' }], lineStyle: { color: THEME.muted } },
    tooltip: {
      ...axisTooltip(),
      ...(update.tooltip as object),
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
        labelFormatter: (v: number) => fmtAxisTime(v, frame),
        dataBackground: { lineStyle: { color: THEME.muted }, areaStyle: { color: THEME.grid } },
      },
    ],
    series: [...power, ...budgets],
  };
}

/** Clock time; frames longer than a day also say the date ("01-03 14:00"). */
export function fmtAxisTime(v: number, frame: Frame): string {
  if (frame.toMs - frame.fromMs <= 24 * 3600_000) return fmtClock(v);
  const d = new Date(v);
  return `${String(d.getUTCMonth() + 1).padStart(2, '0')}-${String(d.getUTCDate()).padStart(2, '0')} ${fmtClock(v).slice(0, 5)}`;
}

/** Rounds up to 1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8 × 10^k so axis tops read cleanly. */
export function niceCeil(v: number): number {
  if (!(v > 0) || !Number.isFinite(v)) return 1;
  const p = 10 ** Math.floor(Math.log10(v));
  for (const m of [1, 1.2, 1.5, 2, 2.5, 3, 4, 5, 6, 8, 10]) if (m * p >= v) return m * p;
  return 10 * p;
}

interface TooltipParam { seriesIndex: number; value: unknown; axisValue: number; encode?: { y?: number[] } }

/**
 * Axis tooltip: the time, then each panel's kW and % of the budget in force at that instant (the budget line's
 * value there, not today's), in panel order. Budget lines (series index ≥ panels) are left out.
 */
export function powerTooltip(params: unknown, panels: ReadonlyArray<Pick<PowerPanel, 'title' | 'key' | 'budget'>>): string {
  const list = ((Array.isArray(params) ? params : [params]) as TooltipParam[]).filter((p) => p.seriesIndex < panels.length).sort((a, b) => a.seriesIndex - b.seriesIndex);
  if (!list.length) return '';
  const t = list[0]!.axisValue;
  const lines = list.map((p) => {
    const panel = panels[p.seriesIndex]!;
    const v = valueOf(p, panel.key);
    const budget = budgetAt(panel.budget, t);
    const pct = v !== null && budget ? (v / budget) * 100 : NaN;
    return `<div>${escapeHtml(panel.title)}: <b>${fmtKW(v)}</b> (${fmtPct(pct, 1)} of ${fmtKW(budget)})</div>`;
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
