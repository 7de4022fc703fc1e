import type { ControllerStatus } from './domain/controller.js';
import type { DrillListing, DrillReport, DrillReportSummary, DrillStatus } from './domain/drills.js';
import { z } from 'zod';
import type { Topology } from './domain/topology.js';
import type { Alert, RangeSeries, Snapshot, Status } from './domain/fleet.js';
import { EVENT_CHANNELS, REQUEST_CHANNELS } from './channels.js';
import { planningRequests } from './contractPlanning.js';
import type { SweepResult } from './domain/planner.js';
import {
  AuditQuerySchema,
  OverrideActionSchema,
  ReasonSchema,
  SilenceMatcherSchema,
  TargetSchema,
  type Actor,
  type AuditRecord,
  type ControlSummary,
  type GpuControl,
  type Override,
  type PolicyConfig,
  type Role,
  type RowControl,
  type Silence,
} from './domain/control.js';
import type { GridWindow } from './domain/grid.js';
import type { WorkflowsOverview } from './domain/workflows.js';
import type { PlacementAdvice, RackProfileView, RoutingWeights, SiteForecast } from './domain/placement.js';
import type { EventWindow, GpuHistory } from './domain/history.js';
import { DrillEventSchema } from './domain/scenario.js';
import { ReplayPolicySchema, type ReplayInfo, type ReplayJob } from './domain/replay.js';
import type { RecordingNotes, SavedIncident } from './domain/history.js';
import type { PlantView } from './domain/plant.js';
import { SourceConfigSchema, type SourcesView, type SourceTestResult } from './domain/sources.js';

/**
 * The one contract between Headroom's engine and its faces (Electron IPC and the headless server).
 * Every request is declared once here with the schema that validates its payload and the type of its result.
 */
export const requestSchemas = {
  'fleet:topology': z.object({}).strict(),
  'fleet:snapshot': z.object({}).strict(),
  'status:get': z.object({}).strict(),
  'alerts:list': z.object({ includeResolved: z.boolean().default(false) }).strict(),
  'telemetry:range': z
    .object({
      scope: z.enum(['site', 'row', 'rack']),
      fromMs: z.number().finite(),
      toMs: z.number().finite(),
      resS: z.union([z.literal(10), z.literal(60)]),
      /** Only these entities of the scope (e.g. one row's racks); all when absent. */
      ids: z.array(z.string().min(1).max(64)).min(1).max(2000).optional(),
    })
    .strict()
    .refine((r) => r.toMs > r.fromMs, { message: 'toMs must be after fromMs', path: ['toMs'] })
    .refine((r) => r.toMs - r.fromMs <= 7 * 24 * 3600_000, { message: 'range longer than 7 days', path: ['toMs'] }),
  /** The current run's events in a window (budgets, stages, brakes, overrides, drills) and the budgets in force at its start. */
  'telemetry:events': z
    .object({
      fromMs: z.number().finite(),
      toMs: z.number().finite(),
      /** Only these kinds ('budget', 'stage' …); all when absent. */
      kinds: z.array(z.string().min(1).max(32)).min(1).max(16).optional(),
    })
    .strict()
    .refine((r) => r.toMs > r.fromMs, { message: 'toMs must be after fromMs', path: ['toMs'] })
    .refine((r) => r.toMs - r.fromMs <= 7 * 24 * 3600_000, { message: 'range longer than 7 days', path: ['toMs'] }),
  /** One GPU's stored metrics (1 Hz) over a window of at most 2 hours: each point decodes a whole tick's frame. */
  'telemetry:gpu': z
    .object({ gpu: z.number().int().nonnegative(), fromMs: z.number().finite(), toMs: z.number().finite() })
    .strict()
    .refine((r) => r.toMs > r.fromMs, { message: 'toMs must be after fromMs', path: ['toMs'] })
    .refine((r) => r.toMs - r.fromMs <= 2 * 3600_000, { message: 'range longer than 2 hours', path: ['toMs'] }),
  'sim:control': z.discriminatedUnion('action', [
    z.object({ action: z.literal('pause') }).strict(),
    z.object({ action: z.literal('resume') }).strict(),
    z.object({ action: z.literal('speed'), speed: z.number().min(0.1).max(10000) }).strict(),
    /** Playback of a recording: move to this engine time (epoch ms, within the recording). */
    z.object({ action: z.literal('seek'), tMs: z.number().finite() }).strict(),
  ]),
  /** Drills: start an event on the simulator now (a lost feed, lost cooling, a load spike). */
  'sim:inject': z.object({ event: DrillEventSchema, reason: ReasonSchema }).strict(),
  /** The drill library (shared/domain/drills.ts), each marked whether it applies to the site running now. */
  'drill:library': z.object({}).strict(),
  /** Start a library drill now; `automation: false` switches automation off on its rows for its duration (audited). */
  'drill:start': z.object({ drill: z.string().min(1).max(80), automation: z.boolean(), reason: ReasonSchema }).strict(),
  'drill:end': z.object({ reason: ReasonSchema }).strict(),
  'drill:status': z.object({}).strict(),
  'drill:reports': z.object({}).strict(),
  'drill:report': z.object({ id: z.string().min(1).max(200) }).strict(),
  'session:whoami': z.object({}).strict(),
  'control:summary': z.object({}).strict(),
  'control:gpus': z.object({ gpus: z.array(z.number().int().nonnegative()).min(1).max(512) }).strict(),
  'override:preview': z.object({ target: TargetSchema, action: OverrideActionSchema }).strict(),
  'override:set': z
    .object({
      target: TargetSchema,
      action: OverrideActionSchema,
      reason: ReasonSchema,
      /** Every override expires: 1 minute … 7 days. */
      expiresInS: z.number().int().min(60).max(7 * 24 * 3600),
    })
    .strict(),
  'override:clear': z.object({ id: z.string().min(1), reason: ReasonSchema }).strict(),
  'automation:set': z.object({ row: z.string().min(1), enabled: z.boolean(), reason: ReasonSchema }).strict(),
  'brake:row': z
    .object({ row: z.string().min(1), engage: z.boolean(), reason: ReasonSchema, confirmRow: z.string() })
    .strict()
    .refine((b) => b.confirmRow === b.row, { message: 'type the row id to confirm the brake', path: ['confirmRow'] }),
  'policy:get': z.object({}).strict(),
  'policy:set': z.object({ config: z.unknown(), reason: ReasonSchema }).strict(),
  'alerts:ack': z.object({ id: z.string().min(1), comment: z.string().max(500).default('') }).strict(),
  /** Every active, unacknowledged member of one alert group (rule × row: shared/domain/alertGroups.ts), one audit record. */
  'alerts:ackGroup': z.object({ group: z.string().min(3).max(200), comment: z.string().max(500).default('') }).strict(),
  'alerts:silence': z
    .object({ matchers: z.array(SilenceMatcherSchema).min(1).max(10), durationS: z.number().int().min(60).max(7 * 24 * 3600), comment: ReasonSchema })
    .strict(),
  'alerts:unsilence': z.object({ id: z.string().min(1), reason: ReasonSchema }).strict(),
  'alerts:silences': z.object({}).strict(),
  'audit:list': AuditQuerySchema,
  'audit:verify': z.object({}).strict(),
  ...planningRequests,
  /** Settings → Sources: where a real fleet's telemetry comes from. */
  'sources:list': z.object({}).strict(),
  'sources:test': z.object({ source: SourceConfigSchema }).strict(),
  'sources:add': z.object({ source: SourceConfigSchema, reason: ReasonSchema }).strict(),
  'sources:remove': z.object({ id: z.string().min(1).max(64), reason: ReasonSchema }).strict(),
  /** Save a window of the current run as a `.headroom` recording in the data folder's recordings/ (audited). */
  'incident:save': z
    .object({
      fromMs: z.number().finite(),
      toMs: z.number().finite(),
      title: z.string().trim().min(1).max(120),
      notes: z.string().max(4000).default(''),
      reason: ReasonSchema,
    })
    .strict()
    .refine((r) => r.toMs > r.fromMs, { message: 'toMs must be after fromMs', path: ['toMs'] })
    .refine((r) => r.toMs - r.fromMs <= 7 * 24 * 3600_000, { message: 'window longer than 7 days', path: ['toMs'] }),
  /**
   * The self-contained HTML incident report: of the recording this console plays (whole), or of a window of the
   * current run (fromMs/toMs required then).
   */
  'incident:report': z
    .object({ fromMs: z.number().finite().optional(), toMs: z.number().finite().optional() })
    .strict()
    .refine((r) => (r.fromMs === undefined) === (r.toMs === undefined), { message: 'give both fromMs and toMs, or neither', path: ['toMs'] })
    .refine((r) => r.fromMs === undefined || r.toMs! > r.fromMs, { message: 'toMs must be after fromMs', path: ['toMs'] }),
  /** Counterfactual replay of the recording this console plays: what it needs and whether it can. */
  'replay:info': z.object({}).strict(),
  /** Start a replay through another policy (a built-in name and, optionally, a whole policy configuration). */
  'replay:start': z.object({ policy: ReplayPolicySchema, config: z.unknown().optional() }).strict(),
  'replay:status': z.object({ id: z.string().min(1).max(64) }).strict(),
  /** The notes and bookmarks of the recording this console plays. */
  'recording:notes': z.object({}).strict(),
  /** Add a note (text) or a bookmark (text optional) at an instant of the recording; saved into its notes copy. */
  'recording:annotate': z
    .object({ kind: z.enum(['note', 'bookmark']), tMs: z.number().finite(), text: z.string().trim().max(2000).default('') })
    .strict()
    .refine((a) => a.kind === 'bookmark' || a.text.length > 0, { message: 'a note needs some text', path: ['text'] }),
  /**
   * The live N-1 contingency picture of the site's plant (every single failure, the worst per row); with
   * `maintenance`, the picture with those devices out of service (planning a window: "<UPS>/module" for one module).
   */
  'plant:contingency': z.object({ maintenance: z.array(z.string().min(1).max(80)).max(50).optional() }).strict(),
  /** Lift an armed response in force (its caps) before its device is back: the operator takes over (audited). */
  'plant:lift': z.object({ device: z.string().min(1).max(80), reason: ReasonSchema }).strict(),
  /** Which controller of a redundant set leads (`serve --controller`); null outside one (a desk's own simulator). */
  'controller:status': z.object({}).strict(),
} as const;

/** The least role each request needs. Reads are open to viewers; acting needs an operator; policy needs an admin. */
export const channelRoles: Record<keyof typeof requestSchemas, Role> = {
  'fleet:topology': 'viewer',
  'fleet:snapshot': 'viewer',
  'status:get': 'viewer',
  'alerts:list': 'viewer',
  'telemetry:range': 'viewer',
  'telemetry:events': 'viewer',
  'telemetry:gpu': 'viewer',
  'sim:control': 'operator',
  'sim:inject': 'operator',
  'drill:library': 'viewer',
  'drill:start': 'operator',
  'drill:end': 'operator',
  'drill:status': 'viewer',
  'drill:reports': 'viewer',
  'drill:report': 'viewer',
  'session:whoami': 'viewer',
  'control:summary': 'viewer',
  'control:gpus': 'viewer',
  'override:preview': 'viewer',
  'override:set': 'operator',
  'override:clear': 'operator',
  'automation:set': 'operator',
  'brake:row': 'operator',
  'policy:get': 'viewer',
  'policy:set': 'admin',
  'alerts:ack': 'operator',
  'alerts:ackGroup': 'operator',
  'alerts:silence': 'operator',
  'alerts:unsilence': 'operator',
  'alerts:silences': 'viewer',
  'audit:list': 'viewer',
  'audit:verify': 'viewer',
  // A sweep pins a core for minutes: operators only, one at a time, bounded in size, cancellable.
  'planner:sweep': 'operator',
  'planner:cancel': 'operator',
  // Advice reads history and changes nothing; the weights are what a load balancer polls.
  'placement:query': 'viewer',
  'profiles:rack': 'viewer',
  'profiles:forecast': 'viewer',
  'grid:window': 'viewer',
  'workflows:overview': 'viewer',
  'routing:weights': 'viewer',
  'sources:list': 'viewer',
  'sources:test': 'operator',
  'sources:add': 'admin',
  'sources:remove': 'admin',
  'incident:save': 'operator',
  'incident:report': 'viewer',
  // Replays compute on a copy of the demand: they change nothing, so viewers may run them (one at a time).
  'replay:info': 'viewer',
  'replay:start': 'viewer',
  'replay:status': 'viewer',
  // Notes go into a copy beside the recording, never into the recording: anyone analysing it may write them.
  'recording:notes': 'viewer',
  'recording:annotate': 'viewer',
  'plant:contingency': 'viewer',
  'plant:lift': 'operator',
  'controller:status': 'viewer',
};

export type RequestChannel = keyof typeof requestSchemas;

export interface ResponseTypes {
  'fleet:topology': Topology;
  'fleet:snapshot': Snapshot | null;
  'status:get': Status;
  'alerts:list': Alert[];
  'telemetry:range': RangeSeries;
  'telemetry:events': EventWindow;
  'telemetry:gpu': GpuHistory;
  'sim:control': Status;
  'sim:inject': { event: string; atMs: number };
  'drill:library': DrillListing[];
  'drill:start': DrillStatus;
  'drill:end': DrillStatus;
  'drill:status': DrillStatus;
  'drill:reports': DrillReportSummary[];
  'drill:report': { report: DrillReport; fileName: string; html: string };
  'session:whoami': Actor;
  'control:summary': ControlSummary;
  'control:gpus': GpuControl[];
  'override:preview': { gpus: number; currentW: number; afterW: number; deltaW: number; clamped: number };
  'override:set': Override;
  'override:clear': { cleared: string };
  'automation:set': RowControl;
  'brake:row': RowControl;
  'policy:get': PolicyConfig;
  'policy:set': PolicyConfig;
  'alerts:ack': Alert;
  'alerts:ackGroup': Alert[];
  'alerts:silence': Silence;
  'alerts:unsilence': { removed: string };
  'alerts:silences': Silence[];
  'audit:list': AuditRecord[];
  'audit:verify': { ok: boolean; records: number; brokenAtSeq: number | null; message: string };
  'planner:sweep': SweepResult;
  'planner:cancel': { cancelled: boolean };
  'placement:query': PlacementAdvice;
  'profiles:rack': RackProfileView;
  'profiles:forecast': SiteForecast;
  'grid:window': GridWindow;
  'workflows:overview': WorkflowsOverview;
  'routing:weights': RoutingWeights;
  'sources:list': SourcesView;
  'sources:test': SourceTestResult;
  'sources:add': SourcesView;
  'sources:remove': SourcesView;
  'incident:save': SavedIncident;
  'incident:report': { fileName: string; html: string };
  'replay:info': ReplayInfo;
  'replay:start': ReplayJob;
  'replay:status': ReplayJob;
  'recording:notes': RecordingNotes;
  'recording:annotate': RecordingNotes;
  'plant:contingency': PlantView;
  'plant:lift': { device: string; capsKW: number; gpus: number };
  'controller:status': ControllerStatus | null;
}

export type RequestPayload<C extends RequestChannel> = z.input<(typeof requestSchemas)[C]>;
export type ParsedRequest<C extends RequestChannel> = z.output<(typeof requestSchemas)[C]>;
export type ResponseOf<C extends RequestChannel> = ResponseTypes[C];

/** Pushed from the engine to every face. */
export interface EventTypes {
  'fleet:snapshot': Snapshot;
  'alerts:changed': Alert[];
  'status:changed': Status;
  'control:changed': ControlSummary;
  'audit:appended': AuditRecord;
  /** Leadership of the controller set changed (serve --controller): who leads, the epoch, a failover. */
  'controller:changed': ControllerStatus;
}
export type EventChannel = keyof EventTypes;
export const eventChannels: readonly EventChannel[] = EVENT_CHANNELS;

// Compile-time checks: the plain channel lists in channels.ts match the declarations above, both ways.
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const requestListMatches: Same<(typeof REQUEST_CHANNELS)[number], RequestChannel> = true;
const eventListMatches: Same<(typeof EVENT_CHANNELS)[number], EventChannel> = true;
void requestListMatches;
void eventListMatches;

export function isRequestChannel(c: unknown): c is RequestChannel {
  return typeof c === 'string' && Object.prototype.hasOwnProperty.call(requestSchemas, c);
}
export function isEventChannel(c: unknown): c is EventChannel {
  return typeof c === 'string' && (eventChannels as readonly string[]).includes(c);
}

/** What a face knows of the request beyond its actor: `signal` aborts when the requesting client goes away. */
export interface RequestContext {
  signal?: AbortSignal;
}

/** Engine-side implementation of the contract: payloads arrive validated, with the authenticated actor. */
export type Handlers = {
  [C in RequestChannel]: (payload: ParsedRequest<C>, actor: Actor, ctx?: RequestContext) => ResponseOf<C> | Promise<ResponseOf<C>>;
};

/** What a face (renderer) sees: invoke a request, subscribe to an event. */
export interface HeadroomApi {
  invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>): Promise<ResponseOf<C>>;
  on<E extends EventChannel>(channel: E, listener: (payload: EventTypes[E]) => void): () => void;
}

/** Wire frames of the headless server's WebSocket. */
export const WireRequestSchema = z.object({ id: z.number().int().nonnegative(), channel: z.string().max(64), payload: z.unknown() }).strict();
export type WireRequest = z.infer<typeof WireRequestSchema>;
export type WireMessage =
  | { kind: 'response'; id: number; ok: true; result: unknown }
  | { kind: 'response'; id: number; ok: false; error: string }
  | { kind: 'event'; channel: EventChannel; payload: unknown };

/** Parse a request payload; returns a readable error instead of throwing. */
export function parseRequest<C extends RequestChannel>(channel: C, payload: unknown):
  | { ok: true; value: ParsedRequest<C> }
  | { ok: false; error: string } {
  const r = requestSchemas[channel].safeParse(payload ?? {});
  if (r.success) return { ok: true, value: r.data as ParsedRequest<C> };
  return { ok: false, error: `${channel}: ` + r.error.issues.map((i) => `${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ') };
}
