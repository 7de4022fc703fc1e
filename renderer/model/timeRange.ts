/**
 * The Power view's time window: presets that end now and follow the live data, or a fixed custom window. Times are
 * the engine's clock (simulated, epoch ms) and read in UTC, like every time on the screen. Pure.
 */

export type RangePreset = '15m' | '1h' | '6h' | '24h' | '7d';

export const PRESETS: ReadonlyArray<{ id: RangePreset; label: string; spanMs: number }> = [
  { id: '15m', label: '15 min', spanMs: 15 * 60_000 },
  { id: '1h', label: '1 h', spanMs: 3600_000 },
  { id: '6h', label: '6 h', spanMs: 6 * 3600_000 },
  { id: '24h', label: '24 h', spanMs: 24 * 3600_000 },
  { id: '7d', label: '7 days', spanMs: 7 * 24 * 3600_000 },
];

/** The longest window the store answers in one request (`telemetry:range`). */
export const MAX_SPAN_MS = 7 * 24 * 3600_000;

/** Rollups are stored at 10 s (kept 14 days) and 60 s (400 days): the finer one up to this span. */
export const FINE_UP_TO_MS = 6 * 3600_000;

export type TimeRange = { kind: 'preset'; preset: RangePreset } | { kind: 'custom'; fromMs: number; toMs: number };

/** A window on the engine's clock; `live` windows end now and follow the snapshots. */
export interface Window {
  fromMs: number;
  toMs: number;
  resS: 10 | 60;
  live: boolean;
}

export function presetSpanMs(p: RangePreset): number {
  return PRESETS.find((x) => x.id === p)?.spanMs ?? 3600_000;
}

/** Rollup resolution for a window of `spanMs`: 10 s up to 6 h, 60 s beyond. */
export function resolutionFor(spanMs: number): 10 | 60 {
  return spanMs <= FINE_UP_TO_MS ? 10 : 60;
}

/** The window a range means at `nowMs` (the engine's clock). */
export function resolveWindow(r: TimeRange, nowMs: number): Window {
  if (r.kind === 'custom') return { fromMs: r.fromMs, toMs: r.toMs, resS: resolutionFor(r.toMs - r.fromMs), live: false };
  const span = presetSpanMs(r.preset);
  return { fromMs: nowMs - span, toMs: nowMs, resS: resolutionFor(span), live: true };
}

const pad = (n: number) => String(n).padStart(2, '0');

/**
 * Epoch ms → "2026-01-01 00:10", the form the custom window's fields take (UTC, 24 h, like every time on the screen;
 * a datetime-local field would show the browser's locale, e.g. "12:10 AM", next to a UTC label).
 */
export function toUtcInput(ms: number): string {
  if (!Number.isFinite(ms)) return '';
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** "2026-01-01 00:10" (or with a T, seconds optional) read as UTC; null if it is not a date and time. */
export function fromUtcInput(s: string): number | null {
  const m = /^(\d{4})-(\d\d)-(\d\d)[T ](\d\d):(\d\d)(?::(\d\d))?$/.exec(s.trim());
  if (!m) return null;
  const [y, mo, d, h, mi, se] = m.slice(1).map((x) => Number(x ?? 0)) as [number, number, number, number, number, number];
  const ms = Date.UTC(y, mo - 1, d, h, mi, se);
  const back = new Date(ms);
  // Date.UTC rolls 2026-02-30 over to March: such a date is not one.
  return back.getUTCMonth() === mo - 1 && back.getUTCDate() === d && h < 24 && mi < 60 && se < 60 ? ms : null;
}

/** What is wrong with a custom window, in the operator's words, or null when it can be shown. */
export function customWindowError(from: string, to: string): string | null {
  const f = fromUtcInput(from);
  const t = fromUtcInput(to);
  if (f === null) return 'From is not a date and time';
  if (t === null) return 'To is not a date and time';
  if (t <= f) return 'To must be after From';
  if (t - f > MAX_SPAN_MS) return 'A window is at most 7 days';
  return null;
}
