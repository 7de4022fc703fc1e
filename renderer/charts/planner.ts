/**
 * Capacity planner: a sweep over server counts, per policy, as small multiples (one panel per metric, one line per
 * policy) and a table. Pure option and table builders; the view owns the ECharts instance.
 *
 * Seeds: the console runs one seed per sweep. A result with several seeds (the CLI's `--seeds`) is charted and
 * tabulated from its first seed (`seed`) only — every figure here is one run, never a mean of ratios; the statistics
 * over the seeds are the result's `summary`. See `seedPoints`.
 */
import type { PlannerPolicy, SweepPoint, SweepResult } from '../../shared/domain/planner.js';
import { fmtDuration, fmtPct, fmtRatioPct, fmtTimes } from './format.js';
import { escapeHtml, niceCeil } from './power.js';
import { axisTooltip, THEME } from './theme.js';

export const POLICIES: ReadonlyArray<{ id: PlannerPolicy; label: string; color: string; dash: 'solid' | 'dashed' | 'dotted' }> = [
  { id: 'headroom', label: 'Headroom', color: '#6cc5ff', dash: 'solid' },
  { id: 'polca', label: 'POLCA', color: '#7ee0c3', dash: 'solid' },
  { id: 'polca-no-priority', label: 'POLCA, no priority', color: '#b69cff', dash: 'dashed' },
  { id: 'none', label: 'No capping', color: '#ffb86b', dash: 'dotted' },
];

export interface PlannerMetric {
  id: string;
  title: string;
  /** Unit shown in the panel title and the axis. */
  unit: string;
  value: (p: SweepPoint) => number;
  format: (v: number) => string;
  /** A reference line (y), e.g. 100 % of budget or "no impact". */
  reference?: { y: number; label: string };
}

export const PLANNER_METRICS: readonly PlannerMetric[] = [
  { id: 'brakes', title: 'Brake events', unit: 'count', value: (p) => p.brakes, format: (v) => `${Math.round(v)}` },
  { id: 'capped', title: 'GPU time capped', unit: '%', value: (p) => p.pctTimeCapped, format: (v) => fmtPct(v, 1) },
  { id: 'peak', title: 'Peak row power', unit: '% of budget', value: (p) => p.peakRowPct, format: (v) => fmtPct(v, 1), reference: { y: 100, label: '100 %' } },
  { id: 'over', title: 'Time over budget', unit: 's', value: (p) => p.secondsOver100, format: (v) => fmtDuration(v * 1000) },
  { id: 'highThr', title: 'High-priority throughput', unit: '% of unconstrained', value: (p) => p.high.throughputRatio * 100, format: (v) => fmtPct(v, 1), reference: { y: 100, label: 'no impact' } },
  { id: 'lowThr', title: 'Low-priority throughput', unit: '% of unconstrained', value: (p) => p.low.throughputRatio * 100, format: (v) => fmtPct(v, 1), reference: { y: 100, label: 'no impact' } },
  { id: 'highP99', title: 'High-priority p99 latency', unit: '× unconstrained', value: (p) => p.high.p99LatencyRatio, format: (v) => fmtTimes(v), reference: { y: 1, label: 'no impact' } },
  { id: 'lowP99', title: 'Low-priority p99 latency', unit: '× unconstrained', value: (p) => p.low.p99LatencyRatio, format: (v) => fmtTimes(v), reference: { y: 1, label: 'no impact' } },
];

/** The points charted and tabulated: the first seed's (`r.seed`); a point without a seed (older results) counts as it. */
export function seedPoints(r: SweepResult): SweepPoint[] {
  return r.points.filter((p) => p.seed === undefined || p.seed === r.seed);
}

/** The policies a sweep ran, in POLICIES order (a sweep may request a subset). */
export function sweptPolicies(r: SweepResult): Array<(typeof POLICIES)[number]> {
  const ran = new Set(r.points.map((p) => p.policy));
  return POLICIES.filter((p) => ran.has(p.id));
}

/** The sweep's scenario line without the demand it ends with (the view names the demand on its own). */
export function scenarioText(r: SweepResult): string {
  const suffix = `; ${r.demand} demand`;
  return r.scenario.endsWith(suffix) ? r.scenario.slice(0, -suffix.length) : r.scenario;
}

/** Distinct server counts of a sweep, ascending. */
export function serverCounts(r: SweepResult): number[] {
  return [...new Set(r.points.map((p) => p.servers))].sort((a, b) => a - b);
}

/** [servers, value] pairs per policy for one metric, ascending in servers; NaN values are left out. */
export function metricSeries(r: SweepResult, m: PlannerMetric): Record<PlannerPolicy, Array<[number, number]>> {
  const out = Object.fromEntries(POLICIES.map((p) => [p.id, []])) as unknown as Record<PlannerPolicy, Array<[number, number]>>;
  for (const p of seedPoints(r)) {
    const v = m.value(p);
    if (Number.isFinite(v) && out[p.policy]) out[p.policy].push([p.servers, v]);
  }
  for (const k of Object.keys(out) as PlannerPolicy[]) out[k].sort((a, b) => a[0] - b[0]);
  return out;
}

/** How many policy runs a sweep makes (server counts × policies requested), for the progress line. */
export function sweepRuns(fromServers: number, toServers: number, step: number, policies: number = POLICIES.length): number {
  if (!(toServers >= fromServers) || !(step >= 1) || !(policies >= 1)) return 0;
  return (Math.floor((toServers - fromServers) / step) + 1) * Math.floor(policies);
}

export interface Headline {
  policy: PlannerPolicy;
  label: string;
  /** Largest server count with no brake event, or null when every count braked. */
  maxServers: number | null;
  /** Gain over the provisioned count, %. */
  gainPct: number | null;
}

/** Per policy the sweep ran: the most servers it ran without a single brake event. */
export function headlines(r: SweepResult): Headline[] {
  const pointsOfSeed = seedPoints(r);
  return sweptPolicies(r).map((pol) => {
    const pts = pointsOfSeed.filter((p) => p.policy === pol.id).sort((a, b) => a.servers - b.servers);
    let maxServers: number | null = null;
    for (const p of pts) {
      if (p.brakes === 0) maxServers = p.servers;
      else break;
    }
    const gainPct = maxServers !== null && r.provisionedServers > 0 ? (maxServers / r.provisionedServers - 1) * 100 : null;
    return { policy: pol.id, label: pol.label, maxServers, gainPct };
  });
}

export interface TableRow {
  servers: number;
  policy: PlannerPolicy;
  policyLabel: string;
  /** First row of its server count (the table spans the count over its policies). */
  first: boolean;
  /** Rows of this server count (the first row's span). */
  span: number;
  cells: string[];
}

export const TABLE_COLUMNS = ['Brakes', 'Time capped', 'Peak row', 'p99 row', 'Over budget', 'High thr.', 'Low thr.', 'High p99', 'Low p99'] as const;

export function plannerTable(r: SweepResult): TableRow[] {
  const order = new Map(POLICIES.map((p, i) => [p.id, i]));
  const pts = seedPoints(r).sort((a, b) => a.servers - b.servers || (order.get(a.policy) ?? 9) - (order.get(b.policy) ?? 9));
  const perCount = new Map<number, number>();
  for (const p of pts) perCount.set(p.servers, (perCount.get(p.servers) ?? 0) + 1);
  return pts.map((p, i) => ({
    servers: p.servers,
    policy: p.policy,
    policyLabel: POLICIES.find((x) => x.id === p.policy)?.label ?? p.policy,
    first: i === 0 || pts[i - 1]!.servers !== p.servers,
    span: perCount.get(p.servers) ?? 1,
    cells: [
      String(p.brakes),
      fmtPct(p.pctTimeCapped, 1),
      fmtPct(p.peakRowPct, 1),
      fmtPct(p.p99RowPct, 1),
      fmtDuration(p.secondsOver100 * 1000),
      fmtRatioPct(p.high.throughputRatio),
      fmtRatioPct(p.low.throughputRatio),
      fmtTimes(p.high.p99LatencyRatio),
      fmtTimes(p.low.p99LatencyRatio),
    ],
  }));
}

export const PLANNER_COLS = 4;
const LEFT = 52;
const RIGHT = 18;
/** Legend line. */
const TOP = 30;
/** Title and unit above each panel. */
const TITLE_H = 34;
/** x-axis labels under each panel before the next row's title. */
const AXIS_H = 26;
/** The bottom row's axis name. */
const BOTTOM = 20;
const HGAP = 60;

/** Panel rectangles (px) for `n` panels in `cols` columns across `width × height`: title, plot, axis labels per row. */
export function panelLayout(n: number, width: number, height: number, cols = PLANNER_COLS): Array<{ left: number; top: number; width: number; height: number }> {
  const rows = Math.ceil(n / cols);
  const w = Math.max(80, (width - LEFT - RIGHT - HGAP * (cols - 1)) / cols);
  const h = Math.max(60, (height - TOP - BOTTOM - (TITLE_H + AXIS_H) * rows) / rows);
  return Array.from({ length: n }, (_, i) => {
    const c = i % cols;
    const r = Math.floor(i / cols);
    return { left: LEFT + c * (w + HGAP), top: TOP + TITLE_H + r * (h + TITLE_H + AXIS_H), width: w, height: h };
  });
}

/** The whole chart: one grid per metric, one line per policy swept, the provisioned count marked on every panel. */
export function buildPlannerOption(r: SweepResult, widthPx: number, heightPx: number): Record<string, unknown> {
  const counts = serverCounts(r);
  const policies = sweptPolicies(r);
  const xMin = counts[0] ?? 0;
  const xMax = counts[counts.length - 1] ?? 1;
  const grids = panelLayout(PLANNER_METRICS.length, widthPx, heightPx);
  const series: Array<Record<string, unknown>> = [];
  PLANNER_METRICS.forEach((m, i) => {
    const data = metricSeries(r, m);
    policies.forEach((pol, k) => {
      const s: Record<string, unknown> = {
        id: `${m.id}:${pol.id}`,
        name: pol.label,
        type: 'line',
        xAxisIndex: i,
        yAxisIndex: i,
        data: data[pol.id],
        showSymbol: true,
        symbolSize: 5,
        // Headroom's own controller is drawn last and a little heavier, so the baselines never hide it.
        z: pol.id === 'headroom' ? 3 : 2,
        lineStyle: { width: pol.id === 'headroom' ? 2.4 : 1.8, color: pol.color, type: pol.dash },
        itemStyle: { color: pol.color },
      };
      // Reference lines ride on the first policy's series of each panel.
      if (k === 0) {
        // The provisioned count (dashed, unlabelled: the legend line names it), when it lies inside the sweep.
        const lines: Array<Record<string, unknown>> = [];
        if (r.provisionedServers > xMin && r.provisionedServers < xMax) lines.push({ xAxis: r.provisionedServers, lineStyle: { color: THEME.muted, type: 'dashed', width: 1 }, label: { show: false } });
        if (m.reference) lines.push({ yAxis: m.reference.y, lineStyle: { color: THEME.crit, type: 'solid', width: 1, opacity: 0.7 }, label: { formatter: m.reference.label, color: THEME.crit, fontSize: 10, position: 'insideEndBottom' } });
        s.markLine = { silent: true, symbol: 'none', animation: false, data: lines };
      }
      series.push(s);
    });
  });
  return {
    animation: false,
    backgroundColor: 'transparent',
    textStyle: { color: THEME.text, fontFamily: THEME.font },
    legend: { top: 4, left: LEFT, data: policies.map((p) => p.label), textStyle: { color: THEME.text }, itemWidth: 22, icon: 'roundRect' },
    title: PLANNER_METRICS.map((m, i) => ({
      text: m.title,
      subtext: m.unit,
      left: grids[i]!.left,
      top: grids[i]!.top - TITLE_H + 2,
      itemGap: 2,
      textStyle: { color: THEME.text, fontSize: 12, fontWeight: 600 },
      subtextStyle: { color: THEME.muted, fontSize: 10 },
    })),
    grid: grids.map((g) => ({ left: g.left, top: g.top, width: g.width, height: g.height })),
    xAxis: PLANNER_METRICS.map((_, i) => ({
      type: 'value',
      gridIndex: i,
      min: xMin,
      max: xMax,
      minInterval: 1,
      name: i >= PLANNER_METRICS.length - PLANNER_COLS ? 'servers per row' : '',
      nameLocation: 'middle',
      nameGap: 22,
      nameTextStyle: { color: THEME.muted, fontSize: 10 },
      axisLine: { lineStyle: { color: THEME.axis } },
      axisLabel: { color: THEME.muted, fontSize: 10 },
      splitLine: { show: false },
    })),
    yAxis: PLANNER_METRICS.map((m, i) => ({
      type: 'value',
      gridIndex: i,
      min: m.id === 'highThr' || m.id === 'lowThr' ? (e: { min: number }) => Math.floor(Math.min(e.min, 95) / 10) * 10 : m.id === 'highP99' || m.id === 'lowP99' ? 0 : undefined,
      max: yMax(m.id),
      splitNumber: 3,
      minInterval: m.id === 'brakes' || m.id === 'over' ? 1 : undefined,
      axisLabel: { color: THEME.muted, fontSize: 10, formatter: (v: number) => compact(v) },
      splitLine: { lineStyle: { color: THEME.grid } },
    })),
    tooltip: {
      ...axisTooltip(),
      formatter: (params: unknown) => plannerTooltip(params),
    },
    series,
  };
}

/** Round axis tops: throughput at 100 % (or just above), peak power at a nice value above 100 %. */
function yMax(id: string): ((e: { max: number }) => number) | undefined {
  if (id === 'highThr' || id === 'lowThr') return (e) => Math.ceil(Math.max(e.max, 100) / 5) * 5;
  if (id === 'peak') return (e) => niceCeil(Math.max(e.max, 105));
  return undefined;
}

function compact(v: number): string {
  if (Math.abs(v) >= 1000) return `${(v / 1000).toFixed(v % 1000 === 0 ? 0 : 1)}k`;
  return Number.isInteger(v) ? String(v) : v.toFixed(2).replace(/0+$/, '').replace(/\.$/, '');
}

interface TipParam { seriesId?: string; seriesName?: string; value: unknown; color?: string }

/** "48 servers" then one line per policy with the metric formatted in its unit. */
export function plannerTooltip(params: unknown): string {
  const list = (Array.isArray(params) ? params : [params]) as TipParam[];
  if (!list.length) return '';
  const first = list[0]!;
  const metricId = String(first.seriesId ?? '').split(':')[0];
  const m = PLANNER_METRICS.find((x) => x.id === metricId);
  const servers = Array.isArray(first.value) ? (first.value[0] as number) : NaN;
  const lines = list.map((p) => {
    const v = Array.isArray(p.value) ? (p.value[1] as number) : NaN;
    return `<div>${escapeHtml(p.seriesName ?? '')}: <b>${m ? escapeHtml(m.format(v)) : String(v)}</b></div>`;
  });
  return `<div>${escapeHtml(m?.title ?? '')} · ${servers} servers</div>${lines.join('')}`;
}
