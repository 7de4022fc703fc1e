import { computed, type ComputedRef } from 'vue';
import { useLiveStore } from '../stores/live.js';
import { useStatusStore } from '../stores/status.js';

/** The engine's clock (simulated time, epoch ms) as last seen: expiries and ETAs are on this clock, not the wall's. */
export function useSimNow(): ComputedRef<number> {
  const live = useLiveStore();
  const status = useStatusStore();
  return computed(() => Math.max(live.snapshot?.tMs ?? -Infinity, status.status?.simTimeMs ?? -Infinity));
}
