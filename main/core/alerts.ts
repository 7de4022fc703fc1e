import type { Alert, Severity } from '../../shared/domain/fleet.js';
import type { AlertRule } from '../../shared/domain/alerts.js';
import { alertGroupKey, GROUP_INTERVAL_S } from '../../shared/domain/alertGroups.js';

/** One subject meeting one rule's condition at one instant (subjects not meeting it are simply absent). */
export interface Observation {
  rule: AlertRule;
  subject: Alert['subject'];
  /** Row of the subject, for grouping (null for sources). */
  row: string | null;
  value: number;
  unit: string;
  summary: string;
}

/** Alert instances by id, with the time each last saw its condition true (for keep-firing). */
export interface AlertBook {
  alerts: Map<string, Alert>;
  lastTrueMs: Map<string, number>;
  /** Resolved alerts kept for the history list, newest last, bounded. */
  resolved: Alert[];
  /** When each alert id last resolved after firing, and how often it had come back (flap control). */
  lastResolved: Map<string, { atMs: number; flaps: number }>;
  /** When each alert id last started firing as a new firing (notified; flap returns do not count). */
  lastFiredMs: Map<string, number>;
  /** When each group (rule × row) last notified. */
  groupNotifiedMs: Map<string, number>;
}

export const RESOLVED_HISTORY = 500;

export function createAlertBook(): AlertBook {
  return { alerts: new Map(), lastTrueMs: new Map(), resolved: [], lastResolved: new Map(), lastFiredMs: new Map(), groupNotifiedMs: new Map() };
}

/**
 * Advance the lifecycle (Prometheus semantics): inactive → pending when the condition first holds; pending → firing
 * once it has held `forS`; pending → dropped if it clears before; firing → resolved once it has been false for
 * `keepFiringForS`. Subjects without an observation this round count as false.
 * Flap control: an alert that comes back less than its rule's `refireAfterS` after it last fired (as a new firing)
 * resumes without counting as a new firing (`flaps` + 1, not in `fired`, no notification): a row riding waves around a
 * threshold notifies at most once per `refireAfterS`, however long it flaps.
 * Notifications, Alertmanager-style: grouped by rule × row; a new firing notifies its group unless the group notified
 * less than GROUP_INTERVAL_S ago (members joining within that interval ride on the notification already sent).
 * Returns whether anything changed, which alerts started firing (new, not resumed) and the groups notified.
 */
export function evaluateAlerts(
  book: AlertBook,
  rules: readonly AlertRule[],
  observations: readonly Observation[],
  nowMs: number,
): { changed: boolean; fired: Alert[]; notified: string[] } {
  let changed = false;
  const fired: Alert[] = [];
  const notified: string[] = [];
  const seen = new Set<string>();
  for (const o of observations) {
    const id = `${o.rule.id}:${o.subject.id}`;
    seen.add(id);
    book.lastTrueMs.set(id, nowMs);
    let a = book.alerts.get(id);
    if (!a) {
      a = {
        id,
        rule: o.rule.id,
        severity: o.rule.severity,
        state: 'pending',
        subject: o.subject,
        summary: o.summary,
        value: o.value,
        unit: o.unit,
        activeSinceMs: nowMs,
        firingSinceMs: null,
        resolvedAtMs: null,
        row: o.row,
        ack: null,
        silencedBy: null,
        inhibitedBy: null,
      };
      const lastFired = book.lastFiredMs.get(id);
      if (lastFired !== undefined && nowMs - lastFired < (o.rule.refireAfterS ?? 0) * 1000) a.flaps = (book.lastResolved.get(id)?.flaps ?? 0) + 1;
      book.alerts.set(id, a);
      changed = true;
    } else {
      a.value = o.value;
      a.summary = o.summary;
    }
    if (a.state === 'pending' && nowMs - a.activeSinceMs >= o.rule.forS * 1000) {
      a.state = 'firing';
      a.firingSinceMs = nowMs;
      a.firingValue = a.value;
      changed = true;
      if (!a.flaps) {
        fired.push(a);
        book.lastFiredMs.set(id, nowMs);
        const g = alertGroupKey(a);
        if (!(nowMs - (book.groupNotifiedMs.get(g) ?? -Infinity) < GROUP_INTERVAL_S * 1000)) {
          book.groupNotifiedMs.set(g, nowMs);
          notified.push(g);
        }
      }
    }
  }
  const byId = new Map(rules.map((r) => [r.id, r]));
  for (const [id, a] of book.alerts) {
    if (seen.has(id)) continue;
    const keepMs = (byId.get(a.rule)?.keepFiringForS ?? 0) * 1000;
    const last = book.lastTrueMs.get(id) ?? a.activeSinceMs;
    if (a.state === 'pending' || nowMs - last >= keepMs) {
      book.alerts.delete(id);
      book.lastTrueMs.delete(id);
      if (a.state === 'firing') {
        book.resolved.push({ ...a, state: 'resolved', resolvedAtMs: nowMs });
        if (book.resolved.length > RESOLVED_HISTORY) book.resolved.shift();
        book.lastResolved.set(id, { atMs: nowMs, flaps: a.flaps ?? 0 });
      }
      changed = true;
    }
  }
  // Flap memory older than any rule's window is dropped (bounded by the subjects that ever fired).
  if (book.lastResolved.size > RESOLVED_HISTORY || book.lastFiredMs.size > RESOLVED_HISTORY) {
    const keepMs = Math.max(0, ...rules.map((r) => (r.refireAfterS ?? 0) * 1000));
    for (const [id, r] of book.lastResolved) if (nowMs - r.atMs >= keepMs) book.lastResolved.delete(id);
    for (const [id, t] of book.lastFiredMs) if (nowMs - t >= keepMs && !book.alerts.has(id)) book.lastFiredMs.delete(id);
  }
  return { changed, fired, notified };
}

/** Current alerts (pending and firing), most severe first, then oldest first. */
export function activeAlerts(book: AlertBook): Alert[] {
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  return [...book.alerts.values()].sort((x, y) => rank[x.severity] - rank[y.severity] || x.activeSinceMs - y.activeSinceMs);
}
