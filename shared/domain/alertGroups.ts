import type { Alert, Severity } from './fleet.js';

/**
 * Alert groups, as Alertmanager's `group_by: [rule, row]`: one card and one notification per rule × row, with its
 * count and its worst member. One definition for the engine's notifications, the report, Alertmanager and the console.
 */

/** A group notifies again for a new member only this long after its last notification (Alertmanager's group_interval). */
export const GROUP_INTERVAL_S = 300;

export function alertGroupKey(a: Pick<Alert, 'rule' | 'row'>): string {
  return `${a.rule}/${a.row ?? '-'}`;
}

export interface AlertGroup {
  key: string;
  rule: string;
  row: string | null;
  severity: Severity;
  /** Members, worst first (firing before pending, then the highest value, then the oldest). */
  alerts: Alert[];
  firing: number;
  /** Members not yet acknowledged (and not silenced or inhibited): what still needs a person. */
  unacked: number;
  /** Every member is silenced or inhibited. */
  muted: boolean;
  /** The earliest member's activeSinceMs. */
  sinceMs: number;
}

const SEVERITY_RANK: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Group alerts by rule × row; groups most severe first, then with unacknowledged members, then oldest. */
export function groupAlerts(alerts: readonly Alert[]): AlertGroup[] {
  const by = new Map<string, Alert[]>();
  for (const a of alerts) {
    const k = alertGroupKey(a);
    const list = by.get(k);
    if (list) list.push(a);
    else by.set(k, [a]);
  }
  const groups: AlertGroup[] = [];
  for (const [key, list] of by) {
    list.sort((x, y) => Number(y.state === 'firing') - Number(x.state === 'firing') || y.value - x.value || x.activeSinceMs - y.activeSinceMs);
    const muted = list.every((a) => a.silencedBy !== null || a.inhibitedBy !== null);
    groups.push({
      key,
      rule: list[0]!.rule,
      row: list[0]!.row,
      severity: list.reduce<Severity>((w, a) => (SEVERITY_RANK[a.severity] < SEVERITY_RANK[w] ? a.severity : w), 'info'),
      alerts: list,
      firing: list.filter((a) => a.state === 'firing').length,
      unacked: list.filter((a) => a.ack === null && a.silencedBy === null && a.inhibitedBy === null && a.state !== 'resolved').length,
      muted,
      sinceMs: Math.min(...list.map((a) => a.activeSinceMs)),
    });
  }
  return groups.sort((x, y) => Number(x.muted) - Number(y.muted) || SEVERITY_RANK[x.severity] - SEVERITY_RANK[y.severity] || Number(y.unacked > 0) - Number(x.unacked > 0) || x.sinceMs - y.sinceMs);
}
