import type { DrillListing, DrillReport, DrillReportSummary, DrillStatus } from '../../shared/domain/drills.js';
import type { RecordingNotes, SavedIncident } from '../../shared/domain/history.js';
import type { ReplayInfo, ReplayJob, ReplayPolicy } from '../../shared/domain/replay.js';
import type { SourceConfig, SourcesView, SourceTestResult } from '../../shared/domain/sources.js';
import type { Actor, AuditKind, AuditQuery, AuditRecord } from '../../shared/domain/control.js';
import type { GridWindow } from '../../shared/domain/grid.js';
import type { PlacementAdvice, PlacementRequest, RackProfileView, SiteForecast } from '../../shared/domain/placement.js';
import type { Alert } from '../../shared/domain/fleet.js';
import type { RowSlice } from './workflows/replan.js';
import type {
  ControlSummary,
  GpuControl,
  Override,
  OverrideAction,
  PolicyConfig,
  RowControl,
  Silence,
  Target,
} from '../../shared/domain/control.js';
import type { PlannerPolicy, SweepResult } from '../../shared/domain/planner.js';
import type { ResponseTypes } from '../../shared/contract.js';
import type { RangeSeries } from '../../shared/domain/fleet.js';
import type { EventWindow, GpuHistory } from '../../shared/domain/history.js';

/**
 * Ports between engine services. Each is implemented by one adapter and consumed by others, so services can be
 * built and tested apart (fakes in tests, real adapters in the runtime).
 */

/** What a service asks the audit trail to record; the trail adds seq, times and the hash chain. */
export interface AuditEntry {
  actor: Actor | 'system';
  kind: AuditKind;
  target: string;
  oldValue: string;
  newValue: string;
  reason: string;
  outcome: AuditRecord['outcome'];
}

/** The audit trail (control.db). `append` is synchronous and durable (synchronous=FULL) when it returns. */
export interface AuditSink {
  append(entry: AuditEntry, simMs: number): AuditRecord;
}

/**
 * Carries setpoints out to GPUs. The simulator's actuator applies them to the simulated GPUs; an agent actuator
 * (later) sends leased commands. Values are already clamped and validated; `apply` must not throw for a valid GPU.
 */
/**
 * A SaaS platform's knobs (TAPAS): ask the SaaS instances of row r for rung `rung` of the reconfiguration ladder
 * (shared/domain/reconfig.ts); each takes the deepest rung its service allows. Returns how many instances will change
 * (0: none can). The simulator implements it; on a real fleet, the orchestrator that owns the instances.
 */
export interface SaasPort {
  reconfigure(row: number, rung: number): number;
}

/**
 * The declared workflows on the site's rows (issue 16; core/workflows/replan.ts): what each row runs of them now, and
 * how to move a row's share to another plan. `replan` asks the row's workflow racks to draw `ratio` of the power of
 * the plans in force (1: back to them) once the new plan's instances have started, `latencyS` from now; returns how
 * many racks will change (0: none). The simulator implements it; on a real fleet, the orchestrator that runs them.
 */
export interface WorkflowPort {
  slices(row: number, nowMs: number): RowSlice[];
  replan(row: number, racks: readonly number[], ratio: number, latencyS: number): number;
}

export interface Actuator {
  readonly id: string;
  setPowerLimit(gpu: number, watts: number): void;
  /** 0 resets the clock lock. */
  setClockLock(gpu: number, mhz: number): void;
  setBrake(gpu: number, on: boolean): void;
}


/**
 * A request refused for a reason the operator can fix (bad value, expired, not allowed). The face shows the message;
 * dispatch records the refusal in the audit trail. Nothing was applied.
 */
export class RefusalError extends Error {
  override readonly name = 'RefusalError';
}

/** The control plane as the faces see it (implemented by ControlService). Methods throw RefusalError. */
export interface ControlApi {
  summary(): ControlSummary;
  gpus(ids: readonly number[]): GpuControl[];
  preview(target: Target, action: OverrideAction): ResponseTypes['override:preview'];
  setOverride(req: { target: Target; action: OverrideAction; reason: string; expiresInS: number }, actor: Actor): Override;
  clearOverride(id: string, reason: string, actor: Actor): void;
  setAutomation(row: string, enabled: boolean, reason: string, actor: Actor): RowControl;
  brakeRow(row: string, engage: boolean, reason: string, actor: Actor): RowControl;
  getPolicy(): PolicyConfig;
  /** `config` is unvalidated input: validate with PolicyConfigSchema, refuse with the field's path. */
  setPolicy(config: unknown, reason: string, actor: Actor): PolicyConfig;
  /** Rows whose power brake is engaged now (for alert inhibition). */
  brakedRows(): ReadonlySet<string>;
}

/** Operator handling of alerts (implemented by AlertHandling). Methods throw RefusalError. */
export interface AlertOps {
  ack(alertId: string, comment: string, actor: Actor): Alert;
  /** Acknowledge every active, unacknowledged member of a group (rule × row key) in one audited step. */
  ackGroup(group: string, comment: string, actor: Actor): Alert[];
  silence(req: { matchers: Silence['matchers']; durationS: number; comment: string }, actor: Actor): Silence;
  unsilence(id: string, reason: string, actor: Actor): void;
  silences(): Silence[];
  /** Applies acks, silences and inhibition to the engine's current alerts (pure with respect to the engine). */
  decorate(alerts: Alert[], nowMs: number): Alert[];
}

/** Reading and verifying the audit trail (implemented by AuditTrail). */
export interface AuditApi {
  list(q: AuditQuery): AuditRecord[];
  verify(): ResponseTypes['audit:verify'];
}

/** Library drills on the console's simulator, scored against the automatic controller (main/app/liveDrills.ts). */
export interface DrillApi {
  library(): DrillListing[];
  start(req: { drill: string; automation: boolean; reason: string }, actor: Actor): DrillStatus;
  end(reason: string, actor: Actor): DrillStatus;
  status(): DrillStatus;
  reports(): DrillReportSummary[];
  report(id: string): { report: DrillReport; fileName: string; html: string };
}

/** Save incident… and the HTML incident report (see main/app/incidents.ts). */
export interface IncidentApi {
  save(p: { fromMs: number; toMs: number; title: string; notes: string; reason: string }, actor: Actor): Promise<SavedIncident>;
  report(p: { fromMs?: number; toMs?: number }): { fileName: string; html: string };
  /** The played recording's notes and bookmarks (RefusalError on a live console). */
  notes(): RecordingNotes;
  annotate(p: { kind: 'note' | 'bookmark'; tMs: number; text: string }, actor: Actor): RecordingNotes;
}

/** Counterfactual replay of the recording this console plays (see main/app/replay.ts). */
export interface ReplayApi {
  info(): ReplayInfo;
  /** Start one replay (RefusalError while another runs, or when this console cannot replay). */
  start(req: { policy: ReplayPolicy; config?: unknown }): ReplayJob;
  status(id: string): ReplayJob;
}

/** The capacity planner (POLCA's sweep): one sweep at a time, stopped by `cancel` or when `signal` aborts. */
/** TAPAS placement advice from stored history (main/app/placementApi.ts). */
export interface PlacementApi {
  /** Advice from the stored history of this run's last `windowS` (one query at a time, off the engine's thread). */
  query(p: PlacementRequest & { windowS: number }): Promise<PlacementAdvice>;
  /** One rack's profile from the same history (its own query at a time, off the engine's thread). */
  rackProfile(p: { rack: number; windowS: number }): Promise<RackProfileView>;
  /** Every rack's predicted pressure from the same history (its own query at a time). */
  forecast(p: { windowS: number }): Promise<SiteForecast>;
}

/** The grid view's feed (main/app/gridFeed.ts): the newest stretch of site power and its analysis. */
export interface GridApi {
  window(p: { seconds: number }): GridWindow;
}

export interface PlannerApi {
  sweep(
    p: { fromServers: number; toServers: number; step: number; durationS: number; policies?: readonly PlannerPolicy[]; demand?: SweepResult['demand'] },
    signal?: AbortSignal,
  ): Promise<SweepResult>;
  /** Stop the sweep in progress; false when none runs. */
  cancel(): boolean;
}

/** Settings → Sources (implemented by SourceManager for a real fleet; the simulator answers with its one source). */
export interface SourcesApi {
  view(): SourcesView;
  test(config: SourceConfig): Promise<SourceTestResult>;
  add(config: SourceConfig, reason: string, actor: Actor): SourcesView;
  remove(id: string, reason: string, actor: Actor): Promise<SourcesView>;
}

/** One tick's worth of telemetry, columnar, as handed from the engine to the store. */
export interface TickRecord {
  tMs: number;
  powerW: Float64Array;
  tempC: Float64Array;
  clockMHz: Float64Array;
  limitW: Float64Array;
  util: Float64Array;
  flags: Uint32Array;
  rackW: Float64Array;
  rackMaxTempC: Float64Array;
  rowW: Float64Array;
  rowMaxTempC: Float64Array;
  /** Per rack, its inlet air (°C; NaN where unknown): stored in the rack channel with rackW. Absent: not stored. */
  rackInletC?: Float64Array;
  siteW: number;
  /** What changed at this tick (budgets, stages, brakes, overrides, scenario events), stored with it. */
  events?: TickEvent[];
}

/** Something that changed, stored on the run's time line so past charts show what was in force then. */
export interface TickEvent {
  /** 'budget' | 'stage' | 'brake' | 'override' | 'scenario' | 'gap' … */
  kind: string;
  /** What it applies to: a row id, an override id, 'site'. */
  subject: string;
  /** Plain JSON-able details (e.g. { budgetKW: 408 }). */
  body: Record<string, unknown>;
}

/** Where the engine hands telemetry; the hand-off must be cheap (it is inside the tick budget). */
export interface TelemetrySink {
  write(rec: TickRecord): void;
  stats(): { lagBatches: number; writtenRows: number; errors: number; dropped: number; lastError: string | null };
  close(): Promise<void>;
}

/** Reads the current run's stored telemetry for the faces; implemented over telemetry.db. */
export interface TelemetryReader {
  /** Rollup series of a scope over a time range. */
  range(q: { scope: 'site' | 'row' | 'rack'; fromMs: number; toMs: number; resS: 10 | 60 }, ids: readonly string[]): RangeSeries;
  /** Events in [fromMs, toMs) (only `kinds`, when given), and each of `rows`' last budget before fromMs. */
  events(q: { fromMs: number; toMs: number; kinds?: readonly string[] }, rows: readonly string[]): EventWindow;
  /** One GPU's stored metrics over [fromMs, toMs). */
  gpu(gpu: number, fromMs: number, toMs: number): GpuHistory;
}

/** A row's persisted operator state. */
export interface StoredRow {
  rowId: string;
  automation: boolean;
  manualBrake: { by: string; reason: string; sinceMs: number } | null;
}

/** What the controller persisted: overrides in creation order, per-row flags, the policy as stored (JSON). */
export interface StoredControl {
  overrideSeq: number;
  overrides: Override[];
  rows: StoredRow[];
  policyBody: string | null;
}

/**
 * The controller's persistent state (control.db in the app). Writes run inside `transaction`, together with their
 * audit record: nothing is stored (or audited) if the function throws.
 */
export interface ControlState {
  transaction(fn: () => void): void;
  saveOverride(ov: Override, seq: number): void;
  deleteOverride(id: string): void;
  saveRow(row: StoredRow, nowMs: number): void;
  savePolicy(body: string, by: string, nowMs: number): void;
  load(): StoredControl;
}

/** An alert instance's acknowledgement as persisted. */
export interface StoredAck {
  alertId: string;
  /** When the acknowledged instance became active (a new instance starts unacknowledged). */
  activeSinceMs: number;
  by: string;
  comment: string;
  atMs: number;
}

/** A silence as persisted; its matchers are validated by the reader (they may come from an older version). */
export interface StoredSilence {
  id: string;
  matchersJson: string;
  createdBy: string;
  comment: string;
  startsAtMs: number;
  endsAtMs: number;
}

/** Alert acks and silences (control.db in the app). Writes inside `transaction` commit with their audit record. */
export interface AlertState {
  transaction(fn: () => void): void;
  acksUpTo(nowMs: number): StoredAck[];
  upsertAck(a: StoredAck): void;
  ackIds(): string[];
  deleteAcks(ids: readonly string[]): void;
  silencesActiveAt(nowMs: number): StoredSilence[];
  insertSilence(s: Silence): void;
  endSilence(id: string, atMs: number, by: string, reason: string): void;
  pruneSilences(beforeMs: number): void;
}

/** A telemetry source saved in Settings → Sources; body is its SourceConfig as JSON. */
export interface SavedSource {
  id: string;
  body: string;
}

/** The configured sources of a real fleet (control.db in the app). Writes inside `transaction` commit with their audit record. */
export interface SourcesState {
  transaction(fn: () => void): void;
  list(): SavedSource[];
  save(id: string, body: string, by: string, atMs: number): void;
  delete(id: string): void;
}
