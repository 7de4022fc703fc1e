/** The audit view's filters, paging and wording. Pure. */
import type { AuditKind, AuditQuery, AuditRecord, OverrideAction, Target } from '../../shared/domain/control.js';
import type { Topology } from '../../shared/domain/topology.js';
import { describeTarget } from '../../shared/naming.js';
import { describeAction } from './control.js';
import { fmtSimTime } from '../charts/format.js';

export const AUDIT_KINDS: readonly AuditKind[] = ['override', 'override-clear', 'policy', 'automation', 'brake', 'actuation', 'ack', 'silence', 'unsilence', 'refusal', 'drill', 'source', 'run', 'incident', 'maintenance', 'armed', 'sim', 'lever', 'controller'];
export const AUDIT_OUTCOMES: ReadonlyArray<AuditRecord['outcome']> = ['ok', 'refused', 'failed'];

export interface AuditFilter {
  kind: AuditKind | '';
  actor: string;
  target: string;
  outcome: AuditRecord['outcome'] | '';
}

export const EMPTY_FILTER: AuditFilter = Object.freeze({ kind: '', actor: '', target: '', outcome: '' });

/** The `audit:list` payload for a filter and a page (records older than `beforeSeq`, newest first). */
export function auditQuery(f: AuditFilter, beforeSeq: number | null, limit: number): Partial<AuditQuery> {
  const q: Partial<AuditQuery> = { limit };
  if (f.kind) q.kind = f.kind;
  if (f.outcome) q.outcome = f.outcome;
  if (f.actor.trim()) q.actor = f.actor.trim();
  if (f.target.trim()) q.target = f.target.trim();
  if (beforeSeq !== null) q.beforeSeq = beforeSeq;
  return q;
}

/**
 * Whether a record pushed live belongs on the page the filter shows, matching as the engine does: kind, outcome and
 * actor exactly; target as a case-insensitive substring.
 */
export function matchesFilter(r: AuditRecord, f: AuditFilter): boolean {
  if (f.kind && r.kind !== f.kind) return false;
  if (f.outcome && r.outcome !== f.outcome) return false;
  if (f.actor.trim() && r.actor !== f.actor.trim()) return false;
  const t = f.target.trim().toLowerCase();
  return !t || r.target.toLowerCase().includes(t);
}

/**
 * Adds a live record to the newest page: newest first, no duplicates, at most `pageSize` (the oldest drops off).
 * Returns the same array when the record is already there.
 */
export function prependLive(page: readonly AuditRecord[], r: AuditRecord, pageSize: number): AuditRecord[] {
  if (page.some((x) => x.seq === r.seq)) return page as AuditRecord[];
  const out = [r, ...page].sort((a, b) => b.seq - a.seq);
  return out.slice(0, pageSize);
}

/** Paging over `seq`, newest first: the cursor of the page after this one. */
export function olderCursor(page: readonly AuditRecord[]): number | null {
  if (page.length === 0) return null;
  return Math.min(...page.map((r) => r.seq));
}

export const KIND_LABEL: Record<AuditKind, string> = {
  override: 'override set',
  'override-clear': 'override cleared',
  policy: 'policy changed',
  automation: 'automation',
  brake: 'brake',
  actuation: 'actuation',
  ack: 'acknowledged',
  silence: 'silenced',
  unsilence: 'unsilenced',
  refusal: 'refused',
  drill: 'drill',
  source: 'source changed',
  run: 'run started/stopped',
  incident: 'incident saved',
  maintenance: 'maintenance window',
  armed: 'armed response lifted',
  sim: 'paused / resumed / speed',
  lever: 'lever changed (TAPAS)',
  controller: 'controller took the lead',
};

/**
 * A recorded value as people read it: an override's JSON becomes "power cap 450 W per GPU on rack D03, 32 GPUs,
 * until …" (GPUs named by the topology when given); other JSON objects become "key: value" pairs; plain text stays.
 */
export function readableValue(v: string, topology: Topology | null = null): string {
  const t = v.trim();
  if (!t.startsWith('{')) return v;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(t) as Record<string, unknown>;
  } catch {
    return v;
  }
  if (!o || typeof o !== 'object' || Array.isArray(o)) return v;
  const parts: string[] = [];
  const rest = { ...o };
  if (o.action && typeof o.action === 'object' && o.target && typeof o.target === 'object') {
    try {
      parts.push(`${describeAction(o.action as OverrideAction)} on ${describeTarget(o.target as Target, topology)}`);
      delete rest.action;
      delete rest.target;
    } catch {
      // Not an override after all: fall through to key/value pairs.
    }
  }
  if (typeof rest.gpus === 'number') {
    parts.push(`${rest.gpus} GPUs`);
    delete rest.gpus;
  }
  if (typeof rest.expiresAtMs === 'number') {
    parts.push(`until ${fmtSimTime(rest.expiresAtMs)}`);
    delete rest.expiresAtMs;
  }
  for (const [k, val] of Object.entries(rest)) parts.push(`${k}: ${typeof val === 'object' ? JSON.stringify(val) : String(val)}`);
  return parts.join(', ');
}

/** "old → new", or one side when the other is empty. */
export function changeText(r: AuditRecord, topology: Topology | null = null): string {
  const o = readableValue(r.oldValue, topology);
  const n = readableValue(r.newValue, topology);
  if (o && n) return `${o} → ${n}`;
  return n || (o ? `${o} → (none)` : '');
}

/** File name for an export: "headroom-audit-20260101-140322Z.csv" (wall clock, UTC). */
export function csvFileName(nowMs: number): string {
  const d = new Date(nowMs);
  const p = (n: number) => String(n).padStart(2, '0');
  return `headroom-audit-${d.getUTCFullYear()}${p(d.getUTCMonth() + 1)}${p(d.getUTCDate())}-${p(d.getUTCHours())}${p(d.getUTCMinutes())}${p(d.getUTCSeconds())}Z.csv`;
}
