import { defineStore } from 'pinia';
import { computed, markRaw, shallowRef } from 'vue';
import type { ControlSummary, OverrideAction, Target } from '../../shared/domain/control.js';
import { attempt } from '../api/index.js';
import { gpuMarks, rackMarks } from '../model/control.js';
import { useTopologyStore } from './topology.js';

/** The control plane's summary (`control:summary`, then `control:changed`) and the actions on it. */
export const useControlStore = defineStore('control', () => {
  const topo = useTopologyStore();
  const summary = shallowRef<ControlSummary | null>(null);

  function set(s: ControlSummary): void {
    summary.value = markRaw(s);
  }

  const marks = computed(() => markRaw(gpuMarks(topo.topology, summary.value)));
  const racks = computed(() => (topo.topology ? markRaw(rackMarks(topo.topology, marks.value, summary.value?.overrides ?? [])) : []));
  const rowById = computed(() => new Map((summary.value?.rows ?? []).map((r) => [r.row, r])));
  const overrides = computed(() => [...(summary.value?.overrides ?? [])].sort((a, b) => b.createdAtMs - a.createdAtMs));

  const preview = (target: Target, action: OverrideAction) => attempt('override:preview', { target, action });
  async function setOverride(target: Target, action: OverrideAction, reason: string, expiresInS: number) {
    const r = await attempt('override:set', { target, action, reason, expiresInS });
    if (r.ok) void refresh();
    return r;
  }
  async function clearOverride(id: string, reason: string) {
    const r = await attempt('override:clear', { id, reason });
    if (r.ok) void refresh();
    return r;
  }
  async function setAutomation(row: string, enabled: boolean, reason: string) {
    const r = await attempt('automation:set', { row, enabled, reason });
    if (r.ok) void refresh();
    return r;
  }
  async function brakeRow(row: string, engage: boolean, reason: string, confirmRow: string) {
    const r = await attempt('brake:row', { row, engage, reason, confirmRow });
    if (r.ok) void refresh();
    return r;
  }
  /** Re-reads the summary (after an action, in case its `control:changed` is still on the way). */
  async function refresh(): Promise<void> {
    const r = await attempt('control:summary', {});
    if (r.ok) set(r.value);
  }

  return { summary, marks, racks, rowById, overrides, set, refresh, preview, setOverride, clearOverride, setAutomation, brakeRow };
});
