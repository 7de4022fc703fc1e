/**
 * The Power view's data, pure: stored rollups and live snapshots on one bucket grid (so live points continue the
 * stored series with no seam), and budgets as step functions of time (so the past is judged against the budget
 * that was in force then, not today's).
 */
import type { RangeSeries } from '../../shared/domain/fleet.js';
import type { EventWindow } from '../../shared/domain/history.js';

/** Power of some entities on one bucket grid, kW: bucket start times and one column per entity. */
export interface Buckets {
  resMs: number;
  t: number[];
  cols: Array<Array<number | null>>;
}

export function emptyBuckets(resMs: number, entities: number): Buckets {
  return { resMs, t: [], cols: Array.from({ length: entities }, () => []) };
}

const isNum = (v: number | null | undefined): v is number => typeof v === 'number' && Number.isFinite(v);

/**
 * Stored rollups as buckets, columns in `ids` order. Buckets with no entity at all before the first and after the
 * last stored one are dropped: before, the run had not started; after, the store has not written them yet (the
 * bucket being filled is written when it closes). Empty buckets between stored ones stay: they are real gaps.
 */
export function bucketsFromRange(range: RangeSeries, ids: readonly string[]): Buckets {
  const col = ids.map((id) => range.ids.indexOf(id));
  const value = (c: number, k: number): number | null => (c >= 0 ? range.avgKW[c]?.[k] ?? null : null);
  const has = (k: number) => col.some((c) => isNum(value(c, k)));
  let first = 0;
  while (first < range.tMs.length && !has(first)) first++;
  let last = range.tMs.length - 1;
  while (last >= first && !has(last)) last--;
  const b = emptyBuckets(range.resS * 1000, ids.length);
  for (let k = first; k <= last; k++) {
    b.t.push(range.tMs[k]!);
    col.forEach((c, i) => b.cols[i]!.push(value(c, k)));
  }
  return b;
}

/** Two answers over the same window and resolution as one (e.g. a row and its racks): their columns side by side. */
export function joinRanges(a: RangeSeries, b: RangeSeries | null): RangeSeries {
  if (!b) return a;
  return { ...a, ids: [...a.ids, ...b.ids], avgKW: [...a.avgKW, ...b.avgKW], maxKW: [...a.maxKW, ...b.maxKW] };
}

/** `b` with everything from the tail's first bucket on replaced by the tail (a re-read of the newest buckets). */
export function spliceTail(b: Buckets, tail: Buckets): Buckets {
  if (!tail.t.length) return b;
  let keep = b.t.length;
  while (keep > 0 && b.t[keep - 1]! >= tail.t[0]!) keep--;
  return { resMs: b.resMs, t: [...b.t.slice(0, keep), ...tail.t], cols: b.cols.map((c, i) => [...c.slice(0, keep), ...(tail.cols[i] ?? tail.t.map(() => null))]) };
}

/** Snapshots averaged into buckets of the stored grid: the bucket being filled is the mean of what was seen in it. */
export interface LiveBins {
  resMs: number;
  t: number[];
  sum: number[][];
  n: number[][];
}

export function emptyLive(resMs: number, entities: number): LiveBins {
  return { resMs, t: [], sum: Array.from({ length: entities }, () => []), n: Array.from({ length: entities }, () => []) };
}

/** Adds one snapshot's values (kW, one per entity) at `tMs`; older than the newest bucket is ignored. */
export function addLive(bins: LiveBins, tMs: number, valuesKW: ArrayLike<number>): boolean {
  const start = Math.floor(tMs / bins.resMs) * bins.resMs;
  const last = bins.t.length - 1;
  if (last >= 0 && start < bins.t[last]!) return false;
  const fresh = last < 0 || start > bins.t[last]!;
  if (fresh) bins.t.push(start);
  const k = bins.t.length - 1;
  bins.sum.forEach((s, e) => {
    const v = valuesKW[e];
    const ok = isNum(v);
    if (fresh) {
      s.push(ok ? v : 0);
      bins.n[e]!.push(ok ? 1 : 0);
    } else if (ok) {
      s[k]! += v;
      bins.n[e]![k]! += 1;
    }
  });
  return true;
}

/** Drops live buckets at or before `tMs` (the store has them now, complete). */
export function dropLiveThrough(bins: LiveBins, tMs: number): void {
  let k = 0;
  while (k < bins.t.length && bins.t[k]! <= tMs) k++;
  if (!k) return;
  bins.t.splice(0, k);
  bins.sum.forEach((s) => s.splice(0, k));
  bins.n.forEach((s) => s.splice(0, k));
}

/**
 * One series from stored buckets and live bins: the stored ones, then the live buckets after the last stored one.
 * Where they meet nothing is inserted: buckets the store has not written yet are simply not points, so the line
 * runs on from the last stored bucket to the first live one instead of breaking (the next tail read fills them in).
 */
export function mergeSeries(stored: Buckets, live: LiveBins): Buckets {
  const lastStored = stored.t.length ? stored.t[stored.t.length - 1]! : -Infinity;
  let k = 0;
  while (k < live.t.length && live.t[k]! <= lastStored) k++;
  const t = stored.t.concat(live.t.slice(k));
  const cols = stored.cols.map((c, e) => {
    const out = c.slice();
    for (let j = k; j < live.t.length; j++) {
      const n = live.n[e]?.[j] ?? 0;
      out.push(n > 0 ? live.sum[e]![j]! / n : null);
    }
    return out;
  });
  return { resMs: stored.resMs, t, cols };
}

/** Drops buckets before `fromMs` (a live window moving on). */
export function dropBefore(b: Buckets, fromMs: number): Buckets {
  let k = 0;
  while (k < b.t.length && b.t[k]! < fromMs) k++;
  return k ? { resMs: b.resMs, t: b.t.slice(k), cols: b.cols.map((c) => c.slice(k)) } : b;
}

/** Column-wise sum per bucket (the site from its rows); null where no column has a value. */
export function sumColumns(cols: ReadonlyArray<ReadonlyArray<number | null>>, length: number): Array<number | null> {
  return Array.from({ length }, (_, k) => {
    let sum = 0;
    let any = false;
    for (const c of cols) {
      const v = c[k];
      if (isNum(v)) {
        sum += v;
        any = true;
      }
    }
    return any ? sum : null;
  });
}

/** A budget over time: `kW[i]` is in force from `tMs[i]` until the next step. */
export interface BudgetSteps {
  tMs: number[];
  kW: number[];
}

/**
 * Adds a step at `tMs` when the budget differs from the one in force; false when nothing changed. Budgets are kept to
 * 0.1 kW, as snapshots carry them (events carry the engine's full value): the same budget never reads as a change.
 */
export function addBudgetStep(s: BudgetSteps, tMs: number, budgetKW: number): boolean {
  if (!isNum(budgetKW)) return false;
  const kW = Math.round(budgetKW * 10) / 10;
  const n = s.kW.length;
  if (n && (s.kW[n - 1] === kW || tMs < s.tMs[n - 1]!)) return false;
  if (n && tMs === s.tMs[n - 1]) s.kW[n - 1] = kW;
  else {
    s.tMs.push(tMs);
    s.kW.push(kW);
  }
  return true;
}

/**
 * Each row's budget over a window from its stored events: the budget in force at the window's start (the last one
 * before it), then every change. A row the store says nothing about (no store, or a window before the run) gets
 * `fallbackKW` from the window's start: the only budget known.
 */
export function budgetStepsFromEvents(w: EventWindow, rows: readonly string[], fallbackKW: readonly number[]): BudgetSteps[] {
  return rows.map((row, i) => {
    const s: BudgetSteps = { tMs: [], kW: [] };
    const before = w.budgetsBefore.find((e) => e.subject === row);
    if (before) addBudgetStep(s, w.fromMs, Number(before.body.budgetKW));
    for (const e of w.events) if (e.kind === 'budget' && e.subject === row) addBudgetStep(s, e.tMs, Number(e.body.budgetKW));
    if (!s.kW.length && isNum(fallbackKW[i])) addBudgetStep(s, w.fromMs, fallbackKW[i]);
    return s;
  });
}

/** A budget that never changes (a rack's). */
export function constantBudget(kW: number, fromMs: number): BudgetSteps {
  return { tMs: [fromMs], kW: [kW] };
}

/**
 * The budget in force at `tMs`: the last step at or before it. Before the first step, the first: a run notes its
 * budgets at its first tick, a little after the bucket that tick falls in begins.
 */
export function budgetAt(s: BudgetSteps, tMs: number): number | null {
  if (!s.kW.length) return null;
  let lo = 0;
  let hi = s.tMs.length - 1;
  if (tMs < s.tMs[0]!) return s.kW[0]!;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (s.tMs[mid]! <= tMs) lo = mid;
    else hi = mid - 1;
  }
  return s.kW[lo]!;
}

/** Power as % of the budget in force at that instant; null when either is unknown. */
export function pctOfBudget(kW: number | null, s: BudgetSteps, tMs: number): number | null {
  const b = budgetAt(s, tMs);
  return isNum(kW) && b !== null && b > 0 ? (kW / b) * 100 : null;
}

/** Sum of several budgets over time (the site's from its rows): a step wherever any of them steps. */
export function sumBudgets(list: readonly BudgetSteps[]): BudgetSteps {
  const times = [...new Set(list.flatMap((s) => s.tMs))].sort((a, b) => a - b);
  const out: BudgetSteps = { tMs: [], kW: [] };
  for (const t of times) {
    let sum = 0;
    for (const s of list) sum += budgetAt(s, t) ?? 0;
    addBudgetStep(out, t, Math.round(sum * 10) / 10);
  }
  return out;
}

/**
 * Points of a step line (ECharts `step: 'end'`: each value holds until the next point) for `frac` × the budget over
 * [fromMs, toMs]: the value in force at fromMs, every change inside, and the last value carried to toMs.
 */
export function stepLine(s: BudgetSteps, fromMs: number, toMs: number, frac = 1): Array<[number, number]> {
  const start = budgetAt(s, fromMs);
  if (start === null || !(toMs > fromMs)) return [];
  const scale = (v: number) => Math.round(v * frac * 1000) / 1000;
  const pts: Array<[number, number]> = [[fromMs, scale(start)]];
  for (let i = 0; i < s.tMs.length; i++) {
    const v = scale(s.kW[i]!);
    // A step to the value already in force (the run's first budget, after a frame opening before it) is no step.
    if (s.tMs[i]! > fromMs && s.tMs[i]! < toMs && v !== pts[pts.length - 1]![1]) pts.push([s.tMs[i]!, v]);
  }
  pts.push([toMs, pts[pts.length - 1]![1]]);
  return pts;
}
