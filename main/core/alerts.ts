import type { Alert, Severity } from '../../shared/domain/fleet.js';
import type { AlertRule } from '../../shared/domain/alerts.js';

/** One subject's reading for one rule at one instant. */
export interface Observation {
  rule: AlertRule;
  subject: Alert['subject'];
  active: boolean;
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
 * `keepFiringForS`. Observations not reported this round count as false. Returns whether anything changed.
 */
export function evaluateAlerts(book: AlertBook, observations: readonly Observation[], nowMs: number): boolean {
  let changed = false;
  const seen = new Set<string>();
  for (const o of observations) {
    if (!o.active) continue;
    const id = `${o.rule.id}:${o.subject.id}`;
    seen.add(id);
    book.lastTrueMs.set(id, nowMs);
    let a = book.alerts.get(id);
    if (!a) {
      a = {
        id,
        rule: o.rule.id,
        severity: o.rule.severity as Severity,
        state: 'pending',
        subject: o.subject,
        summary: o.summary,
        value: o.value,
        unit: o.unit,
        activeSinceMs: nowMs,
        firingSinceMs: null,
        resolvedAtMs: null,
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
      changed = true;
    }
  }
  const rules = new Map(observations.map((o) => [o.rule.id, o.rule]));
  for (const [id, a] of book.alerts) {
    if (seen.has(id)) continue;
    const keepMs = (rules.get(a.rule)?.keepFiringForS ?? 0) * 1000;
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
  return changed;
}

/** Current alerts (pending and firing), most severe first, then oldest first. */
export function activeAlerts(book: AlertBook): Alert[] {
  const rank: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };
  return [...book.alerts.values()].sort((x, y) => rank[x.severity] - rank[y.severity] || x.activeSinceMs - y.activeSinceMs);
}
