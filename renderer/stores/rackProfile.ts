import { defineStore } from 'pinia';
import { markRaw, ref, shallowRef } from 'vue';
import type { RackProfileView } from '../../shared/domain/placement.js';
import { attempt } from '../api/index.js';

/** A profile older than this (wall time) is fitted again when its rack is shown. */
const FRESH_MS = 60_000;

/**
 * The rack view's learned profile (`profiles:rack`, fitted off the engine's thread from the stored history): one rack
 * at a time; a profile stays for a minute; switching racks while a fit runs asks again for the rack shown when it ends.
 */
export const useRackProfileStore = defineStore('rackProfile', () => {
  const rack = ref<number | null>(null);
  const windowS = ref(3600);
  const view = shallowRef<RackProfileView | null>(null);
  const error = ref<string | null>(null);
  const running = ref(false);
  const cache = new Map<string, { at: number; view: RackProfileView }>();

  async function load(): Promise<void> {
    if (running.value || rack.value === null) return;
    const r = rack.value;
    const w = windowS.value;
    const key = `${r}/${w}`;
    const hit = cache.get(key);
    if (hit && Date.now() - hit.at < FRESH_MS) {
      view.value = hit.view;
      error.value = null;
      return;
    }
    running.value = true;
    const res = await attempt('profiles:rack', { rack: r, windowS: w });
    running.value = false;
    if (res.ok) cache.set(key, { at: Date.now(), view: markRaw(res.value) });
    if (rack.value !== r || windowS.value !== w) return void load();
    if (res.ok) {
      view.value = cache.get(key)!.view;
      error.value = null;
    } else {
      view.value = null;
      error.value = res.error;
    }
  }

  /** Shows rack `r` (topology index), fitted over the last `w` seconds. */
  function show(r: number, w = windowS.value): void {
    if (r === rack.value && w === windowS.value && (view.value || running.value)) return;
    rack.value = r;
    windowS.value = w;
    view.value = null;
    error.value = null;
    void load();
  }

  /** Fits the shown rack again now. */
  function refresh(): void {
    if (rack.value !== null) cache.delete(`${rack.value}/${windowS.value}`);
    void load();
  }

  return { rack, windowS, view, error, running, show, refresh };
});
