/**
 * Replay with…: recorded and replayed side by side. One panel per row (power against the budget in force, brakes as
 * marks) and one for capped GPUs; a table of figures per row. Pure option and table builders; the view owns the chart.
 */
import type { ReplayResult, ReplaySide } from '../../shared/domain/replay.js';
import { fmtClock, fmtDuration, fmtPct } from './format.js';
import { escapeHtml } from './power.js';
import { axisTooltip, THEME } from './theme.js';

export const REPLAY_INK = {
  recorded: '#6b7688',
  base: '#3d9ee0',
  replay: '#f0a050',
  get budget() {
    return THEME.crit;
  },
} as const;

const PANEL_H = 150;
const GAP = 44;
const TOP = 36;

/** Chart height for a result: one power panel per row plus the capped-GPU panel. */
export function replayChartHeight(r: ReplayResult): number {
  return TOP + (r.series.rows.length + 1) * (PANEL_H + GAP);
}

/** A policy's name as people say it ("POLCA T2 = 95 %"). */
export function sideName(s: ReplaySide): string {
  if (s.policy === 'none') return 'no caps (brake only)';
  return `${s.policy === 'polca-no-priority' ? 'POLCA, no priority' : s.policy === 'headroom' ? 'Headroom' : 'POLCA'} T1 ${s.t1Pct} % · T2 ${s.t2Pct} %`;
}

export function buildReplayOption(r: ReplayResult): Record<string, unknown> {
  const rows = r.series.rows;
  const t = r.series.tMs;
  const grids: Array<Record<string, unknown>> = [];
  const xAxes: Array<Record<string, unknown>> = [];
  const yAxes: Array<Record<string, unknown>> = [];
  const series: Array<Record<string, unknown>> = [];
  const titles: Array<Record<string, unknown>> = [];
  const panels = rows.length + 1;
  for (let p = 0; p < panels; p++) {
    const top = TOP + p * (PANEL_H + GAP);
    grids.push({ left: 64, right: 24, top, height: PANEL_H });
    xAxes.push({
      type: 'time',
      gridIndex: p,
      min: r.fromMs,
      max: r.toMs,
      axisLine: { lineStyle: { color: THEME.axis } },
      axisLabel: { color: THEME.muted, fontSize: 11, hideOverlap: true, formatter: (v: number) => fmtClock(v) },
      splitLine: { show: false },
    });
    yAxes.push({
      type: 'value',
      gridIndex: p,
      name: p < rows.length ? 'kW' : 'GPUs',
      nameTextStyle: { color: THEME.muted, fontSize: 11 },
      axisLabel: { color: THEME.muted, fontSize: 11 },
      splitLine: { lineStyle: { color: THEME.grid } },
    });
    titles.push({
      text: p < rows.length ? `Row ${rows[p]!.id}: power vs budget` : 'GPUs capped (all rows)',
      top: top - 24,
      left: 64,
      textStyle: { color: THEME.text, fontSize: 12, fontWeight: 600 },
    });
  }
  const pairs = (vs: ReadonlyArray<number | null>) => vs.map((v, i) => [t[i]!, v] as [number, number | null]);
  rows.forEach((row, p) => {
    const brakeMarks = (side: 'base' | 'replay') =>
      r.series.brakes.filter((b) => b.row === row.id && b.side === side).map((b) => ({ xAxis: b.tMs, name: side === 'base' ? 'brake (as recorded)' : 'brake (replayed)' }));
    series.push(
      { name: `Row ${row.id} · recorded`, type: 'line', xAxisIndex: p, yAxisIndex: p, data: pairs(row.recordedKW), showSymbol: false, lineStyle: { width: 4, color: REPLAY_INK.recorded, opacity: 0.55 }, itemStyle: { color: REPLAY_INK.recorded }, connectNulls: false },
      {
        name: `Row ${row.id} · as recorded (re-run)`,
        type: 'line',
        xAxisIndex: p,
        yAxisIndex: p,
        data: pairs(row.baseKW),
        showSymbol: false,
        lineStyle: { width: 1.6, color: REPLAY_INK.base },
        itemStyle: { color: REPLAY_INK.base },
        markLine: { symbol: 'none', silent: true, label: { show: false }, lineStyle: { color: REPLAY_INK.base, type: 'dashed', width: 1 }, data: brakeMarks('base') },
      },
      {
        name: `Row ${row.id} · replayed`,
        type: 'line',
        xAxisIndex: p,
        yAxisIndex: p,
        data: pairs(row.replayKW),
        showSymbol: false,
        lineStyle: { width: 1.6, color: REPLAY_INK.replay },
        itemStyle: { color: REPLAY_INK.replay },
        markLine: { symbol: 'none', silent: true, label: { show: false }, lineStyle: { color: REPLAY_INK.replay, type: 'dashed', width: 1 }, data: brakeMarks('replay') },
      },
      ...(row.replayLowKW && row.replayHighKW
        ? [
            // The inferred demand's band (a fleet's replay): the low end, then the width stacked on it as an area.
            { name: `Row ${row.id} · replayed band low`, type: 'line', stack: `band-${row.id}`, xAxisIndex: p, yAxisIndex: p, data: pairs(row.replayLowKW), showSymbol: false, silent: true, lineStyle: { opacity: 0 }, itemStyle: { color: REPLAY_INK.replay } },
            {
              name: `Row ${row.id} · replayed band width`,
              type: 'line',
              stack: `band-${row.id}`,
              xAxisIndex: p,
              yAxisIndex: p,
              data: pairs(row.replayHighKW.map((h, i) => Math.round((h - (row.replayLowKW![i] ?? h)) * 10) / 10)),
              showSymbol: false,
              silent: true,
              lineStyle: { opacity: 0 },
              areaStyle: { color: REPLAY_INK.replay, opacity: 0.2 },
              itemStyle: { color: REPLAY_INK.replay },
            },
          ]
        : []),
      { name: `Row ${row.id} · budget`, type: 'line', step: 'end', xAxisIndex: p, yAxisIndex: p, data: pairs(row.budgetKW), showSymbol: false, lineStyle: { width: 1.4, type: 'dashed', color: REPLAY_INK.budget }, itemStyle: { color: REPLAY_INK.budget } },
    );
  });
  const cap = rows.length;
  const sumAt = (pick: (row: ReplayResult['series']['rows'][number]) => number[]) => t.map((ms, i) => [ms, rows.reduce((a, row) => a + (pick(row)[i] ?? 0), 0)] as [number, number]);
  series.push(
    { name: 'GPUs capped · as recorded (re-run)', type: 'line', xAxisIndex: cap, yAxisIndex: cap, data: sumAt((x) => x.baseCapped), showSymbol: false, lineStyle: { width: 1.6, color: REPLAY_INK.base }, itemStyle: { color: REPLAY_INK.base } },
    { name: 'GPUs capped · replayed', type: 'line', xAxisIndex: cap, yAxisIndex: cap, data: sumAt((x) => x.replayCapped), showSymbol: false, lineStyle: { width: 1.6, color: REPLAY_INK.replay }, itemStyle: { color: REPLAY_INK.replay } },
  );
  return {
    backgroundColor: 'transparent',
    animation: false,
    textStyle: { fontFamily: THEME.font },
    title: titles,
    grid: grids,
    xAxis: xAxes,
    yAxis: yAxes,
    axisPointer: { link: [{ xAxisIndex: 'all' }] },
    tooltip: {
      ...axisTooltip(),
      formatter: (ps: Array<{ seriesName: string; value: [number, number | null]; color: string }>) => {
        const first = ps[0];
        if (!first) return '';
        const lines = ps.filter((q) => !q.seriesName.includes('band')).map((q) => `<span style="color:${q.color}">●</span> ${escapeHtml(q.seriesName)}: ${q.value[1] === null ? '—' : q.value[1].toFixed(1)}`);
        const band = ps.filter((q) => q.seriesName.includes('band'));
        const lowQ = band.find((q) => q.seriesName.endsWith('band low'));
        const widthQ = band.find((q) => q.seriesName.endsWith('band width'));
        const bandLine = lowQ && widthQ && lowQ.value[1] !== null && widthQ.value[1] !== null ? `<br>replayed band ${lowQ.value[1].toFixed(1)} … ${(lowQ.value[1] + widthQ.value[1]).toFixed(1)}` : '';
        return `${fmtClock(first.value[0])}<br>${lines.join('<br>')}${bandLine}`;
      },
    },
    series,
  };
}

export interface ReplayRowLine {
  id: string;
  cells: Array<{ label: string; base: string; replay: string; changed: boolean }>;
}

/** Per row: brakes, peak % of budget, time over budget, GPU-time capped — as recorded and replayed. */
export function replayTable(r: ReplayResult): ReplayRowLine[] {
  return r.replay.rows.map((row) => {
    const b = r.base.rows.find((x) => x.id === row.id) ?? row;
    const cell = (label: string, f: (x: typeof row) => string) => ({ label, base: f(b), replay: f(row), changed: f(b) !== f(row) });
    return {
      id: row.id,
      cells: [
        cell('brakes', (x) => String(x.brakes)),
        cell('peak', (x) => fmtPct(x.peakPct, 1)),
        cell('over budget', (x) => fmtDuration(x.secondsOver100 * 1000)),
        cell('GPU-time capped', (x) => fmtPct(x.pctGpuTimeCapped, 1)),
        cell('energy', (x) => `${x.energyKWh.toFixed(1)} kWh`),
      ],
    };
  });
}
