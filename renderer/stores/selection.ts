import { defineStore } from 'pinia';
import { computed, markRaw, shallowRef } from 'vue';
import { EMPTY_SELECTION, pick, pickMany, rackCoverage, selectedGpuMask, selectionLabel, selectionTarget, type PickKind, type PickMode, type Selection } from '../model/selection.js';
import { useTopologyStore } from './topology.js';

/** The operator's selection on the floor and in racks, shared by both views and the control panel. */
export const useSelectionStore = defineStore('selection', () => {
  const topo = useTopologyStore();
  const sel = shallowRef<Selection>(EMPTY_SELECTION);

  const mask = computed(() => {
    const t = topo.topology;
    return markRaw(t ? selectedGpuMask(t, sel.value) : new Uint8Array(0));
  });
  const gpuCount = computed(() => {
    let n = 0;
    const m = mask.value;
    for (let i = 0; i < m.length; i++) n += m[i]!;
    return n;
  });
  const racks = computed(() => {
    const t = topo.topology;
    return markRaw(t ? rackCoverage(t, mask.value) : new Uint8Array(0));
  });
  const target = computed(() => (topo.topology ? selectionTarget(topo.topology, sel.value) : null));
  const label = computed(() => (topo.topology ? selectionLabel(topo.topology, sel.value) : ''));
  const empty = computed(() => sel.value.ids.length === 0);

  function select(kind: PickKind, index: number, mode: PickMode = 'replace'): void {
    sel.value = pick(sel.value, kind, index, mode);
  }
  function selectMany(kind: PickKind, indices: readonly number[], mode: 'replace' | 'add' = 'replace'): void {
    sel.value = pickMany(sel.value, kind, indices, mode);
  }
  function clear(): void {
    sel.value = EMPTY_SELECTION;
  }
  /** Ctrl/⌘ toggles, Shift extends a range, a plain click replaces. */
  function modeOf(e: { shiftKey: boolean; ctrlKey: boolean; metaKey: boolean }): PickMode {
    return e.shiftKey ? 'range' : e.ctrlKey || e.metaKey ? 'toggle' : 'replace';
  }

  return { sel, mask, gpuCount, racks, target, label, empty, select, selectMany, clear, modeOf };
});
