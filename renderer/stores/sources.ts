import { defineStore } from 'pinia';
import { computed, ref, shallowRef } from 'vue';
import type { SourceConfig, SourcesView, SourceTestResult } from '../../shared/domain/sources.js';
import { attempt } from '../api/index.js';
import { createPoller } from '../composables/poll.js';
import { freshest } from '../model/sources.js';
import { useStatusStore } from './status.js';

/** How often the sources list (configuration, inventory, identity, health) is re-read while someone shows it. */
export const SOURCES_POLL_MS = 2000;
/** Why nothing can be added or removed on the built-in simulator. */
export const SIM_ONLY_TIP = 'the built-in simulator is the only source: start headroom serve --inventory … to add real ones';

/** A test of a source's configuration as the screen shows it: running, its result, or why it could not run. */
export interface SourceTestState {
  busy: boolean;
  result: SourceTestResult | null;
  error: string | null;
}

/** Settings → Sources: the list (`sources:list`, polled while subscribed) and the changes to it. */
export const useSourcesStore = defineStore('sources', () => {
  const status = useStatusStore();
  const list = shallowRef<SourcesView | null>(null);
  const loadError = ref<string | null>(null);
  const sim = computed(() => list.value?.mode === 'sim');
  /** Health as fresh as the status stream (every second), configuration as the list has it. */
  const rows = computed(() => freshest(list.value?.sources ?? [], status.status?.sources));
  /** Bumped by every change made here: a poll that started before it must not put back what was just changed. */
  let generation = 0;

  async function load(): Promise<void> {
    const gen = generation;
    const r = await attempt('sources:list', {});
    if (gen !== generation) return;
    if (r.ok) {
      list.value = r.value;
      loadError.value = null;
    } else loadError.value = r.error;
  }
  const poller = createPoller(load, SOURCES_POLL_MS);

  function accept(v: SourcesView): void {
    generation++;
    list.value = v;
  }

  /** Tries a source's configuration without adding it. */
  async function test(source: SourceConfig): Promise<SourceTestState> {
    const r = await attempt('sources:test', { source });
    return r.ok ? { busy: false, result: r.value, error: null } : { busy: false, result: null, error: r.error };
  }
  async function add(source: SourceConfig, reason: string) {
    const r = await attempt('sources:add', { source, reason });
    if (r.ok) accept(r.value);
    return r;
  }
  async function remove(id: string, reason: string) {
    const r = await attempt('sources:remove', { id, reason });
    if (r.ok) accept(r.value);
    return r;
  }

  return { list, loadError, sim, rows, subscribe: poller.subscribe, test, add, remove };
});
