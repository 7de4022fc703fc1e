/** Grouping alerts by row, silence matchers pre-filled from an alert, and how handled alerts read. Pure. */
import type { Alert } from '../../shared/domain/fleet.js';
import type { Silence } from '../../shared/domain/control.js';

export interface AlertGroup {
  /** Row id, or null for alerts without a row (sources, site). */
  row: string | null;
  title: string;
  alerts: Alert[];
  /** Not resolved, not silenced, not inhibited: what still needs someone. */
  open: number;
}

/** Groups keep the alerts' order (already sorted) and follow the site's row order; alerts without a row go last. */
export function groupByRow(alerts: readonly Alert[], rowOrder: readonly string[]): AlertGroup[] {
  const groups = new Map<string | null, Alert[]>();
  for (const a of alerts) {
    const key = a.row ?? null;
    let g = groups.get(key);
    if (!g) groups.set(key, (g = []));
    g.push(a);
  }
  const keys = [...groups.keys()].sort((a, b) => {
    if (a === null) return 1;
    if (b === null) return -1;
    const ia = rowOrder.indexOf(a);
    const ib = rowOrder.indexOf(b);
    return (ia < 0 ? Infinity : ia) - (ib < 0 ? Infinity : ib) || a.localeCompare(b);
  });
  return keys.map((row) => {
    const list = groups.get(row)!;
    return { row, title: row === null ? 'Site and sources' : `Row ${row}`, alerts: list, open: list.filter(needsAttention).length };
  });
}

/** Active, not silenced, not inhibited, not acknowledged. */
export function needsAttention(a: Alert): boolean {
  return a.state !== 'resolved' && !a.silencedBy && !a.inhibitedBy && !a.ack;
}

/** Muted: silenced or inhibited (shown, but not counted as needing attention). */
export function isMuted(a: Alert): boolean {
  return !!a.silencedBy || !!a.inhibitedBy;
}

export type SilenceScope = 'subject' | 'row' | 'rule';

/** Matchers for silencing an alert: its rule and its subject, or its rule and its whole row, or the rule everywhere. */
export function silenceMatchers(a: Alert, scope: SilenceScope): Silence['matchers'] {
  const rule = { field: 'rule' as const, value: a.rule };
  if (scope === 'subject') return [rule, { field: 'subject', value: a.subject.id }];
  if (scope === 'row' && a.row) return [rule, { field: 'row', value: a.row }];
  return [rule];
}

/** Scopes offered for an alert (a row scope only when the alert has a row). */
export function silenceScopes(a: Alert): Array<{ scope: SilenceScope; label: string }> {
  const out: Array<{ scope: SilenceScope; label: string }> = [{ scope: 'subject', label: `${a.rule} on ${a.subject.kind} ${a.subject.id}` }];
  if (a.row && !(a.subject.kind === 'row' && a.subject.id === a.row)) out.push({ scope: 'row', label: `${a.rule} anywhere in row ${a.row}` });
  out.push({ scope: 'rule', label: `${a.rule} everywhere` });
  return out;
}

/** "rule = rowPower90, row = D". */
export function describeMatchers(m: Silence['matchers']): string {
  return m.map((x) => `${x.field} = ${x.value}`).join(', ');
}

/** Whether a matcher list matches an alert (exact, or a trailing "*" for a prefix), as the engine defines it. */
export function matchesAlert(m: Silence['matchers'], a: Alert): boolean {
  const fieldOf = (f: Silence['matchers'][number]['field']): string | null =>
    f === 'rule' ? a.rule : f === 'severity' ? a.severity : f === 'subject' ? a.subject.id : a.row;
  return m.every((x) => {
    const v = fieldOf(x.field);
    if (v === null) return false;
    return x.value.endsWith('*') ? v.startsWith(x.value.slice(0, -1)) : v === x.value;
  });
}

/** Silence durations offered (seconds). */
export const SILENCE_DURATIONS: ReadonlyArray<{ id: string; label: string; seconds: number | null }> = [
  { id: '30m', label: '30 min', seconds: 1800 },
  { id: '1h', label: '1 h', seconds: 3600 },
  { id: '4h', label: '4 h', seconds: 4 * 3600 },
  { id: '24h', label: '24 h', seconds: 24 * 3600 },
  { id: 'custom', label: 'custom…', seconds: null },
];
