import type { Alert } from '../../shared/domain/fleet.js';

/** Which window Save incident… saves. */
export type IncidentWindowChoice = { kind: 'last'; minutes: number } | { kind: 'alert'; alertId: string } | { kind: 'power' };

export const AROUND_ALERT_MS = 10 * 60_000;

/**
 * The window a choice means at `nowMs` (engine time): the last N minutes; ten minutes either side of an alert (up to
 * now while it is active); or the Power view's window. An error line where there is no such window.
 */
export function incidentWindow(
  c: IncidentWindowChoice,
  nowMs: number,
  alerts: readonly Alert[],
  powerWindow: { fromMs: number; toMs: number } | null,
): { fromMs: number; toMs: number } | { error: string } {
  if (!Number.isFinite(nowMs)) return { error: 'waiting for the first reading' };
  if (c.kind === 'last') return { fromMs: nowMs - c.minutes * 60_000, toMs: nowMs };
  if (c.kind === 'power') {
    if (!powerWindow) return { error: 'open the Power view and pick a range first' };
    return { fromMs: powerWindow.fromMs, toMs: Math.min(powerWindow.toMs, nowMs) };
  }
  const a = alerts.find((x) => x.id === c.alertId);
  if (!a) return { error: 'pick an alert' };
  const start = a.firingSinceMs ?? a.activeSinceMs;
  return { fromMs: start - AROUND_ALERT_MS, toMs: Math.min(nowMs, (a.resolvedAtMs ?? nowMs) + AROUND_ALERT_MS) };
}

/** A title for the file when the operator gives none: "Row C power budget loss" from the alert, else the window. */
export function defaultTitle(c: IncidentWindowChoice, alerts: readonly Alert[]): string {
  if (c.kind === 'alert') {
    const a = alerts.find((x) => x.id === c.alertId);
    if (a) return a.summary.slice(0, 120);
  }
  return c.kind === 'last' ? `Last ${c.minutes} minutes` : 'Power view window';
}
