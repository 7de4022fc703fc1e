import { z } from 'zod';
import type { WorkflowPlacement } from './workflowPlacement.js';

/**
 * Declared AI workflows (issue 16; Murakkab, PAPERS.md §4): tasks in a chain without fixing models or hardware, each
 * with the models allowed for it, an SLO tier and an arrival trace; the planner (main/core/workflows/planner.ts)
 * chooses model, GPU type, tensor-parallel degree, clock and instance count per task.
 *
 * SLO tiers (the paper's best/good/fair/basic = best/95th/80th/50th percentile, our reading): the share of requests
 * that must finish within the workflow's latency target — 99 % (best), 95 %, 80 %, 50 %. The target itself is the
 * workflow's responsiveness today: TARGET_SLACK × the unloaded end-to-end latency of its default configuration (each
 * task on its highest-quality model, H100s, the smallest degree that fits, full clock) [r].
 */
export const SLO_TIERS = ['best', 'good', 'fair', 'basic'] as const;
export type SloTier = (typeof SLO_TIERS)[number];
/** Share of requests each tier requires within the target. */
export const SLO_SHARE: Record<SloTier, number> = { best: 0.99, good: 0.95, fair: 0.8, basic: 0.5 };
export const TARGET_SLACK = 1.5;

const Id = z.string().regex(/^[a-z][a-z0-9-]{0,40}$/, 'lower-case letters, digits and dashes, starting with a letter');

export const WorkflowTaskSchema = z
  .object({
    id: Id,
    /** Models allowed for the task (catalogue ids, main/core/workflows/catalog.ts), any order. */
    models: z.array(z.string().min(1)).min(1).max(10),
    /** Tokens in and out per request; `trace` takes them from each request of the workflow's trace instead. */
    tokens: z.union([z.literal('trace'), z.object({ in: z.number().int().min(1).max(200_000), out: z.number().int().min(1).max(20_000) }).strict()]),
    /** The least quality (0–1, the catalogue's score) the task accepts. */
    minQuality: z.number().min(0).max(1).default(0),
  })
  .strict();

export const WorkflowSchema = z
  .object({
    id: Id,
    slo: z.enum(SLO_TIERS),
    /** The tasks, run one after another for each request. */
    tasks: z.array(WorkflowTaskSchema).min(1).max(6),
    /** Requests arrive as the Azure trace named, its rate scaled. */
    trace: z.enum(['code', 'conv']),
    scale: z.number().gt(0).max(1000).default(1),
  })
  .strict();

export const WorkflowsFileSchema = z
  .object({
    workflows: z.array(WorkflowSchema).min(1).max(20),
  })
  .strict()
  .superRefine((f, ctx) => {
    const seen = new Set<string>();
    f.workflows.forEach((w, i) => {
      if (seen.has(w.id)) ctx.addIssue({ code: 'custom', path: ['workflows', i, 'id'], message: `workflow "${w.id}" is declared twice` });
      seen.add(w.id);
      const tasks = new Set<string>();
      w.tasks.forEach((t, j) => {
        if (tasks.has(t.id)) ctx.addIssue({ code: 'custom', path: ['workflows', i, 'tasks', j, 'id'], message: `task "${t.id}" appears twice in workflow "${w.id}"` });
        tasks.add(t.id);
      });
    });
  });

export type WorkflowTask = z.output<typeof WorkflowTaskSchema>;
export type Workflow = z.output<typeof WorkflowSchema>;
export type WorkflowsFile = z.output<typeof WorkflowsFileSchema>;

/** One task's configuration in a plan. */
export interface TaskChoice {
  task: string;
  model: string;
  gpu: string;
  tp: number;
  /** Clock as a share of the GPU's maximum (0.6–1). */
  clock: number;
  instances: number;
  /** Unloaded latency of the task (s) and its latency at the tier's share with queueing at the planned load. */
  latencyS: number;
  tierS: number;
  /** Mean power of the task's instances at the planned load (W) and its energy per request (J). */
  powerW: number;
  energyPerRequestJ: number;
  quality: number;
}

export interface WorkflowPlan {
  workflow: string;
  /** Requests/s the plan is sized for. */
  sizedForRps: number;
  targetS: number;
  choices: TaskChoice[];
  /** End-to-end latency at the tier's share (s) and energy per request (J) at that load; feasible: the target is met. */
  tierS: number;
  energyPerRequestJ: number;
  gpus: number;
  feasible: boolean;
  /** Why this plan, in words. */
  reason: string;
}

/** One workflow in the Workflows view (`workflows:overview`): its plan for the load now, and under a lower budget. */
export interface WorkflowCard {
  workflow: string;
  slo: SloTier;
  /** Share of requests the tier requires within the target, and the target (s). */
  tierShare: number;
  targetS: number;
  rps: number;
  plan: WorkflowPlan;
  /** Predicted share of requests within the target, power (kW) and energy per request (J) of the plan at the load now. */
  attainment: number;
  powerKW: number;
  energyPerRequestJ: number;
  /** The same under the budget asked (budgetPct of the plan's power): the plan the planner would run, and what it costs. */
  underBudget: { budgetKW: number; plan: WorkflowPlan; attainment: number; powerKW: number; fits: boolean; shedPct: number } | null;
}

export interface WorkflowsOverview {
  /** Engine time and the minute of its day the load is read at. */
  tMs: number;
  minuteOfDay: number;
  budgetPct: number;
  cards: WorkflowCard[];
  totals: { powerKW: number; budgetPowerKW: number | null; requestsPerS: number };
  /** Where the profiles come from, in words. */
  profiles: string;
  /** Where this hour's plans run on the floor (main/core/workflows/placement.ts); null: the console places none. */
  placement: WorkflowPlacement | null;
}
