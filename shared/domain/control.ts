import { z } from 'zod';

/** Who may do what. viewer: look; operator: override, ack, silence, brake; admin: also change policy. */
export const RoleSchema = z.enum(['viewer', 'operator', 'admin']);
export type Role = z.infer<typeof RoleSchema>;
export const ROLE_RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** The person (or component) behind a request, as the face authenticated it. */
export interface Actor {
  user: string;
  role: Role;
}

// ---------------------------------------------------------------------------------------------------------------
// Policy configuration (POLCA controller, actuation model, emergency playbooks). Paper values are the defaults.
// ---------------------------------------------------------------------------------------------------------------

/** Frequency caps of one GPU model (MHz): low-priority above T1, low-priority above T2, high-priority above T2. */
export const ClockCapsSchema = z.object({
  lowT1MHz: z.number().positive(),
  lowT2MHz: z.number().positive(),
  highT2MHz: z.number().positive(),
});
export type ClockCaps = z.infer<typeof ClockCapsSchema>;

export const PolcaConfigSchema = z
  .object({
    /** Row power thresholds, % of the row's provisioned (effective) budget. POLCA: T1 80 %, T2 89 %, brake 100 %. */
    t1Pct: z.number().min(0).max(150).default(80),
    t2Pct: z.number().min(0).max(150).default(89),
    brakePct: z.number().min(0).max(150).default(100),
    /** Release a stage only once power is this many points below its threshold (POLCA: 5). */
    releaseHysteresisPct: z.number().min(0).max(50).default(5),
    /** A stage stays engaged at least this long before it may release (s); stops flapping. */
    minHoldS: z.number().min(0).max(3600).default(30),
    /** Release the brake only after power stays below brakePct − hysteresis this long (s). */
    brakeReleaseS: z.number().min(0).max(3600).default(10),
    /** Per GPU model id; models not listed get caps derived from their clocks (see docs). */
    clockCaps: z.record(z.string(), ClockCapsSchema).default({}),
  })
  .superRefine((c, ctx) => {
    if (!(c.t1Pct < c.t2Pct)) ctx.addIssue({ code: 'custom', path: ['t1Pct'], message: `T1 (${c.t1Pct} %) must be below T2 (${c.t2Pct} %)` });
    if (!(c.t2Pct < c.brakePct)) ctx.addIssue({ code: 'custom', path: ['t2Pct'], message: `T2 (${c.t2Pct} %) must be below the brake level (${c.brakePct} %)` });
  });
export type PolcaConfig = z.output<typeof PolcaConfigSchema>;

/** How long an action takes to take effect (s), per control path. POLCA: out-of-band caps up to 40 s, brake ~5 s. */
export const ActuationConfigSchema = z.object({
  outOfBandCapS: z.number().min(0).max(600).default(40),
  brakeS: z.number().min(0).max(600).default(5),
  inBandS: z.number().min(0).max(600).default(1),
  /** Which path caps take: 'outOfBand' (BMC, like POLCA) or 'inBand' (nvidia-smi on the host). */
  capPath: z.enum(['outOfBand', 'inBand']).default('outOfBand'),
  /** A GPU's setpoint changes at most once per this many seconds (emergencies excepted). */
  minChangeIntervalS: z.number().min(0).max(3600).default(5),
  /** A command not seen in read-back this long after its expected effect raises an alarm (s). */
  correctionS: z.number().min(0).max(600).default(10),
});
export type ActuationConfig = z.output<typeof ActuationConfigSchema>;

/** One stage of an emergency playbook: when `trigger` holds on a row, apply `action` to the chosen GPUs. */
export const PlaybookStageSchema = z.object({
  /** Seconds after the playbook starts before this stage may act. */
  afterS: z.number().min(0).max(3600).default(0),
  action: z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('clockCap'), mhzPctOfMax: z.number().min(5).max(100), priority: z.enum(['low', 'all']).default('all') }),
    z.object({ kind: z.literal('powerCap'), pctOfMaxLimit: z.number().min(5).max(100), priority: z.enum(['low', 'all']).default('all') }),
    z.object({ kind: z.literal('brake') }),
  ]),
  /** The stage acts only while this still holds (e.g. still above the new budget). */
  whileAbovePct: z.number().min(0).max(200).optional(),
  whileHottestGpuAboveC: z.number().min(-20).max(150).optional(),
});

export const PlaybookSchema = z.object({
  id: z.string().min(1),
  description: z.string().default(''),
  trigger: z.discriminatedUnion('kind', [
    /** The row's budget dropped (a lost feed): act before the UPS ride-through ends. */
    z.object({ kind: z.literal('powerBudgetLoss'), rideThroughS: z.number().min(0).max(600).default(10) }),
    /** The row's hottest GPU is within `marginC` of slowdown, or its inlet above `inletAboveC`. */
    z.object({ kind: z.literal('thermal'), marginC: z.number().min(0).max(50).default(8), inletAboveC: z.number().min(0).max(80).optional() }),
    /**
     * A load spike: row power rose above the top of its own recent envelope faster than `pctPerS` (% of budget per
     * second) while near its budget. The rule, and why training waves and start-up ramps are no spike:
     * main/core/control/loadSpike.ts. The optional fields have defaults, so `{ kind, pctPerS }` alone stays valid.
     */
    z.object({
      kind: z.literal('loadSpike'),
      pctPerS: z.number().positive().max(100),
      /** The rise is measured over this window (s): now against the row's envelope before it. */
      riseS: z.number().min(1).max(600).default(10),
      /** The row's normal variation: the top of its power over this window (s) before the rise; longer than an iteration. */
      baselineS: z.number().min(1).max(3600).default(60),
      /** No spike until the row has this much history (s): a job's start-up is no spike. */
      warmupS: z.number().min(0).max(3600).default(60),
      /** A rise matters only with the row above this % of its budget (a rise from 40 % to 70 % is no emergency). */
      nearPct: z.number().min(0).max(200).default(85),
    }),
  ]),
  stages: z.array(PlaybookStageSchema).min(1),
});
export type Playbook = z.output<typeof PlaybookSchema>;

/**
 * Headroom's own row controller (main/core/control/headroom.ts): POLCA's levels and locks, staged from what the row
 * can do next rather than where it is. Every field is a default of ours, not a paper's value (docs/CONTROL.md).
 */
export const HeadroomConfigSchema = z.object({
  /** Decisions read the row's envelope: its highest power over this window (s), so training waves read as a plateau. */
  envelopeS: z.number().min(1).max(600).default(30),
  /** Rises are not learnt for this long after the controller starts (s): a row first seen from nothing is no rise. */
  warmupS: z.number().min(0).max(3600).default(120),
  /** The row's rises are learnt over this much history (s). */
  riseHistoryS: z.number().min(60).max(24 * 3600).default(3600),
  /** Quantile of the learnt rises a lock must be early for (1 = the worst seen). */
  riseQuantile: z.number().min(0.5).max(1).default(1),
  /**
   * Quantile of the learnt rises the high-priority locks must be early for: they cost latency, and the brake is still
   * behind them, so they are staged on a likely rise rather than the worst.
   */
  highRiseQuantile: z.number().min(0.5).max(1).default(0.9),
  /** Rise assumed before the row has history, and the least ever assumed (points of the budget). */
  minRisePct: z.number().min(0).max(100).default(4),
  /** Points kept free below the brake level beyond the expected rise. */
  marginPct: z.number().min(0).max(50).default(2),
  /** A lock level stays at least this long once landed (s): crests come back within minutes. */
  minHoldS: z.number().min(0).max(3600).default(300),
  /** Hold of the high-priority locks (s): they cost latency, so they are the first to go once the row has room. */
  highHoldS: z.number().min(0).max(3600).default(30),
  /** Deep lock (the stage beyond the brake): after this many brakes within `escalateWindowS` on a row. */
  escalateBrakes: z.number().int().min(1).max(100).default(2),
  escalateWindowS: z.number().min(1).max(24 * 3600).default(600),
  /** The deep lock holds this long after the row's last brake (s). */
  deepHoldS: z.number().min(0).max(24 * 3600).default(600),
  /** Deep lock of low-priority GPUs, as a share of their model's max SM clock (high-priority GPUs go to POLCA's low T2). */
  deepClockShare: z.number().min(0.2).max(1).default(0.7),
});
export type HeadroomConfig = z.output<typeof HeadroomConfigSchema>;

export const PolicyConfigSchema = z.object({
  polca: PolcaConfigSchema.default(PolcaConfigSchema.parse({})),
  headroom: HeadroomConfigSchema.default(HeadroomConfigSchema.parse({})),
  actuation: ActuationConfigSchema.default(ActuationConfigSchema.parse({})),
  playbooks: z.array(PlaybookSchema).default([]),
});
export type PolicyConfig = z.output<typeof PolicyConfigSchema>;

// ---------------------------------------------------------------------------------------------------------------
// Manual overrides
// ---------------------------------------------------------------------------------------------------------------

/** What an operator selected: GPU indices, or servers / racks / a row by id. */
export const TargetSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('gpus'), ids: z.array(z.number().int().nonnegative()).min(1).max(20_000) }),
  z.object({ kind: z.literal('servers'), ids: z.array(z.string().min(1)).min(1).max(5_000) }),
  z.object({ kind: z.literal('racks'), ids: z.array(z.string().min(1)).min(1).max(2_000) }),
  z.object({ kind: z.literal('row'), id: z.string().min(1) }),
]);
export type Target = z.infer<typeof TargetSchema>;

export const OverrideActionSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('powerCap'), watts: z.number().finite() }),
  z.object({ kind: z.literal('clockLock'), mhz: z.number().finite() }),
  /** Keep automation (POLCA caps) off these GPUs; emergencies still apply. */
  z.object({ kind: z.literal('exempt') }),
]);
export type OverrideAction = z.infer<typeof OverrideActionSchema>;

export const ReasonSchema = z.string().trim().min(3, 'a reason of at least 3 characters is required').max(500);

export interface Override {
  id: string;
  target: Target;
  action: OverrideAction;
  /** GPU indices the target resolved to when it was set. */
  gpus: number[];
  reason: string;
  createdBy: string;
  createdAtMs: number;
  expiresAtMs: number;
}

/** Who set a GPU's current setpoint. */
export type SetpointSource = 'none' | 'auto' | 'manual' | 'emergency';

/** One GPU's control picture: what is requested, what is in effect, and why. */
export interface GpuControl {
  gpu: number;
  requested: { limitW: number; lockMHz: number; brake: boolean; source: SetpointSource; since: number };
  inEffect: { limitW: number; lockMHz: number; brake: boolean };
  /** Commands issued but not yet in effect (modelled latency), with their expected time. */
  pending: Array<{ what: string; effectAtMs: number }>;
  /** Every contribution the arbiter considered, winner first. */
  reasons: Array<{ source: SetpointSource; what: string; why: string }>;
  exempt: boolean;
  alarm: string | null;
}

/** Per row: automation on/off, the controller's stage, and counters. */
export interface RowControl {
  row: string;
  automation: boolean;
  stage: 'normal' | 't1' | 't2' | 'brake';
  playbook: string | null;
  /** GPUs with a cap, lock or brake in effect (landed: read back, or past its modelled latency). */
  cappedGpus: number;
  brakedGpus: number;
  /** GPUs with a cap, lock or brake requested now (commanded; the audit's batches count these), landed or not. */
  commandedGpus?: number;
  /** The operator's row brake, if engaged (who, why, since when). */
  manualBrake: { by: string; reason: string; sinceMs: number } | null;
  /** Headroom's deep lock (the stage beyond the brake, after brakes recur) is engaged on the row. */
  deepLock: boolean;
  /** Servers Headroom recommends shedding: even the deep lock leaves the row above its brake level (0: none). */
  shedServers: number;
  /**
   * A lever other than caps acting on the row now (TAPAS: its SaaS instances reconfigured, e.g. "FP8"), with the reason
   * it was pulled; absent or null: none.
   */
  lever?: { label: string; reason: string } | null;
}

export interface ControlSummary {
  rows: RowControl[];
  overrides: Override[];
  /** Per-GPU requested setpoint source (0 none, 1 auto, 2 manual, 3 emergency), for the heatmap. */
  gpuSource: number[];
  counts: { caps: number; brakes: number; releases: number };
}

// ---------------------------------------------------------------------------------------------------------------
// Audit
// ---------------------------------------------------------------------------------------------------------------

/** What an audit record is about; 'run' marks where a run of Headroom on this control.db starts and stops. */
export const AUDIT_KIND_VALUES = ['override', 'override-clear', 'policy', 'automation', 'brake', 'actuation', 'ack', 'silence', 'unsilence', 'refusal', 'drill', 'source', 'run', 'incident', 'maintenance', 'armed', 'sim', 'lever', 'controller'] as const;
export type AuditKind = (typeof AUDIT_KIND_VALUES)[number];

/** One audit record (NIST AU-3: who, what, when, where, outcome), hash-chained to its predecessor. */
export interface AuditRecord {
  seq: number;
  /** Wall-clock time of the record (epoch ms) and the engine's (simulated) time. */
  atMs: number;
  simMs: number;
  actor: string;
  role: Role | 'system';
  kind: AuditKind;
  target: string;
  oldValue: string;
  newValue: string;
  reason: string;
  outcome: 'ok' | 'refused' | 'failed';
  prevHash: string;
  hash: string;
}

export const AuditQuerySchema = z
  .object({
    kind: z.enum(AUDIT_KIND_VALUES).optional(),
    actor: z.string().max(200).optional(),
    target: z.string().max(200).optional(),
    outcome: z.enum(['ok', 'refused', 'failed']).optional(),
    beforeSeq: z.number().int().positive().optional(),
    limit: z.number().int().min(1).max(5000).default(200),
  })
  .strict();
export type AuditQuery = z.output<typeof AuditQuerySchema>;

// ---------------------------------------------------------------------------------------------------------------
// Alert handling
// ---------------------------------------------------------------------------------------------------------------

/** A silence mutes alerts whose fields all match (exact, or a trailing "*" for a prefix). */
export const SilenceMatcherSchema = z.object({
  field: z.enum(['rule', 'severity', 'subject', 'row']),
  value: z.string().min(1).max(200),
});
export interface Silence {
  id: string;
  matchers: Array<z.infer<typeof SilenceMatcherSchema>>;
  createdBy: string;
  comment: string;
  startsAtMs: number;
  endsAtMs: number;
}
export interface Ack {
  alertId: string;
  by: string;
  comment: string;
  atMs: number;
}
