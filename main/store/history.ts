import type { EventWindow, GpuHistory, RunEvent } from '../../shared/domain/history.js';
import type { DB } from './db.js';
import { gpuSeries } from './telemetry.js';

/**
 * Reading a run's history for the faces (the Power view's budget steps, the Rack view's GPU history): the events of a
 * window and one GPU's metrics. Database first; every query is an index range on a primary key (asserted in
 * test/integration/store/history.test.ts).
 */

/** One answer carries at most this many events (a week of a busy run's stages fits many times over). */
export const MAX_EVENTS = 20_000;

/** The run's events in [fromMs, toMs), oldest first: a range of the events key (run, t_ms, seq). */
export const EVENTS_SQL = 'SELECT t_ms, seq, kind, subject, body FROM events WHERE run = ? AND t_ms >= ? AND t_ms < ? ORDER BY t_ms, seq LIMIT ?';

/**
 * The last budget of one row before `t_ms`: walks the events key backwards from the window's start. Budgets are noted
 * at a run's first tick and whenever they change, so the walk stops at the latest change (or the run's first tick).
 */
export const BUDGET_BEFORE_SQL =
  "SELECT t_ms, seq, kind, subject, body FROM events WHERE run = ? AND t_ms < ? AND kind = 'budget' AND subject = ? ORDER BY t_ms DESC, seq DESC LIMIT 1";

type EventRow = [number, number, string, string, string];

function toEvent(r: EventRow): RunEvent {
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(r[4]);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    // A body that is not JSON reads as empty rather than failing the whole window.
  }
  return { tMs: r[0], seq: r[1], kind: r[2], subject: r[3], body };
}

/**
 * Events of `run` in [fromMs, toMs) (only `kinds`, when given), and for each of `rows` the last budget before fromMs
 * (rows that had none before the window are left out: their first budget is inside it, or they have none).
 */
export function eventWindow(db: DB, run: number, q: { fromMs: number; toMs: number; kinds?: readonly string[] }, rows: readonly string[]): EventWindow {
  const kinds = q.kinds?.length ? new Set(q.kinds) : null;
  const stmt = db.prepare(EVENTS_SQL).raw(true);
  const events: RunEvent[] = [];
  let truncated = false;
  // Filtering kinds here, not in SQL, keeps the plan a plain key range; the limit applies to what is kept.
  let from = q.fromMs;
  let afterSeq = -1;
  for (;;) {
    const batch = stmt.all(run, from, q.toMs, MAX_EVENTS + 1) as EventRow[];
    for (const r of batch) {
      if (r[0] === from && r[1] <= afterSeq) continue;
      if (kinds && !kinds.has(r[2])) continue;
      if (events.length === MAX_EVENTS) {
        truncated = true;
        break;
      }
      events.push(toEvent(r));
    }
    const last = batch.at(-1);
    if (truncated || batch.length <= MAX_EVENTS || !last || (last[0] === from && last[1] <= afterSeq)) break;
    // A full batch of other kinds: go on from its last key.
    from = last[0];
    afterSeq = last[1];
  }
  const before = db.prepare(BUDGET_BEFORE_SQL).raw(true);
  const budgetsBefore: RunEvent[] = [];
  for (const row of rows) {
    const r = before.get(run, q.fromMs, row) as EventRow | undefined;
    if (r) budgetsBefore.push(toEvent(r));
  }
  return { fromMs: q.fromMs, toMs: q.toMs, events, budgetsBefore, truncated };
}

const finiteOrNull = (v: number): number | null => (Number.isFinite(v) ? v : null);

/** One GPU's stored metrics over [fromMs, toMs) of `run` (store/telemetry.ts `gpuSeries`), NaN as null. */
export function gpuHistory(db: DB, run: number, gpu: number, fromMs: number, toMs: number): GpuHistory {
  const s = gpuSeries(db, run, gpu, fromMs, toMs);
  return {
    gpu,
    fromMs,
    toMs,
    tMs: s.tMs,
    powerW: s.powerW.map(finiteOrNull),
    limitW: s.limitW.map(finiteOrNull),
    tempC: s.tempC.map(finiteOrNull),
    clockMHz: s.clockMHz.map(finiteOrNull),
    util: s.util.map(finiteOrNull),
    flags: s.flags.map(finiteOrNull),
  };
}
