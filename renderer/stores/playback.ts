import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { RunEvent } from '../../shared/domain/history.js';
import { attempt } from '../api/index.js';
import { useStatusStore } from './status.js';

/** A point on the timeline: the recorded events at one instant (stages, brakes, overrides, scenario events, budgets). */
export interface Marker {
  tMs: number;
  events: RunEvent[];
}

/** Kinds shown as markers on the timeline. */
const MARKER_KINDS = ['stage', 'brake', 'override', 'scenario', 'budget', 'automation', 'playbook'];

/**
 * Playback of a recording (status.recording is set): its span, the markers of its recorded events, and the
 * controls (play/pause, speed, seek). Seeking moves the engine's time; alerts restart from there.
 */
export const usePlaybackStore = defineStore('playback', () => {
  const status = useStatusStore();
  const recording = computed(() => status.status?.recording ?? null);
  const markers = shallowRef<Marker[]>([]);
  const error = ref<string | null>(null);
  const pending = ref(false);

  async function loadMarkers(): Promise<void> {
    const r = recording.value;
    if (!r) return;
    const out = await attempt('telemetry:events', { fromMs: r.t0Ms, toMs: r.t1Ms + 1, kinds: MARKER_KINDS });
    if (!out.ok) {
      error.value = out.error;
      return;
    }
    const byT = new Map<number, RunEvent[]>();
    for (const e of out.value.events) {
      if (e.tMs < r.t0Ms || e.tMs > r.t1Ms) continue;
      const list = byT.get(e.tMs) ?? [];
      list.push(e);
      byT.set(e.tMs, list);
    }
    markers.value = [...byT.entries()].sort((a, b) => a[0] - b[0]).map(([tMs, events]) => ({ tMs, events }));
  }
  // The recording is known once the first status arrives.
  watch(
    () => recording.value?.file,
    (f) => {
      if (f) void loadMarkers();
    },
    { immediate: true },
  );

  async function seek(tMs: number): Promise<void> {
    const r = recording.value;
    if (!r) return;
    pending.value = true;
    const out = await attempt('sim:control', { action: 'seek', tMs: Math.round(Math.min(r.t1Ms, Math.max(r.t0Ms, tMs)) / 1000) * 1000 });
    pending.value = false;
    if (out.ok) {
      error.value = null;
      status.set(out.value);
    } else error.value = out.error;
  }

  /** The marker strictly after (dir 1) or before (dir -1) tMs, if any. */
  function neighbour(tMs: number, dir: 1 | -1): Marker | null {
    const m = markers.value;
    if (dir > 0) return m.find((x) => x.tMs > tMs) ?? null;
    for (let i = m.length - 1; i >= 0; i--) if (m[i]!.tMs < tMs) return m[i]!;
    return null;
  }

  return { recording, markers, error, pending, loadMarkers, seek, neighbour };
});
