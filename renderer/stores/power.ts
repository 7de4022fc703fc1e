import { drillEventText } from '../../shared/domain/drills.js';
import { defineStore } from 'pinia';
import { computed, ref, shallowRef, watch } from 'vue';
import type { RangeSeries, Snapshot } from '../../shared/domain/fleet.js';
import type { EventWindow } from '../../shared/domain/history.js';
import { attempt, type Outcome } from '../api/index.js';
import type { Frame, PowerData, PowerPanel } from '../charts/power.js';
import { buildPanels, livePowerKW, panelData, scopeEntities, type PowerScope } from '../charts/powerPanels.js';
import {
  addBudgetStep,
  addLive,
  bucketsFromRange,
  budgetStepsFromEvents,
  dropBefore,
  dropLiveThrough,
  emptyBuckets,
  emptyLive,
  joinRanges,
  mergeSeries,
  spliceTail,
  type BudgetSteps,
  type Buckets,
  type LiveBins,
} from '../charts/powerSeries.js';
import { fmtDuration } from '../charts/format.js';
import { createPoller } from '../composables/poll.js';
import { useSimNow } from '../composables/simNow.js';
import { resolveWindow, type TimeRange, type Window } from '../model/timeRange.js';
import type { PowerMark } from '../charts/power.js';
import { useLiveStore } from './live.js';
import { useTopologyStore } from './topology.js';

/** What the Power chart draws: its panels, their data and the time span of the axis. */
export interface PowerPicture {
  panels: PowerPanel[];
  data: PowerData;
  frame: Frame;
}

/** How often a live window re-reads the newest buckets from the store (they replace the live averages). */
const TAIL_MS = 5_000;

/**
 * Power over time for the Power view: a window (a preset that follows the live data, or a fixed custom one), a
 * scope (rows, or one row's racks), the stored rollups of the window (`telemetry:range`, 10 s or 60 s), the budgets
 * in force over it (`telemetry:events`), and live snapshots binned onto the same buckets so they continue the stored
 * series without a seam. While subscribed, a live window follows the snapshots and re-reads its newest stored
 * buckets every 5 s. Large arrays stay outside Vue's reactivity; `version` says when the picture changed.
 */
/** A drill's start and end, and single drill events, from the run's stored events (kind 'scenario'). */
export function drillMarkers(events: ReadonlyArray<{ tMs: number; kind: string; subject: string; body: Record<string, unknown> }>): Array<{ atMs: number; label: string }> {
  const out: Array<{ atMs: number; label: string }> = [];
  for (const e of events) {
    if (e.kind !== 'scenario') continue;
    const b = e.body;
    if (typeof b.started === 'string') out.push({ atMs: e.tMs, label: `drill ${b.started} starts` });
    else if (typeof b.ended === 'string') out.push({ atMs: e.tMs, label: `${e.subject} ${b.ended}` });
    else if (b.event && typeof b.event === 'object') out.push({ atMs: e.tMs, label: drillEventText(b.event as { kind: string }) });
  }
  return out;
}

export const usePowerStore = defineStore('power', () => {
  const topo = useTopologyStore();
  const live = useLiveStore();
  const simNow = useSimNow();

  const range = ref<TimeRange>({ kind: 'preset', preset: '1h' });
  const scope = ref<PowerScope>('row');
  /** The row whose racks the rack scope shows (topology index). */
  const rackRow = ref(0);
  const status = ref<'idle' | 'loading' | 'ready'>('idle');
  const error = ref<string | null>(null);
  const window_ = shallowRef<Window | null>(null);
  /** Bumped whenever the picture changes (data, budgets, the frame); the view redraws on it. */
  const version = ref(0);

  let stored: Buckets = emptyBuckets(10_000, 0);
  let liveBins: LiveBins = emptyLive(10_000, 0);
  let rowBudgets: BudgetSteps[] = [];
  /** The stored span as first loaded, for the note. */
  const storedSpan = shallowRef<{ fromMs: number; toMs: number } | null>(null);
  let loadSeq = 0;

  /** Rows (and, in rack scope, the row's racks) over [fromMs, toMs) at the window's resolution, as one answer. */
  async function readRange(w: Window, fromMs: number, toMs: number): Promise<Outcome<RangeSeries>> {
    const t = topo.topology!;
    const ents = scopeEntities(t, scope.value, rackRow.value);
    const [rows, racks] = await Promise.all([
      attempt('telemetry:range', { scope: 'row', fromMs, toMs, resS: w.resS, ids: ents.rows }),
      ents.racks.length ? attempt('telemetry:range', { scope: 'rack', fromMs, toMs, resS: w.resS, ids: ents.racks }) : null,
    ]);
    if (!rows.ok) return rows;
    if (racks && !racks.ok) return racks;
    return { ok: true, value: joinRanges(rows.value, racks?.value ?? null) };
  }

  function columnIds(): string[] {
    const e = scopeEntities(topo.topology!, scope.value, rackRow.value);
    return [...e.rows, ...e.racks];
  }

  /** (Re)reads the whole window: on opening, and whenever the range or the scope changes. */
  async function load(): Promise<void> {
    const t = topo.topology;
    const now = simNow.value;
    if (!t || !Number.isFinite(now)) return;
    const my = ++loadSeq;
    const w = resolveWindow(range.value, now);
    status.value = 'loading';
    error.value = null;
    const [r, ev] = await Promise.all([readRange(w, w.fromMs, w.toMs), attempt('telemetry:events', { fromMs: w.fromMs, toMs: w.toMs, kinds: ['budget', 'scenario'] })]);
    if (my !== loadSeq) return;
    const ids = columnIds();
    const resMs = w.resS * 1000;
    stored = r.ok ? bucketsFromRange(r.value, ids) : emptyBuckets(resMs, ids.length);
    if (!r.ok) error.value = r.error;
    storedSpan.value = stored.t.length ? { fromMs: stored.t[0]!, toMs: stored.t[stored.t.length - 1]! + resMs } : null;
    // Without stored events the only budget known is the current one (the snapshot's, else the topology's).
    const events: EventWindow = ev.ok ? ev.value : { fromMs: w.fromMs, toMs: w.toMs, events: [], budgetsBefore: [], truncated: false };
    const current = t.rows.map((row, i) => live.snapshot?.row.budgetKW[i] || row.budgetKW);
    rowBudgets = budgetStepsFromEvents(events, t.rows.map((row) => row.id), current);
    drillMarks.value = drillMarkers(events.events);
    liveBins = emptyLive(resMs, ids.length);
    window_.value = w;
    status.value = 'ready';
    if (live.snapshot) onSnapshot(live.snapshot);
    version.value++;
  }

  /** A live window takes every snapshot: budgets that change, power binned onto the stored buckets, the frame moving on. */
  function onSnapshot(s: Snapshot): void {
    const t = topo.topology;
    const w = window_.value;
    if (status.value === 'idle') {
      void load();
      return;
    }
    if (!t || !w?.live || status.value !== 'ready') return;
    // The engine's clock went back (a new run after a reconnection): this window's history is another run's.
    if (s.tMs < w.toMs - 60_000) {
      void load();
      return;
    }
    rowBudgets.forEach((b, i) => addBudgetStep(b, s.tMs, s.row.budgetKW[i] ?? NaN));
    addLive(liveBins, s.tMs, livePowerKW(t, s, scope.value, rackRow.value));
    if (s.tMs > w.toMs) window_.value = { ...w, fromMs: s.tMs - (w.toMs - w.fromMs), toMs: s.tMs };
    version.value++;
  }

  /** Re-reads the newest stored buckets of a live window: complete averages replace the live ones, gaps fill in. */
  async function tail(): Promise<void> {
    const w = window_.value;
    if (!topo.topology || !w?.live || status.value !== 'ready') return;
    const toMs = simNow.value;
    // From the last stored bucket (it is read again: the tail replaces it), else the whole window, never longer.
    const fromMs = stored.t.length ? stored.t[stored.t.length - 1]! : Math.max(w.fromMs, toMs - (w.toMs - w.fromMs));
    if (!(toMs > fromMs)) return;
    const my = loadSeq;
    const r = await readRange(w, fromMs, toMs);
    if (my !== loadSeq || !r.ok) return;
    const cur = window_.value ?? w;
    stored = dropBefore(spliceTail(stored, bucketsFromRange(r.value, columnIds())), Math.floor(cur.fromMs / stored.resMs) * stored.resMs);
    if (stored.t.length) dropLiveThrough(liveBins, stored.t[stored.t.length - 1]!);
    version.value++;
  }
  const poller = createPoller(tail, TAIL_MS);

  /** The view's subscription: snapshots and the tail re-reads run while it is open. */
  function subscribe(): () => void {
    const offPoll = poller.subscribe();
    const stop = watch(
      () => live.snapshot,
      (s) => s && onSnapshot(s),
    );
    return () => {
      stop();
      offPoll();
    };
  }

  /** The chart's picture now (built on demand: the arrays are not reactive). */
  function picture(): PowerPicture | null {
    const t = topo.topology;
    const w = window_.value;
    if (!t || !w || status.value !== 'ready') return null;
    const merged = dropBefore(mergeSeries(stored, liveBins), Math.floor(w.fromMs / stored.resMs) * stored.resMs);
    const first = merged.t[0];
    // The axis starts at the window, or at the first data when the run began inside it.
    const frame = { fromMs: first !== undefined && first > w.fromMs ? first : w.fromMs, toMs: w.toMs };
    return { panels: buildPanels(t, scope.value, rackRow.value, rowBudgets), data: panelData(scope.value, merged), frame };
  }

  function setRange(r: TimeRange): Promise<void> {
    range.value = r;
    return load();
  }

  /** Drills in the window (a library drill's start and end, a single event started): a line on every panel. */
  const drillMarks = shallowRef<Array<{ atMs: number; label: string }>>([]);
  /** Re-read the drill markers of the window (a drill started or ended while the view is open). */
  async function refreshMarks(): Promise<void> {
    const w = window_.value;
    if (!w) return;
    const ev = await attempt('telemetry:events', { fromMs: w.fromMs, toMs: Math.max(w.toMs, simNow.value) + 1, kinds: ['scenario'] });
    if (ev.ok) {
      drillMarks.value = drillMarkers(ev.value.events);
      version.value++;
    }
  }

  /** An alert to show: its row's panel highlighted and a line where it fired (null: none). */
  const mark = ref<PowerMark | null>(null);
  /**
   * Open on an alert: the rows, a window from 15 min before it fired to 5 min after (or to now), its row highlighted
   * and a line at the moment it fired.
   */
  function showAlert(a: { id: string; row: string | null; firingSinceMs: number | null; activeSinceMs: number }): Promise<void> {
    const atMs = a.firingSinceMs ?? a.activeSinceMs;
    mark.value = { panelId: a.row ? `row:${a.row}` : 'site', atMs, label: `${a.id} fired` };
    scope.value = 'row';
    const now = simNow.value;
    return setRange({ kind: 'custom', fromMs: atMs - 15 * 60_000, toMs: Math.max(atMs + 60_000, Math.min(atMs + 5 * 60_000, Number.isFinite(now) ? now : atMs + 5 * 60_000)) });
  }
  function setScope(s: PowerScope, row = rackRow.value): Promise<void> {
    scope.value = s;
    rackRow.value = row;
    return load();
  }

  /** One line on where the numbers come from. */
  const note = computed(() => {
    const w = window_.value;
    if (status.value !== 'ready' || !w) return { text: 'Loading the history…', kind: 'muted' as const };
    const live_ = w.live ? ' · live from now' : '';
    if (error.value) return { text: `History unavailable (${error.value})${live_}`, kind: 'crit' as const };
    const span = storedSpan.value;
    if (!span) return { text: `No stored history in this window${live_}`, kind: 'muted' as const };
    return { text: `History: ${fmtDuration(span.toMs - span.fromMs)} of ${w.resS} s averages from the store${w.live ? ', then live' : ''}`, kind: 'muted' as const };
  });

  return { range, scope, rackRow, status, error, window: window_, version, note, mark, drillMarks, load, setRange, setScope, showAlert, refreshMarks, picture, subscribe };
});
