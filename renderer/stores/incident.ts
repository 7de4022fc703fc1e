import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { SavedIncident } from '../../shared/domain/history.js';
import { attempt } from '../api/index.js';

/**
 * Save incident… (a window of the live run → a `.headroom` recording in the data folder, audited) and the HTML
 * incident report (of a live window, or of the recording this console plays). Reports come back as text; the view
 * downloads them.
 */
export const useIncidentStore = defineStore('incident', () => {
  const busy = ref(false);
  const error = ref<string | null>(null);
  const saved = shallowRef<SavedIncident | null>(null);

  async function save(p: { fromMs: number; toMs: number; title: string; notes: string; reason: string }): Promise<boolean> {
    busy.value = true;
    error.value = null;
    const r = await attempt('incident:save', p);
    busy.value = false;
    if (!r.ok) {
      error.value = r.error;
      return false;
    }
    saved.value = r.value;
    return true;
  }

  /** The report of a live window (both times) or of the recording played (neither). */
  async function report(w?: { fromMs: number; toMs: number }): Promise<{ fileName: string; html: string } | null> {
    error.value = null;
    const r = await attempt('incident:report', w ?? {});
    if (!r.ok) {
      error.value = r.error;
      return null;
    }
    return r.value;
  }

  function reset(): void {
    saved.value = null;
    error.value = null;
  }

  return { busy, error, saved, save, report, reset };
});
