import type { Topology } from '../../shared/domain/topology.js';
import type { Workflow, WorkflowPlan, WorkflowsFile } from '../../shared/domain/workflows.js';
import type { WorkflowPlacement } from '../../shared/domain/workflowPlacement.js';
import { placeWorkflows } from '../core/workflows/placement.js';
import { planWorkflow, sloTarget, type TaskTokens } from '../core/workflows/planner.js';
import type { RowSlice } from '../core/workflows/replan.js';
import type { Simulator } from '../sim/simulator.js';
import { arrivals, DEFAULT_WORKFLOWS, EPOCH_MIN, FORECAST_MARGIN, tokensOf } from './workflowSim.js';

/**
 * The declared workflows deployed on the live site (issue 16 items 3 and 4): each epoch (hour of the simulated day)
 * every workflow runs the planner's plan for the P90 of that hour's per-minute rate with the forecast margin (as
 * `--scenario workflows` draws the day's arrivals), placed on the racks that serve SaaS inference
 * (core/workflows/placement.ts). Cached per epoch; the load now is read per minute.
 */
export interface WorkflowDeployment {
  /** The epoch's plans and placement at engine time `nowMs`. */
  at(nowMs: number): Epoch;
  /** Row `row`'s share of each workflow placed on it, at the load of `nowMs`'s minute (core/workflows/replan.ts). */
  slices(row: number, nowMs: number): RowSlice[];
}

interface Epoch {
  epoch: number;
  plans: Array<{ w: Workflow; tokens: TaskTokens[]; targetS: number; plan: WorkflowPlan }>;
  placement: WorkflowPlacement;
}

/** Racks whose servers serve a SaaS inference service of the simulator; none known (a real fleet): every rack. */
export function saasRacks(topology: Topology, sim: Simulator | null): number[] {
  if (!sim) return topology.racks.map((_, i) => i);
  const out = new Set<number>();
  for (const s of sim.services) if (s.spec.kind !== 'iaas') for (const sv of s.servers) out.add(topology.servers[sv]!.rack);
  return [...out].sort((a, b) => a - b);
}

export function createWorkflowDeployment(topology: Topology, racks: readonly number[], file: WorkflowsFile = DEFAULT_WORKFLOWS, seed = 1): WorkflowDeployment {
  const day = file.workflows.map((w) => {
    const tokens = tokensOf(w);
    return { w, tokens, targetS: sloTarget(w, tokens), rate: arrivals(w, 1440, seed) };
  });
  const minuteOf = (nowMs: number) => Math.floor((((nowMs / 60_000) % 1440) + 1440) % 1440);
  let cached: Epoch | null = null;
  const at = (nowMs: number): Epoch => {
    const epoch = Math.floor(minuteOf(nowMs) / EPOCH_MIN);
    if (cached?.epoch === epoch) return cached;
    const plans = day.map(({ w, tokens, targetS, rate }) => {
      const hour = Array.from(rate.subarray(epoch * EPOCH_MIN, (epoch + 1) * EPOCH_MIN)).sort((a, b) => a - b);
      const p90 = hour[Math.min(hour.length - 1, Math.floor(0.9 * hour.length))] ?? 0;
      return { w, tokens, targetS, plan: planWorkflow(w, p90 * FORECAST_MARGIN, tokens, targetS) };
    });
    const placement = placeWorkflows(
      topology,
      racks,
      plans.map(({ plan }) => ({ workflow: plan.workflow, tasks: plan.choices.map((c) => ({ task: c.task, tp: c.tp, instances: c.instances })) })),
    );
    cached = { epoch, plans, placement };
    return cached;
  };
  return {
    at,
    slices(row, nowMs) {
      const e = at(nowMs);
      const minute = minuteOf(nowMs);
      const out: RowSlice[] = [];
      for (const [i, p] of e.plans.entries()) {
        const onRow = e.placement.instances.filter((x) => x.workflow === p.w.id && x.row === row);
        if (onRow.length === 0) continue;
        const share = onRow.reduce((n, x) => n + x.gpus, 0) / Math.max(1, p.plan.gpus);
        out.push({ workflow: p.w, tokens: p.tokens, targetS: p.targetS, share, rps: day[i]!.rate[minute]! * share, plan: p.plan, racks: [...new Set(onRow.map((x) => x.rack))] });
      }
      return out;
    },
  };
}
