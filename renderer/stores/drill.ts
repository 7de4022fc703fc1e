import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { DrillEvent } from '../../shared/domain/scenario.js';
import type { DrillListing, DrillReport, DrillReportSummary, DrillStatus } from '../../shared/domain/drills.js';
import { attempt } from '../api/index.js';
import { createPoller } from '../composables/poll.js';

/**
 * Emergency drills on the running simulator: single events now (`sim:inject`) and library drills (`drill:*`) that are
 * scored against the automatic controller at their end. The status is polled while the console shows it; a report
 * that has just been made is opened once (`justFinished`).
 */
export const useDrillStore = defineStore('drill', () => {
  const status = shallowRef<DrillStatus | null>(null);
  const library = shallowRef<DrillListing[]>([]);
  const reports = shallowRef<DrillReportSummary[]>([]);
  /** The report to show now (the drill just scored, or one picked from the list). */
  const shown = shallowRef<{ report: DrillReport; fileName: string; html: string } | null>(null);
  const error = ref<string | null>(null);
  let seenReport: string | null | undefined;

  /** Starts a single event now; the answer names the event started, a refusal says why not. */
  const start = (event: DrillEvent, reason: string) => attempt('sim:inject', { event, reason });

  async function refresh(): Promise<void> {
    const r = await attempt('drill:status', {});
    if (!r.ok) return void (error.value = r.error);
    const was = seenReport;
    status.value = r.value;
    seenReport = r.value.lastReport;
    // A drill scored since the last look (not the one already there when the console opened): show it.
    if (was !== undefined && r.value.lastReport && r.value.lastReport !== was) {
      await open(r.value.lastReport);
      await loadReports();
    }
  }
  const poller = createPoller(refresh, 1000);

  async function loadLibrary(): Promise<void> {
    const r = await attempt('drill:library', {});
    if (r.ok) library.value = r.value;
  }
  async function loadReports(): Promise<void> {
    const r = await attempt('drill:reports', {});
    if (r.ok) reports.value = r.value;
  }
  async function startLibrary(drill: string, automation: boolean, reason: string) {
    const r = await attempt('drill:start', { drill, automation, reason });
    if (r.ok) status.value = r.value;
    return r;
  }
  async function end(reason: string) {
    const r = await attempt('drill:end', { reason });
    if (r.ok) status.value = r.value;
    return r;
  }
  async function open(id: string): Promise<void> {
    const r = await attempt('drill:report', { id });
    if (r.ok) shown.value = r.value;
    else error.value = r.error;
  }
  return { status, library, reports, shown, error, start, startLibrary, end, open, loadLibrary, loadReports, poller, refresh };
});
