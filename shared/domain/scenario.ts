import { z } from 'zod';
import { RECONFIG_STEP_IDS } from './reconfig.js';
import { TopologyFileSchema } from './topology.js';
import { AlertRuleSchema } from './alerts.js';

const Id = z.string().regex(/^[A-Za-z0-9_-]+$/, 'letters, digits, "_" or "-"');
/** A time in a scenario (s): a year at most, so that time arithmetic stays exact. */
const YEAR_S = 365 * 24 * 3600;
const Seconds = z.number().min(0).max(YEAR_S);
const Duration = z.number().positive().max(YEAR_S);

/** Where a workload runs: whole rows, explicit rack ids, or explicit server ids (e.g. "C08-S1": a placement's pick). */
const PlacementSchema = z
  .object({ rows: z.array(Id).optional(), racks: z.array(Id).optional(), servers: z.array(Id).optional() })
  .refine((p) => (p.rows?.length ?? 0) + (p.racks?.length ?? 0) + (p.servers?.length ?? 0) > 0, { message: 'give rows, racks or servers' });

export const InferenceServiceSchema = z.object({
  id: Id,
  priority: z.enum(['high', 'low']),
  trace: z.enum(['code', 'conv']),
  placement: PlacementSchema,
  /** Mean request rate per server (req/s); the trace is replayed with its bursts, scaled to this mean. */
  ratePerServer: z.number().positive().max(100),
  /** Start offset into the trace (s), so services on the same trace don't burst together. */
  traceOffsetS: Seconds.default(0),
  /**
   * 'saas' (default): the operator's own service, whose requests a router may steer and whose configuration may change
   * (TAPAS); 'iaas': customers' VMs, opaque: they can only be capped.
   */
  kind: z.enum(['saas', 'iaas']).default('saas'),
  /** Reconfiguration steps this service must never take (shared/domain/reconfig.ts), e.g. ['smallModel']. */
  forbid: z.array(z.enum(RECONFIG_STEP_IDS)).default([]),
});

export const TrainingJobSchema = z.object({
  id: Id,
  priority: z.enum(['high', 'low']).default('high'),
  placement: PlacementSchema,
  /** Iteration period at full speed (s) and the compute share of it (0..1). */
  periodS: z.number().min(0.2).max(3600),
  duty: z.number().gt(0).lt(1),
  computeActivity: z.number().min(0).max(1.2).default(0.92),
  commActivity: z.number().min(0).max(1.2).default(0.15),
  startS: Seconds.default(0),
  /** A checkpoint every this many seconds of the job (0: none): the job pauses at `commActivity` to write it. */
  checkpointEveryS: z.number().min(0).max(YEAR_S).default(1800),
  /** How long a checkpoint pauses the job (s). */
  checkpointS: z.number().min(0).max(3600).default(20),
});

/**
 * Where an emergency (coolingLoss, powerBudgetLoss) applies: one row, one rack (its share of its row), or the whole
 * site (every row). Exactly one. Emergencies in force together compose: main/core/emergencies.ts.
 */
const EmergencyScope = { row: Id.optional(), rack: Id.optional(), site: z.literal(true).optional() };
function oneScope(ev: { row?: string; rack?: string; site?: true }, ctx: z.RefinementCtx): void {
  const given = (['row', 'rack', 'site'] as const).filter((k) => ev[k] !== undefined);
  if (given.length === 1) return;
  const message = given.length === 0 ? 'give where it applies: row, rack or site: true' : `give one of row, rack or site: true, not ${given.join(' and ')}`;
  ctx.addIssue({ code: 'custom', path: given.length ? [given[1]!] : [], message });
}

export const ScenarioEventSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('loadSpike'),
    atS: Seconds,
    durationS: Duration,
    /** Multiplier on request arrivals of the services placed on these rows (or on the named service). */
    factor: z.number().min(1).max(20),
    rows: z.array(Id).optional(),
    service: Id.optional(),
  }),
  z
    .object({
      kind: z.literal('coolingLoss'),
      atS: Seconds,
      durationS: Duration.optional(),
      ...EmergencyScope,
      /** Fraction of the cooling capacity lost where it applies (0..1). */
      fraction: z.number().gt(0).max(1),
    })
    .superRefine(oneScope),
  z
    .object({
      kind: z.literal('powerBudgetLoss'),
      atS: Seconds,
      durationS: Duration.optional(),
      ...EmergencyScope,
      /** Fraction of the provisioned power lost where it applies (0..1), e.g. one of two feeds. */
      fraction: z.number().gt(0).lt(1),
    })
    .superRefine(oneScope),
  z.object({
    kind: z.literal('sourceStall'),
    atS: Seconds,
    durationS: Duration,
  }),
  z.object({
    /**
     * Plant devices out of service (topology `plant:`): failed, or taken out for maintenance. Ids of feeds, UPS,
     * distribution devices or rack PDUs; "<UPS>/module" for one module of a UPS (list it twice for two).
     */
    kind: z.literal('deviceFailure'),
    atS: Seconds,
    durationS: Duration.optional(),
    devices: z.array(z.string().min(1).max(80)).min(1).max(50),
    maintenance: z.boolean().default(false),
  }),
]);

/** A drill event injected live by an operator: a scenario event without its time (it starts now). */
export const DrillEventSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('loadSpike'), durationS: z.number().positive().max(3600), factor: z.number().min(1).max(20), rows: z.array(Id).min(1) }).strict(),
  z.object({ kind: z.literal('coolingLoss'), durationS: z.number().positive().max(24 * 3600).optional(), row: Id, fraction: z.number().gt(0).max(1) }).strict(),
  z
    .object({ kind: z.literal('deviceFailure'), durationS: z.number().positive().max(7 * 24 * 3600).optional(), devices: z.array(z.string().min(1).max(80)).min(1).max(50), maintenance: z.boolean().default(false) })
    .strict(),
  z.object({ kind: z.literal('powerBudgetLoss'), durationS: z.number().positive().max(24 * 3600).optional(), row: Id, fraction: z.number().gt(0).lt(1) }).strict(),
]);
export type DrillEvent = z.output<typeof DrillEventSchema>;

export const ScenarioSchema = z.object({
  name: z.string().min(1),
  description: z.string().default(''),
  /** "default" (embedded site, optionally scaled), a topology file path (relative to the scenario), or inline. */
  topology: z.union([z.string().min(1), TopologyFileSchema]).default('default'),
  scale: z.number().int().min(1).max(64).default(1),
  seed: z.number().int().min(0).max(2 ** 32 - 1).default(1),
  stepMs: z.number().int().min(100).max(1000).default(1000),
  /**
   * How requests reach servers: 'production' (default; every server its own stream from the trace, calibrated to
   * POLCA's production row) or 'bursty' (the service replays one trace in step on every server: a stress profile).
   * docs/MODEL.md "Demand".
   */
  demand: z.enum(['production', 'bursty']).default('production'),
  startTime: z.string().datetime().default('2026-01-01T00:00:00Z'),
  services: z.array(InferenceServiceSchema).max(1000).default([]),
  training: z.array(TrainingJobSchema).max(1000).default([]),
  events: z.array(ScenarioEventSchema).max(10_000).default([]),
  alertRules: z.array(AlertRuleSchema).optional(),
});
export type ScenarioFile = z.input<typeof ScenarioSchema>;
export type Scenario = z.output<typeof ScenarioSchema>;
export type ScenarioEvent = z.output<typeof ScenarioEventSchema>;
export type InferenceService = z.output<typeof InferenceServiceSchema>;
export type TrainingJob = z.output<typeof TrainingJobSchema>;
