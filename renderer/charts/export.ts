/**
 * A chart's series as CSV, from the option ECharts hands back (`chart.getOption()`), and the names of exported
 * files. Pure: no DOM, no ECharts import; the component turns the text into a download.
 *
 * One row per x value (the union of every data series' x values, in axis order), one column per series:
 * - x: ISO 8601 UTC for a time axis with epoch-ms values, the category (or plain number) otherwise; the column is
 *   `time`, or the x axis's name when the chart names it (the planner's "servers per row").
 * - a series' column is its name; when the chart has several grids, its panel's title is read as "name · unit · …"
 *   (Headroom's convention) and gives "Row C · kW", "Power limit · W", "Brake events · POLCA · count".
 * - data comes as `[x, y]` pairs, `{ value }` items, plain values aligned with the category axis's `data`, or from a
 *   dataset through `encode` (the Power view's panels).
 * - a step line (a budget, a power limit) holds its value between its points, so it is read at every row the
 *   other series have (what the chart draws there), and adds no rows of its own.
 * - a series without data (a markLine-only helper, an empty series) has no column; a missing point is an empty cell.
 */

type Rec = Record<string, unknown>;
type AxisKind = 'time' | 'value' | 'category';
/** A row's key: epoch ms or a plain number on time and value axes, the category on a category axis. */
type XKey = number | string;

interface Axis {
  kind: AxisKind;
  name: string;
  categories: string[];
}

interface Column {
  name: string;
  kind: AxisKind;
  step: 'start' | 'middle' | 'end' | null;
  points: Array<[XKey, number | null]>;
}

const isRec = (v: unknown): v is Rec => typeof v === 'object' && v !== null && !Array.isArray(v);
/** An option's component as a list (ECharts hands back arrays; hand-written options may hold one object). */
function list(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  return v === undefined || v === null ? [] : [v];
}
const str = (v: unknown): string => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : '');

/** A y value: a finite number, or null for a gap (null, '-', NaN, anything else). */
function yOf(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && v !== '-' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

function axisOf(raw: unknown): Axis {
  const a = isRec(raw) ? raw : {};
  const type = str(a.type) || 'category';
  const kind: AxisKind = type === 'time' ? 'time' : type === 'value' || type === 'log' ? 'value' : 'category';
  const categories = list(a.data).map((d) => str(isRec(d) ? d.value : d));
  return { kind, name: str(a.name).trim(), categories };
}

/** The row key of an x value on `axis`, or null when there is none. */
function xKey(v: unknown, axis: Axis): XKey | null {
  if (isRec(v)) return xKey(v.value, axis);
  if (axis.kind === 'category') {
    // A number on a category axis is an index into its data (as ECharts reads it).
    if (typeof v === 'number') return Number.isInteger(v) && axis.categories[v] !== undefined ? axis.categories[v] : String(v);
    return typeof v === 'string' ? v : null;
  }
  if (typeof v === 'number') return Number.isFinite(v) ? v : null;
  if (typeof v === 'string' && v.trim() !== '') {
    const n = axis.kind === 'time' && !/^-?\d+(\.\d+)?$/.test(v.trim()) ? Date.parse(v) : Number(v);
    return Number.isFinite(n) ? n : null;
  }
  if (v instanceof Date) return Number.isFinite(v.getTime()) ? v.getTime() : null;
  return null;
}

/** The first dimension `encode` names for `dim` ('x' or 'y'): a name or an index. */
function encoded(series: Rec, dim: 'x' | 'y'): string | number | undefined {
  const e = isRec(series.encode) ? series.encode[dim] : undefined;
  const first = Array.isArray(e) ? e[0] : e;
  return typeof first === 'string' || typeof first === 'number' ? first : undefined;
}

/** A dataset as named columns (column-wise, whatever way its source is laid out). */
function datasetColumns(ds: Rec): { names: string[]; cols: unknown[][] } {
  const src = ds.source;
  const dimNames = list(ds.dimensions).map((d) => str(isRec(d) ? d.name : d));
  if (isRec(src)) {
    const names = Object.keys(src);
    return { names, cols: names.map((k) => list(src[k])) };
  }
  const rows = list(src);
  const firstRow = rows.find((r) => r !== null && r !== undefined);
  if (isRec(firstRow)) {
    const names = dimNames.length ? dimNames : Object.keys(firstRow);
    return { names, cols: names.map((k) => rows.map((r) => (isRec(r) ? r[k] : undefined))) };
  }
  // Arrays of arrays: rows of dimensions, or (seriesLayoutBy 'row') each row a dimension.
  let grid = rows.map((r) => list(r));
  if (ds.seriesLayoutBy === 'row') {
    const width = Math.max(0, ...grid.map((r) => r.length));
    grid = Array.from({ length: width }, (_, j) => grid.map((r) => r[j]));
  }
  const head = ds.sourceHeader;
  const headerRows =
    typeof head === 'number' ? head : head === true ? 1 : head === false ? 0 : grid[0]?.length && grid[0].every((c) => typeof c === 'string' && !Number.isFinite(Number(c))) ? 1 : 0;
  const width = Math.max(0, ...grid.map((r) => r.length));
  const names = Array.from({ length: width }, (_, j) => dimNames[j] ?? (headerRows ? str(grid[0]?.[j]) : String(j)));
  const body = grid.slice(headerRows);
  return { names, cols: names.map((_, j) => body.map((r) => r[j])) };
}

/** Index of a dimension named or numbered `d`. */
function dimIndex(names: string[], d: string | number | undefined, fallback: number): number {
  if (typeof d === 'number') return d;
  if (typeof d === 'string') return names.indexOf(d);
  return fallback;
}

/** The (x, y) points of a series, from its data or its dataset; x already as row keys. */
function seriesPoints(series: Rec, axis: Axis, option: Rec, datasetOrder: number): Array<[XKey, number | null]> {
  const out: Array<[XKey, number | null]> = [];
  const data = series.data;
  if (data !== undefined && data !== null) {
    const xi = typeof encoded(series, 'x') === 'number' ? (encoded(series, 'x') as number) : 0;
    const yi = typeof encoded(series, 'y') === 'number' ? (encoded(series, 'y') as number) : 1;
    list(data).forEach((item, i) => {
      const v = isRec(item) ? item.value : item;
      const pair = Array.isArray(v) || (ArrayBuffer.isView(v) && !(v instanceof DataView)) ? list(v) : null;
      // A plain value sits at its index: the i-th category, or x = i on a value axis.
      const x = pair ? xKey(pair[xi], axis) : axis.kind === 'category' ? (axis.categories[i] ?? String(i)) : i;
      if (x !== null) out.push([x, yOf(pair ? pair[yi] : v)]);
    });
    return out;
  }
  // From a dataset.
  const datasets = list(option.dataset);
  const ds = typeof series.datasetId === 'string' ? datasets.find((d) => isRec(d) && d.id === series.datasetId) : datasets[typeof series.datasetIndex === 'number' ? series.datasetIndex : 0];
  if (!isRec(ds)) return out;
  const { names, cols } = datasetColumns(ds);
  const xs = cols[dimIndex(names, encoded(series, 'x'), 0)];
  const ys = cols[dimIndex(names, encoded(series, 'y'), 1 + datasetOrder)];
  if (!xs || !ys) return out;
  xs.forEach((xv, i) => {
    const x = axis.kind === 'category' && xv === undefined ? (axis.categories[i] ?? String(i)) : xKey(xv, axis);
    if (x !== null) out.push([x, yOf(ys[i])]);
  });
  return out;
}

/** "Row C  ·  kW  ·  budget 408.0 kW" → { panel: 'Row C', unit: 'kW' }; a subtext is the unit when there is one. */
function panelOf(title: unknown): { panel: string; unit: string } {
  if (!isRec(title)) return { panel: '', unit: '' };
  const parts = str(title.text).split('·').map((s) => s.trim());
  const sub = str(title.subtext).trim();
  return { panel: parts[0] ?? '', unit: sub || (parts[1] ?? '') };
}

/** A series' column name; with several grids, its panel's name and unit around it. */
function columnName(series: Rec, index: number, panel: { panel: string; unit: string } | null): string {
  const own = str(series.name).trim() || str(series.id).trim() || `series ${index + 1}`;
  if (!panel) return own;
  const parts = [];
  if (panel.panel && own !== panel.panel && !own.startsWith(`${panel.panel} `)) parts.push(panel.panel);
  parts.push(own);
  if (panel.unit) parts.push(panel.unit);
  return parts.join(' · ');
}

/** The data series of an option as columns, in series order. */
function columns(option: Rec): { cols: Column[]; xName: string } {
  const xAxes = list(option.xAxis).map(axisOf);
  const yAxes = list(option.yAxis);
  const grids = list(option.grid);
  const titles = list(option.title);
  const several = grids.length > 1;
  const cols: Column[] = [];
  let xName = '';
  let datasetOrder = 0;
  list(option.series).forEach((raw, i) => {
    if (!isRec(raw)) return;
    const xi = typeof raw.xAxisId === 'string' ? list(option.xAxis).findIndex((a) => isRec(a) && a.id === raw.xAxisId) : typeof raw.xAxisIndex === 'number' ? raw.xAxisIndex : 0;
    const axis = xAxes[xi] ?? { kind: 'category', name: '', categories: [] };
    const fromDataset = raw.data === undefined || raw.data === null;
    const points = seriesPoints(raw, axis, option, fromDataset && encoded(raw, 'y') === undefined ? datasetOrder : 0);
    if (fromDataset && encoded(raw, 'y') === undefined) datasetOrder++;
    if (!points.length) return;
    // The series' panel: its x axis's grid, named by the title of the same index when every grid has one.
    const yAxis = yAxes[typeof raw.yAxisIndex === 'number' ? raw.yAxisIndex : 0];
    const gi = numberOr(isRec(list(option.xAxis)[xi]) ? (list(option.xAxis)[xi] as Rec).gridIndex : undefined, numberOr(isRec(yAxis) ? yAxis.gridIndex : undefined, 0));
    const yName = isRec(yAxis) ? str(yAxis.name).trim() : '';
    const panel = several ? (titles.length === grids.length ? panelOf(titles[gi]) : { panel: '', unit: '' }) : null;
    if (panel && yName) panel.unit = yName;
    const stepRaw = raw.step;
    const step = stepRaw === true || stepRaw === 'start' ? 'start' : stepRaw === 'middle' || stepRaw === 'end' ? stepRaw : null;
    if (!xName && axis.kind !== 'time' && axis.name) xName = axis.name;
    cols.push({ name: columnName(raw, i, panel), kind: axis.kind, step, points });
  });
  // The planner names only its bottom row's axes: any named x axis of the data series names the column.
  if (!xName && cols.length && cols.every((c) => c.kind !== 'time')) xName = xAxes.find((a) => a.kind !== 'time' && a.name)?.name ?? '';
  return { cols: uniqueNames(cols), xName };
}

const numberOr = (v: unknown, d: number): number => (typeof v === 'number' ? v : d);

/** Repeated column names get " (2)", " (3)". */
function uniqueNames(cols: Column[]): Column[] {
  const seen = new Map<string, number>();
  for (const c of cols) {
    const n = (seen.get(c.name) ?? 0) + 1;
    seen.set(c.name, n);
    if (n > 1) c.name = `${c.name} (${n})`;
  }
  return cols;
}

/** A step line's value at `x`: what the chart draws there (null outside its span). */
function stepValue(points: ReadonlyArray<[number, number | null]>, step: 'start' | 'middle' | 'end', x: number): number | null {
  const first = points[0];
  const last = points[points.length - 1];
  if (!first || !last || x < first[0] || x > last[0]) return null;
  // The last point at or before x.
  let lo = 0;
  let hi = points.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (points[mid]![0] <= x) lo = mid;
    else hi = mid - 1;
  }
  const at = points[lo]!;
  const next = points[lo + 1];
  if (at[0] === x || !next) return at[1];
  if (step === 'end') return at[1];
  if (step === 'start') return next[1];
  return x < (at[0] + next[0]) / 2 ? at[1] : next[1];
}

/** RFC 4180: a field with a comma, a quote or a line break is quoted, its quotes doubled. */
export function csvField(s: string): string {
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/** A number as a plain decimal: 0.0000001, not 1e-7; 1000000000000000000000, not 1e+21. */
export function plainNumber(n: number): string {
  if (!Number.isFinite(n)) return '';
  if (Object.is(n, -0)) return '0';
  const s = String(n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s;
  const [, sign, lead, frac = '', expS] = m;
  const digits = `${lead}${frac}`;
  const exp = Number(expS);
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  return `${sign}${digits.length > exp + 1 ? `${digits.slice(0, exp + 1)}.${digits.slice(exp + 1)}` : digits + '0'.repeat(exp + 1 - digits.length)}`;
}

/** An epoch-ms instant as ISO 8601 UTC; anything out of range as a plain number. */
function isoTime(ms: number): string {
  return Math.abs(ms) <= 8.64e15 ? new Date(ms).toISOString() : plainNumber(ms);
}

/** The chart's series as CSV (header, then one CRLF-terminated record per x value); '' when it has no data. */
export function chartCsv(option: unknown): string {
  if (!isRec(option)) return '';
  const { cols, xName } = columns(option);
  if (!cols.length) return '';
  const timeAxis = cols.some((c) => c.kind === 'time');
  // Rows: every x of the series that are not step lines (all of them when every series is one).
  const rowCols = cols.some((c) => !c.step) ? cols.filter((c) => !c.step) : cols;
  const keys = new Map<XKey, number>();
  for (const c of rowCols) for (const [x] of c.points) if (!keys.has(x)) keys.set(x, keys.size);
  const categoryOrder = new Map<string, number>();
  for (const c of cols) for (const [x] of c.points) if (typeof x === 'string' && !categoryOrder.has(x)) categoryOrder.set(x, categoryOrder.size);
  const xs = [...keys.keys()].sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    if (typeof a === 'number') return -1;
    if (typeof b === 'number') return 1;
    return (categoryOrder.get(a) ?? 0) - (categoryOrder.get(b) ?? 0);
  });
  // Each column's values by row key (the last point wins where a series repeats an x).
  const lookups = cols.map((c) => {
    if (c.step) {
      const pts = c.points.filter((p): p is [number, number | null] => typeof p[0] === 'number').sort((a, b) => a[0] - b[0]);
      const byKey = new Map<XKey, number | null>(c.points.filter((p) => typeof p[0] === 'string'));
      return (x: XKey) => (typeof x === 'number' ? stepValue(pts, c.step!, x) : (byKey.get(x) ?? null));
    }
    const byKey = new Map<XKey, number | null>(c.points);
    return (x: XKey) => byKey.get(x) ?? null;
  });
  const header = [xName || 'time', ...cols.map((c) => c.name)].map(csvField).join(',');
  const lines = xs.map((x) => {
    const first = typeof x === 'number' ? (timeAxis ? isoTime(x) : plainNumber(x)) : csvField(x);
    return [first, ...lookups.map((get) => {
      const v = get(x);
      return v === null ? '' : plainNumber(v);
    })].join(',');
  });
  return [header, ...lines].map((l) => `${l}\r\n`).join('');
}

/**
 * Where the chart's time axis starts (its min, else its first data), for file names; undefined when the chart has
 * no time axis.
 */
export function chartStartMs(option: unknown): number | undefined {
  if (!isRec(option)) return undefined;
  const axes = list(option.xAxis).filter((a) => isRec(a) && a.type === 'time') as Rec[];
  const mins = axes.map((a) => a.min).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (mins.length) return Math.min(...mins);
  if (!axes.length) return undefined;
  const firsts = columns(option)
    .cols.filter((c) => c.kind === 'time')
    .flatMap((c) => c.points.map((p) => p[0]))
    .filter((x): x is number => typeof x === 'number');
  return firsts.length ? Math.min(...firsts) : undefined;
}

/** "Power · racks of row C", 1767225840000 → "headroom-power-racks-of-row-c-20260101T000400Z.csv". */
export function csvFileName(name: string, fromMs?: number): string {
  return exportFileName(name, 'csv', fromMs);
}

/** The same name for a picture of the chart. */
export function pngFileName(name: string, fromMs?: number): string {
  return exportFileName(name, 'png', fromMs);
}

/** A file name safe on every desktop: lower-case letters, digits and dashes, then the start as ISO 8601 basic UTC. */
export function exportFileName(name: string, ext: string, fromMs?: number): string {
  const slug =
    name
      .normalize('NFKD')
      .replace(/[\u0300-\u036f]/g, '')
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '-')
      .replace(/^-+|-+$/g, '')
      .slice(0, 80)
      .replace(/-+$/, '') || 'chart';
  const stamp = fromMs !== undefined && Number.isFinite(fromMs) && Math.abs(fromMs) <= 8.64e15 ? `-${new Date(fromMs).toISOString().slice(0, 19).replace(/[-:]/g, '')}Z` : '';
  return `headroom-${slug.replace(/^headroom-/, '')}${stamp}.${ext}`;
}
