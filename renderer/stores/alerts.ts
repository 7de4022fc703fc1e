import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { Alert, AlertState, Severity } from '../../shared/domain/fleet.js';
import { api } from '../api/index.js';

const STATE_ORDER: Record<AlertState, number> = { firing: 0, pending: 1, resolved: 2 };
const SEVERITY_ORDER: Record<Severity, number> = { critical: 0, warning: 1, info: 2 };

/** Firing before pending before resolved; then most severe; then newest. */
export function sortAlerts(list: readonly Alert[]): Alert[] {
  return [...list].sort(
    (a, b) =>
      STATE_ORDER[a.state] - STATE_ORDER[b.state] ||
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
  let refreshing = false;

  function set(list: Alert[]): void {
    current.value = markRaw(list);
    if (includeResolved.value) void refreshHistory();
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
  const firing = computed(() => current.value.filter((a) => a.state === 'firing'));
  const firingCritical = computed(() => firing.value.filter((a) => a.severity === 'critical').length);
  const activeCount = computed(() => current.value.filter((a) => a.state !== 'resolved').length);

  return { current, history, includeResolved, visible, firing, firingCritical, activeCount, set, showResolved };
});
