import { afterEach, describe, expect, it } from 'vitest';
import * as echarts from 'echarts';
import type { PlannerPolicy, SweepPoint, SweepResult } from '../../../shared/domain/planner.js';
import type { GpuHistory } from '../../../shared/domain/history.js';
import { chartCsv, chartStartMs, csvFileName, csvField, plainNumber, pngFileName } from '../../../renderer/charts/export.js';
import { buildPowerOption, type PowerPanel } from '../../../renderer/charts/power.js';
import { buildGpuHistoryOption } from '../../../renderer/charts/gpuHistory.js';
import { buildPlannerOption } from '../../../renderer/charts/planner.js';

/** Records of a CSV (RFC 4180, CRLF), each as its fields; quoted fields are unquoted. */
function parse(csv: string): string[][] {
  expect(csv.endsWith('\r\n')).toBe(true);
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < csv.length; i++) {
    const c = csv[i]!;
    if (quoted) {
      if (c === '"' && csv[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && csv[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

const T0 = Date.UTC(2026, 0, 1, 0, 0, 0);

/** Two panels on time axes, as the Power view names them: a title "Row A · kW · budget …" over each grid. */
const twoGrids = {
  title: [{ text: 'Row A  ·  kW  ·  budget 408.0 kW' }, { text: 'Row C  ·  kW  ·  budget 408.0 → 285.6 kW' }],
  grid: [{ top: 30 }, { top: 200 }],
  xAxis: [
    { type: 'time', gridIndex: 0, min: T0, max: T0 + 60_000 },
    { type: 'time', gridIndex: 1, min: T0, max: T0 + 60_000 },
  ],
  yAxis: [{ type: 'value', gridIndex: 0 }, { type: 'value', gridIndex: 1 }],
  series: [
    // Row A has no point at +20 s (a gap), row C none at +10 s and a null at +30 s.
    { name: 'Row A', type: 'line', xAxisIndex: 0, yAxisIndex: 0, data: [[T0, 300.5], [T0 + 10_000, 301.25], [T0 + 30_000, 299]] },
    { name: 'Row C', type: 'line', xAxisIndex: 1, yAxisIndex: 1, data: [[T0, 350], [T0 + 20_000, 280.1], [T0 + 30_000, null]] },
    // The budget: a step line (holds its value until the next point), read at every row; it adds no rows.
    { name: 'Row C 100 % of budget', type: 'line', step: 'end', xAxisIndex: 1, yAxisIndex: 1, data: [[T0 - 5_000, 408], [T0 + 15_000, 285.6], [T0 + 60_000, 285.6]] },
    // Not data: a markLine-only helper and an empty series.
    { name: 'limit', type: 'line', xAxisIndex: 0, yAxisIndex: 0, data: [], markLine: { data: [{ yAxis: 400 }] } },
    { name: 'nothing', type: 'line', xAxisIndex: 1, yAxisIndex: 1 },
  ],
};

describe('a chart’s series as CSV', () => {
  it('time axes on two grids: ISO UTC times, a column per series named by its panel and unit, gaps empty', () => {
    const rows = parse(chartCsv(twoGrids));
    expect(rows).toEqual([
      ['time', 'Row A · kW', 'Row C · kW', 'Row C 100 % of budget · kW'],
      ['2026-01-01T00:00:00.000Z', '300.5', '350', '408'],
      ['2026-01-01T00:00:10.000Z', '301.25', '', '408'],
      ['2026-01-01T00:00:20.000Z', '', '280.1', '285.6'],
      ['2026-01-01T00:00:30.000Z', '299', '', '285.6'],
    ]);
  });

  it('a category axis: plain values aligned with its data, pairs by index or by name, in the axis’s order', () => {
    const option = {
      xAxis: { type: 'category', data: ['Mon', { value: 'Tue' }, 'Wed', 'Thu'] },
      yAxis: { type: 'value' },
      series: [
        { name: 'jobs', type: 'bar', data: [3, '-', { value: 5 }, 0.1] },
        { name: 'errors', type: 'line', data: [[2, 1], ['Mon', 0], [3, null]] },
      ],
    };
    expect(parse(chartCsv(option))).toEqual([
      ['time', 'jobs', 'errors'],
      ['Mon', '3', '0'],
      ['Tue', '', ''],
      ['Wed', '5', '1'],
      ['Thu', '0.1', ''],
    ]);
  });

  it('quotes names and categories with commas, quotes or line breaks (RFC 4180)', () => {
    const option = {
      xAxis: { type: 'category', data: ['A, B', 'plain'] },
      yAxis: { type: 'value' },
      series: [
        { name: 'Rack "C03", top', type: 'line', data: [1, 2] },
        { name: 'two\nlines', type: 'line', data: [3, 4] },
      ],
    };
    const csv = chartCsv(option);
    expect(csv).toBe('time,"Rack ""C03"", top","two\nlines"\r\n"A, B",1,3\r\nplain,2,4\r\n');
    expect(parse(csv)[0]).toEqual(['time', 'Rack "C03", top', 'two\nlines']);
    expect(csvField('a"b')).toBe('"a""b"');
    expect(csvField('ok')).toBe('ok');
  });

  it('numbers are plain decimals, never exponents; non-finite values are gaps', () => {
    expect(plainNumber(1e-7)).toBe('0.0000001');
    expect(plainNumber(-1.5e-8)).toBe('-0.000000015');
    expect(plainNumber(1e21)).toBe('1000000000000000000000');
    expect(plainNumber(1.2345e22)).toBe('12345000000000000000000');
    expect(plainNumber(-0)).toBe('0');
    expect(plainNumber(408.25)).toBe('408.25');
    const option = { xAxis: { type: 'value' }, yAxis: { type: 'value' }, series: [{ name: 'y', data: [[1, 2e-7], [2, NaN], [3, Infinity], [4e21, 1]] }] };
    expect(parse(chartCsv(option))).toEqual([['time', 'y'], ['1', '0.0000002'], ['2', ''], ['3', ''], ['4000000000000000000000', '1']]);
  });

  it('a dataset read through encode (object of columns, rows with a header, row layout)', () => {
    const columns = {
      dataset: { source: { t: [T0, T0 + 1000], a: [1, null], b: [2, 3] } },
      xAxis: { type: 'time' },
      yAxis: { type: 'value' },
      series: [{ name: 'B', encode: { x: 't', y: 'b' } }, { name: 'A', encode: { x: ['t'], y: ['a'] } }],
    };
    expect(parse(chartCsv(columns))).toEqual([['time', 'B', 'A'], ['2026-01-01T00:00:00.000Z', '2', '1'], ['2026-01-01T00:00:01.000Z', '3', '']]);
    const rowsWithHeader = { dataset: [{ source: [['day', 'x', 'y'], ['Mon', 1, 2], ['Tue', 3, 4]] }], xAxis: { type: 'category' }, yAxis: {}, series: [{ name: 'x' }, { name: 'y' }] };
    expect(parse(chartCsv(rowsWithHeader))).toEqual([['time', 'x', 'y'], ['Mon', '1', '2'], ['Tue', '3', '4']]);
    const byRow = { dataset: { source: [['Mon', 'Tue'], [1, 3]], seriesLayoutBy: 'row', sourceHeader: false }, xAxis: { type: 'category' }, yAxis: {}, series: [{ name: 'v', encode: { x: 0, y: 1 } }] };
    expect(parse(chartCsv(byRow))).toEqual([['time', 'v'], ['Mon', '1'], ['Tue', '3']]);
  });

  it('no data, no CSV; repeated names are told apart', () => {
    expect(chartCsv(undefined)).toBe('');
    expect(chartCsv({ series: [{ name: 'helper', data: [], markLine: { data: [{ yAxis: 1 }] } }] })).toBe('');
    const twice = { xAxis: { type: 'value' }, yAxis: {}, series: [{ name: 's', data: [[1, 1]] }, { name: 's', data: [[1, 2]] }] };
    expect(parse(chartCsv(twice))[0]).toEqual(['time', 's', 's (2)']);
  });

  it('names files by the chart and the start of its time axis', () => {
    expect(csvFileName('power racks of row C', T0 + 4 * 60_000)).toBe('headroom-power-racks-of-row-c-20260101T000400Z.csv');
    expect(csvFileName('Planner: default sweep')).toBe('headroom-planner-default-sweep.csv');
    expect(csvFileName('…')).toBe('headroom-chart.csv');
    expect(pngFileName('C03-S2 GPU 2 · last hour', T0)).toBe('headroom-c03-s2-gpu-2-last-hour-20260101T000000Z.png');
    expect(chartStartMs(twoGrids)).toBe(T0);
    expect(chartStartMs({ xAxis: { type: 'time' }, series: [{ data: [[T0 + 5, 1], [T0 + 9, 2]] }] })).toBe(T0 + 5);
    expect(chartStartMs({ xAxis: { type: 'category' }, series: [{ data: [1] }] })).toBeUndefined();
  });
});

describe('the CSV of Headroom’s charts, as ECharts hands their options back', () => {
  let chart: ReturnType<typeof echarts.init> | null = null;
  afterEach(() => {
    chart?.dispose();
    chart = null;
  });
  /** Sets `option` on a server-side chart and returns what `getOption()` gives the export button. */
  function roundTrip(option: Record<string, unknown>): unknown {
    chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width: 1200, height: 600 });
    chart.setOption(option);
    return chart.getOption();
  }

  it('the Power view: panels from the dataset, budgets read at every bucket', () => {
    const panels: PowerPanel[] = [
      { id: 'site', title: 'Site', key: 'site', color: '#fff', budget: { tMs: [T0 - 60_000], kW: [800] } },
      { id: 'row:C', title: 'Row C', key: 'row:C', color: '#fff', budget: { tMs: [T0 - 60_000, T0 + 15_000], kW: [408, 285.6] } },
    ];
    const data = { t: [T0, T0 + 10_000, T0 + 20_000], cols: { site: [700.1, 690, 650], 'row:C': [350, null, 280] } };
    const rows = parse(chartCsv(roundTrip(buildPowerOption(panels, 600, data, { fromMs: T0 - 5_000, toMs: T0 + 30_000 }))));
    expect(rows[0]).toEqual([
      'time',
      'Site · kW',
      'Row C · kW',
      'Site 100 % of budget · kW',
      'Site 90 % of budget · kW',
      'Site 80 % of budget · kW',
      'Row C 100 % of budget · kW',
      'Row C 90 % of budget · kW',
      'Row C 80 % of budget · kW',
    ]);
    expect(rows.slice(1).map((r) => r.slice(0, 3))).toEqual([
      ['2026-01-01T00:00:00.000Z', '700.1', '350'],
      ['2026-01-01T00:00:10.000Z', '690', ''],
      ['2026-01-01T00:00:20.000Z', '650', '280'],
    ]);
    // Row C's 100 % line: 408 until the step at +15 s, 285.6 after.
    expect(rows.slice(1).map((r) => Number(r[6]))).toEqual([408, 408, 285.6]);
    expect(chartStartMs(chart!.getOption())).toBe(T0 - 5_000);
  });

  it('a GPU’s last hour: the limit holds between its steps', () => {
    const t = [T0, T0 + 1000, T0 + 2000, T0 + 3000];
    const h: GpuHistory = { gpu: 5, fromMs: T0, toMs: T0 + 4000, tMs: t, powerW: [600, 610, 440, 430], limitW: [700, 700, 450, 450], tempC: [60, 61, 58, 57], clockMHz: [1980, 1980, 1600, 1590], util: t.map(() => 1), flags: t.map(() => 0) };
    const rows = parse(chartCsv(roundTrip(buildGpuHistoryOption(h, { fromMs: T0, toMs: T0 + 3600_000 }, 260))));
    expect(rows).toEqual([
      ['time', 'Power · W', 'Power limit · W', 'Temperature · °C', 'SM clock · MHz'],
      ['2026-01-01T00:00:00.000Z', '600', '700', '60', '1980'],
      ['2026-01-01T00:00:01.000Z', '610', '700', '61', '1980'],
      ['2026-01-01T00:00:02.000Z', '440', '450', '58', '1600'],
      ['2026-01-01T00:00:03.000Z', '430', '450', '57', '1590'],
    ]);
  });

  it('the planner: servers per row, one column per metric and policy', () => {
    const point = (servers: number, policy: PlannerPolicy, brakes: number): SweepPoint => ({
      servers,
      seed: 7,
      policy,
      brakes,
      pctTimeCapped: servers / 2,
      peakRowPct: 80 + servers / 4,
      p99RowPct: 75,
      secondsOver100: brakes * 3,
      longestOverS: brakes,
      high: { throughputRatio: 0.995, p99LatencyRatio: 1.02 },
      low: { throughputRatio: 0.9, p99LatencyRatio: 1.4 },
      tokensPerS: servers * 100,
      tokensPerSPerKW: (servers * 100) / 313.8,
    });
    const r: SweepResult = {
      scenario: 'default',
      budgetKW: 313.8,
      provisionedServers: 40,
      durationS: 3600,
      seed: 7,
      demand: 'production',
      seeds: [7],
      points: [48, 40].flatMap((n) => [point(n, 'polca', n > 40 ? 2 : 0), point(n, 'none', 5), point(n, 'polca-no-priority', 1), point(n, 'headroom', 0)]),
      summary: [],
      reference: { servers: 40, tokensPerSPerKW: 12.7 },
    };
    const rows = parse(chartCsv(roundTrip(buildPlannerOption(r, 1200, 500))));
    expect(rows[0]!.slice(0, 5)).toEqual(['servers per row', 'Brake events · Headroom · count', 'Brake events · POLCA · count', 'Brake events · POLCA, no priority · count', 'Brake events · No capping · count']);
    expect(rows[0]).toHaveLength(1 + 8 * 4);
    expect(rows[0]).toContain('Peak row power · POLCA · % of budget');
    expect(rows[0]).toContain('Peak row power · Headroom · % of budget');
    expect(rows.slice(1).map((row) => row.slice(0, 5))).toEqual([
      ['40', '0', '0', '1', '5'],
      ['48', '0', '2', '1', '5'],
    ]);
  });
});
