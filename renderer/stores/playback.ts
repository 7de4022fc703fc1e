import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { Annotation, RunEvent } from '../../shared/domain/history.js';
import { attempt } from '../api/index.js';
import { useStatusStore } from './status.js';

/** A point on the timeline: the recorded events at one instant (stages, brakes, overrides, scenario events, budgets). */
export interface Marker {
  tMs: number;
  events: RunEvent[];
}

/** Kinds shown as markers on the timeline. */
const MARKER_KINDS = ['stage', 'brake', 'override', 'scenario', 'budget', 'automation', 'playbook', 'armed'];

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
  /** Notes and bookmarks (saved into the recording's notes copy), and where that copy is. */
  const notes = shallowRef<Annotation[]>([]);
  const notesCopy = ref<string | null>(null);

  async function loadNotes(): Promise<void> {
    const out = await attempt('recording:notes', {});
    if (out.ok) {
      notes.value = out.value.items;
      notesCopy.value = out.value.copy;
    } else error.value = out.error;
  }

  /** Add a note (text) or bookmark at `tMs`; false with `error` set when refused. */
  async function annotate(kind: 'note' | 'bookmark', tMs: number, text: string): Promise<boolean> {
    const out = await attempt('recording:annotate', { kind, tMs: Math.round(tMs), text });
    if (!out.ok) {
      error.value = out.error;
      return false;
    }
    error.value = null;
    notes.value = out.value.items;
    notesCopy.value = out.value.copy;
    return true;
  }

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
      if (f) {
        void loadMarkers();
        void loadNotes();
      }
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

  /** The nearest marker or note strictly after (dir 1) or before (dir -1) tMs, if any. */
  function neighbour(tMs: number, dir: 1 | -1): { tMs: number } | null {
    const times = [...markers.value.map((m) => m.tMs), ...notes.value.map((n) => n.tMs)];
    let best: number | null = null;
    for (const t of times) if (dir > 0 ? t > tMs && (best === null || t < best) : t < tMs && (best === null || t > best)) best = t;
    return best === null ? null : { tMs: best };
  }

  return { recording, markers, notes, notesCopy, error, pending, loadMarkers, loadNotes, annotate, seek, neighbour };
});
