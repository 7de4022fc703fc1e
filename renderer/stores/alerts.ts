import { alertGroupKey } from '../../shared/domain/alertGroups.js';
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { Alert, AlertState, Severity } from '../../shared/domain/fleet.js';
import type { Silence } from '../../shared/domain/control.js';
import { api, attempt } from '../api/index.js';
import { isMuted } from '../model/alertHandling.js';

const STATE_ORDER: Record<AlertState, number> = { firing: 0, pending: 1, resolved: 2 };
const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Firing before pending before resolved; muted (silenced, inhibited) after the rest; then most severe; then newest. */
export function sortAlerts(list: readonly Alert[]): Alert[] {
  return [...list].sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
      Number(isMuted(a)) - Number(isMuted(b)) ||
      SEVERITY_ORDER[a.severity] - SEVERITY_ORDER[b.severity] ||
      b.activeSinceMs - a.activeSinceMs ||
      a.id.localeCompare(b.id),
  );
}

export const useAlertsStore = defineStore('alerts', () => {
  /** Current alerts as pushed by `alerts:changed`. */
  const current = shallowRef<Alert[]>([]);
  /** Resolved history, fetched only while the operator asks to see it. */
  const history = shallowRef<Alert[]>([]);
  const includeResolved = ref(false);
  /** Silences in force (`alerts:silences`), refreshed after changes and as alerts change. */
  const silences = shallowRef<Silence[]>([]);
  let refreshing = false;
  let silencesAt = 0;

  function set(list: Alert[]): void {
    current.value = markRaw(list);
    if (includeResolved.value) void refreshHistory();
    // Silences expire on the engine's clock; re-read them now and then as alerts move.
    if (Date.now() - silencesAt > 5_000) void refreshSilences();
  }

  async function refreshSilences(): Promise<void> {
    silencesAt = Date.now();
    const r = await attempt('alerts:silences', {});
    if (r.ok) silences.value = markRaw([...r.value].sort((a, b) => a.endsAtMs - b.endsAtMs));
  }

  /** Puts an alert answered by an action in place (its `alerts:changed` may come later). */
  function replace(a: Alert): void {
    current.value = markRaw(current.value.map((x) => (x.id === a.id ? a : x)));
  }

  async function ack(id: string, comment: string) {
    const r = await attempt('alerts:ack', { id, comment });
    if (r.ok) replace(r.value);
    return r;
  }
  async function ackGroup(group: string, comment: string) {
    const r = await attempt('alerts:ackGroup', { group, comment });
    if (r.ok) for (const a of r.value) replace(a);
    return r;
  }
  async function silence(matchers: Silence['matchers'], durationS: number, comment: string) {
    const r = await attempt('alerts:silence', { matchers, durationS, comment });
    if (r.ok) void refreshSilences();
    return r;
  }
  async function unsilence(id: string, reason: string) {
    const r = await attempt('alerts:unsilence', { id, reason });
    if (r.ok) void refreshSilences();
    return r;
  }

  async function refreshHistory(): Promise<void> {
    if (refreshing) return;
    refreshing = true;
    try {
      history.value = markRaw(await api().invoke('alerts:list', { includeResolved: true }));
    } catch {
      // The current list still shows; the history refreshes with the next change.
    } finally {
      refreshing = false;
    }
  }

  async function showResolved(on: boolean): Promise<void> {
    includeResolved.value = on;
    if (on) await refreshHistory();
  }

  const visible = computed(() => {
    if (!includeResolved.value) return sortAlerts(current.value);
    const byId = new Map<string, Alert>();
    for (const a of history.value) byId.set(a.id + ':' + a.activeSinceMs, a);
    for (const a of current.value) byId.set(a.id + ':' + a.activeSinceMs, a);
    return sortAlerts([...byId.values()]);
  });
  const firing = computed(() => current.value.filter((a) => a.state === 'firing' && !isMuted(a)));
  const firingCritical = computed(() => firing.value.filter((a) => a.severity === 'critical').length);
  /**
   * Active alert groups (rule × row, shared/domain/alertGroups.ts) someone should look at — the badge counts cards,
   * not GPUs: a cooling loss on one row is a handful. Silenced and inhibited alerts are shown but not counted.
   */
  const activeCount = computed(() => new Set(current.value.filter((a) => a.state !== 'resolved' && !isMuted(a)).map(alertGroupKey)).size);
  const mutedCount = computed(() => current.value.filter((a) => a.state !== 'resolved' && isMuted(a)).length);

  return {
    current,
    history,
    includeResolved,
    silences,
    visible,
    firing,
    firingCritical,
    activeCount,
    mutedCount,
    set,
    showResolved,
    refreshSilences,
    ack,
    ackGroup,
    silence,
    unsilence,
  };
});
