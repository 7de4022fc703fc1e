/**
 * Source health as operators read it (status bar, Settings → Sources): worst first, one summary, one line per source.
 * Pure, and free of zod (the status bar is in the main bundle; the add form's validation lives in sourceForm.ts).
 */
import type { SourceHealth, SourceState } from '../../shared/domain/fleet.js';
import type { SourceConfig, SourceTestResult } from '../../shared/domain/sources.js';
import { fmtAge } from '../charts/format.js';

export type Tone = 'ok' | 'warn' | 'crit' | 'muted';

/** Lower is worse: down sorts first. */
export const STATE_RANK: Readonly<Record<SourceState, number>> = Object.freeze({ down: 0, stale: 1, up: 2 });

export function stateTone(s: SourceState): Tone {
  return s === 'up' ? 'ok' : s === 'stale' ? 'warn' : 'crit';
}

/** Worst state first (down, stale, up); then most errors; then by id. Does not modify `list`. */
export function worstFirst<T extends Pick<SourceHealth, 'id' | 'state' | 'errors'>>(list: readonly T[]): T[] {
  return [...list].sort((a, b) => STATE_RANK[a.state] - STATE_RANK[b.state] || b.errors - a.errors || a.id.localeCompare(b.id));
}

export interface SourcesSummary {
  total: number;
  up: number;
  stale: number;
  down: number;
  /** The worst state among the sources; null when there are none. */
  worst: SourceState | null;
  tone: Tone;
  /** "sources 3/4 up", "no sources". */
  text: string;
}

export function summarizeSources(list: readonly Pick<SourceHealth, 'state'>[]): SourcesSummary {
  let up = 0;
  let stale = 0;
  let down = 0;
  for (const s of list) {
    if (s.state === 'up') up++;
    else if (s.state === 'stale') stale++;
    else down++;
  }
  const total = list.length;
  const worst: SourceState | null = total === 0 ? null : down > 0 ? 'down' : stale > 0 ? 'stale' : 'up';
  return { total, up, stale, down, worst, tone: worst ? stateTone(worst) : 'muted', text: total === 0 ? 'no sources' : `sources ${up}/${total} up` };
}

/** A source that has sampled turns down only after this long without a sample (FleetSource and the engine). */
export const DOWN_AFTER_MS = 60_000;

/**
 * Age of the last sample: "0.4 s", "3 m 20 s"; "no samples" for a source that has never delivered one. The engine
 * reports such a source down with its age counted from when it was added, so a down source younger than
 * DOWN_AFTER_MS has never sampled.
 */
export function sampleAge(h: Pick<SourceHealth, 'state' | 'lastSampleAgeMs'>): string {
  if (h.state === 'down' && !(h.lastSampleAgeMs > DOWN_AFTER_MS)) return 'no samples';
  return fmtAge(h.lastSampleAgeMs);
}

export function errorsText(n: number): string {
  return `${n} error${n === 1 ? '' : 's'}`;
}

/** One line per source: "e2 (agent) down · last sample 1 m 05 s ago · 3 errors · connection refused by gpu-e2 (…)". */
export function healthLine(h: SourceHealth): string {
  const age = sampleAge(h);
  const parts = [`${h.id} (${KIND_LABEL[h.kind] ?? h.kind}) ${h.state}`, age === 'no samples' ? age : `last sample ${age} ago`, errorsText(h.errors)];
  if (h.lastError) parts.push(`last error: ${h.lastError}`);
  return parts.join(' · ');
}

/** The status bar's tooltip: the summary, then every source worst first. */
export function sourcesTooltip(list: readonly SourceHealth[]): string {
  const s = summarizeSources(list);
  if (s.total === 0) return 'No telemetry sources';
  return [`${s.text}${s.stale ? `, ${s.stale} stale` : ''}${s.down ? `, ${s.down} down` : ''}`, ...worstFirst(list).map(healthLine)].join('\n');
}

export const KIND_LABEL: Readonly<Record<SourceHealth['kind'], string>> = Object.freeze({
  sim: 'simulator',
  agent: 'agent',
  dcgm: 'dcgm-exporter',
  prometheus: 'Prometheus',
  replay: 'replay',
});

/** A glyph per kind (decoration: the label is always shown beside it). */
export const KIND_ICON: Readonly<Record<SourceHealth['kind'], string>> = Object.freeze({
  sim: '∿',
  agent: '⬢',
  dcgm: '▦',
  prometheus: '◎',
  replay: '↺',
});

/** Where a source reads from: its own description when it has one, else its configuration. */
export function whereOf(config: SourceConfig | null, health: Pick<SourceHealth, 'detail' | 'kind'>): string {
  if (health.detail) return health.detail;
  if (!config) return health.kind === 'sim' ? 'built-in simulator' : '—';
  if (config.kind === 'agent') return `${config.address ?? config.host}:${config.port}`;
  return config.url;
}

/** The host a source is filed under, when its configuration names one. */
export function hostOf(config: SourceConfig | null): string | null {
  if (!config) return null;
  if (config.kind === 'agent') return config.host;
  if (config.kind === 'dcgm') return config.host ?? null;
  return null;
}

/** Latency in ms → "12 ms", "1.24 s". */
export function fmtLatency(ms: number): string {
  if (!Number.isFinite(ms)) return '—';
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** A test's one line: "✓ 8 GPUs on gpu-e2 (sim), … · 12 ms" or "✗ connection refused … · 3 ms". */
export function testLine(r: SourceTestResult): string {
  return `${r.ok ? '✓' : '✗'} ${r.message} · ${fmtLatency(r.latencyMs)}`;
}

/** A certificate's expiry: "2027-01-02 (in 364 days)", warning within 30 days, critical once past. */
export function certExpiry(notAfter: string, nowMs: number): { text: string; tone: Tone } {
  const t = Date.parse(notAfter);
  if (!Number.isFinite(t)) return { text: notAfter, tone: 'muted' };
  const days = Math.trunc((t - nowMs) / 86_400_000);
  const date = new Date(t).toISOString().slice(0, 10);
  if (t <= nowMs) return { text: `${date} (expired)`, tone: 'crit' };
  return { text: `${date} (in ${days} day${days === 1 ? '' : 's'})`, tone: days < 30 ? 'warn' : 'ok' };
}

/**
 * The newest health per source: the list's, replaced by the status stream's (pushed every second) where that names
 * the same source, so the table stays as fresh as the status bar between polls.
 */
export function freshest<T extends { health: SourceHealth }>(rows: readonly T[], live: readonly SourceHealth[] | null | undefined): T[] {
  if (!live?.length) return [...rows];
  const byId = new Map(live.map((h) => [h.id, h]));
  return rows.map((r) => {
    const h = byId.get(r.health.id);
    return h && h.kind === r.health.kind ? { ...r, health: h } : r;
  });
}
