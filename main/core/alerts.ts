import type { Alert, Severity } from '../../shared/domain/fleet.js';
import type { AlertRule } from '../../shared/domain/alerts.js';

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
}

export const RESOLVED_HISTORY = 500;

export function createAlertBook(): AlertBook {
  return { alerts: new Map(), lastTrueMs: new Map(), resolved: [] };
}

/**
 * Advance the lifecycle (Prometheus semantics): inactive → pending when the condition first holds; pending → firing
 * once it has held `forS`; pending → dropped if it clears before; firing → resolved once it has been false for
 * `keepFiringForS`. Subjects without an observation this round count as false. Returns whether anything changed and
 * which alerts started firing.
 */
export function evaluateAlerts(
  book: AlertBook,
  rules: readonly AlertRule[],
  observations: readonly Observation[],
  nowMs: number,
): { changed: boolean; fired: Alert[] } {
  let changed = false;
  const fired: Alert[] = [];
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
      book.alerts.set(id, a);
      changed = true;
    } else {
      a.value = o.value;
      a.summary = o.summary;
    }
    if (a.state === 'pending' && nowMs - a.activeSinceMs >= o.rule.forS * 1000) {
      a.state = 'firing';
      a.firingSinceMs = nowMs;
      fired.push(a);
      changed = true;
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
      }
      changed = true;
    }
  }
  return { changed, fired };
}

/** Current alerts (pending and firing), most severe first, then oldest first. */
export function activeAlerts(book: AlertBook): Alert[] {
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  return [...book.alerts.values()].sort((x, y) => rank[x.severity] - rank[y.severity] || x.activeSinceMs - y.activeSinceMs);
}
