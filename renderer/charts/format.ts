/** Number and time formatting for operators: units always attached, tabular-friendly widths. Pure. */

const DASH = '—';

function ok(v: number | null | undefined): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

/** Watts → "612 W". */
export function fmtW(w: number | null | undefined): string {
  return ok(w) ? `${Math.round(w)} W` : DASH;
}

/** Watts → kilowatts with one decimal below 1000 kW, MW above ("42.3 kW", "3.42 MW"). */
export function fmtKWFromW(w: number | null | undefined): string {
  return ok(w) ? fmtKW(w / 1000) : DASH;
}

export function fmtKW(kw: number | null | undefined): string {
  if (!ok(kw)) return DASH;
  if (Math.abs(kw) >= 1000) return `${(kw / 1000).toFixed(2)} MW`;
  return `${kw.toFixed(1)} kW`;
}

export function fmtPct(p: number | null | undefined, digits = 0): string {
  return ok(p) ? `${p.toFixed(digits)} %` : DASH;
}

export function fmtC(c: number | null | undefined, digits = 1): string {
  return ok(c) ? `${c.toFixed(digits)} °C` : DASH;
}

export function fmtMHz(m: number | null | undefined): string {
  return ok(m) ? `${Math.round(m)} MHz` : DASH;
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, '0');
}

/** Epoch ms → "2025-06-01 14:03:22 UTC" (simulated clocks are shown in UTC so every operator reads the same time). */
export function fmtSimTime(ms: number | null | undefined): string {
  if (!ok(ms)) return DASH;
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())} UTC`;
}

/** Epoch ms → "14:03:22" UTC. */
export function fmtClock(ms: number | null | undefined): string {
  if (!ok(ms)) return DASH;
  const d = new Date(ms);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** A duration in ms → "45 s", "3 m 20 s", "2 h 05 m", "3 d 4 h". Negative durations read as 0 s. */
export function fmtDuration(ms: number | null | undefined): string {
  if (!ok(ms)) return DASH;
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} m ${pad(s % 60)} s`;
  const h = Math.floor(m / 60);
  if (h < 48) return `${h} h ${pad(m % 60)} m`;
  return `${Math.floor(h / 24)} d ${h % 24} h`;
}

/** "3 m 20 s ago", relative to `nowMs` (the simulated clock, not the wall clock). */
export function fmtAgo(sinceMs: number | null | undefined, nowMs: number | null | undefined): string {
  if (!ok(sinceMs) || !ok(nowMs)) return DASH;
  return `${fmtDuration(nowMs - sinceMs)} ago`;
}

/** Age of a sample in ms → "0.8 s" / "12 s" / "3 m 20 s". */
export function fmtAge(ms: number | null | undefined): string {
  if (!ok(ms)) return DASH;
  if (ms < 10_000) return `${(Math.max(0, ms) / 1000).toFixed(1)} s`;
  return fmtDuration(ms);
}

/** Speed multiplier → "×60", "×0.5". */
export function fmtSpeed(speed: number | null | undefined): string {
  if (!ok(speed)) return DASH;
  return `×${Number.isInteger(speed) ? speed : speed.toFixed(1)}`;
}

/** Value with its unit as an alert carries it ("93.2 %", "31.0 °C", "612 W"). */
export function fmtValueUnit(value: number, unit: string): string {
  if (!ok(value)) return DASH;
  const u = unit.trim();
  if (u === 'W') return fmtW(value);
  if (u === 'kW') return fmtKW(value);
  if (u === 'MHz') return fmtMHz(value);
  // Counts (GPUs, racks, ticks, servers, rows) are whole numbers.
  const digits = Math.abs(value) >= 100 || (Number.isInteger(value) && !['%', '°C', 's', '°C/min'].includes(u)) ? 0 : 1;
  return u ? `${value.toFixed(digits)} ${u}` : value.toFixed(digits);
}

/** Signed kW with a true minus sign: "+1.2 kW", "−21.0 kW". */
export function fmtDeltaKW(kw: number | null | undefined): string {
  if (!ok(kw)) return DASH;
  const s = fmtKW(Math.abs(kw));
  return kw > 0.05 ? `+${s}` : kw < -0.05 ? `−${s}` : `±${fmtKW(0)}`;
}

/** Time left until `endMs` on the simulated clock: "in 14 m 20 s", or "expired" / "overdue". */
export function fmtUntil(endMs: number | null | undefined, nowMs: number | null | undefined, past = 'expired'): string {
  if (!ok(endMs) || !ok(nowMs)) return DASH;
  return endMs <= nowMs ? past : `in ${fmtDuration(endMs - nowMs)}`;
}

/** A ratio against a baseline as a percentage: 0.973 → "97.3 %". */
export function fmtRatioPct(r: number | null | undefined, digits = 1): string {
  return ok(r) ? `${(r * 100).toFixed(digits)} %` : DASH;
}

/** A latency ratio as a multiplier: 1.234 → "×1.23". */
export function fmtTimes(r: number | null | undefined, digits = 2): string {
  return ok(r) ? `×${r.toFixed(digits)}` : DASH;
}

/** A count with its noun, singular or plural: "1 GPU", "32 GPUs". */
export function fmtCount(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
