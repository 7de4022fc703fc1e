import { z } from 'zod';
import type { PlannerPolicy, SweepResult } from './domain/planner.js';

/**
 * The planning part of the one contract (shared/contract.ts spreads it into its request schemas): the capacity
 * sweep, TAPAS's placement, profiles and routing weights, the grid view and the workflows view — questions asked of
 * the site, none of which acts on it.
 */

/**
 * Bounds of one capacity sweep: server counts (each run unconstrained and under each requested policy, at most
 * PLANNER_REQUEST_POLICIES.length) and simulated time (server counts × duration).
 */
export const PLANNER_MAX_COUNTS = 60;
export const PLANNER_MAX_SIMULATED_S = 24 * 3600;
/** Policies a sweep may compare (shared/domain/planner.ts PlannerPolicy); each at most once. */
export const PLANNER_REQUEST_POLICIES = ['headroom', 'polca', 'polca-no-priority', 'none'] as const satisfies readonly PlannerPolicy[];
/** Demand profiles of a sweep (docs/MODEL.md): production (calibrated, the default) or bursty (in-step stress). */
export const PLANNER_DEMANDS = ['production', 'bursty'] as const satisfies ReadonlyArray<SweepResult['demand']>;
export function sweepCounts(p: { fromServers: number; toServers: number; step: number }): number {
  return p.toServers < p.fromServers ? 0 : Math.floor((p.toServers - p.fromServers) / Math.max(1, p.step)) + 1;
}

/** History a profile learns from (s): the run's last hour by default, up to a week. */
const HistoryWindowS = z.number().int().min(60).max(7 * 24 * 3600).default(3600);

export const planningRequests = {
  /** A capacity sweep (operators; one at a time; bounded: see PLANNER_MAX_COUNTS and PLANNER_MAX_SIMULATED_S). */
  'planner:sweep': z
    .object({
      fromServers: z.number().int().min(1).max(400).default(40),
      toServers: z.number().int().min(1).max(400).default(60),
      step: z.number().int().min(1).max(100).default(2),
      durationS: z.number().int().min(60).max(24 * 3600).default(3600),
      /** Policies to run at each count, each once; omitted: the engine's default (main/app/planner.ts). One seed always. */
      policies: z
        .array(z.enum(PLANNER_REQUEST_POLICIES))
        .min(1)
        .max(PLANNER_REQUEST_POLICIES.length)
        .refine((ps) => new Set(ps).size === ps.length, { message: 'each policy at most once' })
        .optional(),
      /** Demand profile; omitted: 'production'. */
      demand: z.enum(PLANNER_DEMANDS).optional(),
    })
    .strict()
    .refine((p) => p.toServers >= p.fromServers, { message: 'toServers must be ≥ fromServers', path: ['toServers'] })
    .superRefine((p, ctx) => {
      const counts = sweepCounts(p);
      if (counts > PLANNER_MAX_COUNTS) ctx.addIssue({ code: 'custom', path: ['step'], message: `at most ${PLANNER_MAX_COUNTS} server counts per sweep (× each policy), got ${counts}: raise step or narrow the range` });
      else if (counts * p.durationS > PLANNER_MAX_SIMULATED_S) {
        ctx.addIssue({ code: 'custom', path: ['durationS'], message: `at most ${PLANNER_MAX_SIMULATED_S / 3600} h of simulated time per sweep (server counts × duration), got ${counts} × ${p.durationS} s = ${((counts * p.durationS) / 3600).toFixed(1)} h` });
      }
    }),
  /** Where should the next N GPUs go (TAPAS placement): profiles from this run's stored history, free servers ranked. */
  'placement:query': z
    .object({
      gpus: z.number().int().min(1).max(100_000),
      kind: z.enum(['saas', 'iaas']).default('iaas'),
      profile: z.enum(['inference', 'training']).default('training'),
      windowS: HistoryWindowS,
    })
    .strict(),
  /** One rack's learned profile for the rack view: inlet against its power, vs its row, its servers' rise (stored history). */
  'profiles:rack': z
    .object({
      rack: z.number().int().min(0).max(1_000_000),
      windowS: HistoryWindowS,
    })
    .strict(),
  /** Every rack's predicted pressure over the coming day from its learned profile (the floor's "predicted" colouring). */
  'profiles:forecast': z
    .object({
      windowS: HistoryWindowS,
    })
    .strict(),
  /** The grid view: the newest `seconds` of site power at full resolution, its ramp, and the analysis against the grid's limits. */
  'grid:window': z
    .object({
      seconds: z.number().int().min(5).max(600).default(30),
    })
    .strict(),
  /** The Workflows view: each declared workflow's plan for the load now, and what the planner would run under a lower budget. */
  'workflows:overview': z
    .object({
      /** The power budget as a share of what the plans draw now (100: none). */
      budgetPct: z.number().int().min(30).max(100).default(100),
    })
    .strict(),
  /** TAPAS routing weights for a fleet's load balancers: per server, its thermal and power slack now. */
  'routing:weights': z.object({}).strict(),
  /** Stop the capacity sweep in progress (its requester gets an error); `cancelled` is false when none runs. */
  'planner:cancel': z.object({}).strict(),
};
