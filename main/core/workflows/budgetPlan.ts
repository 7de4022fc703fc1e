import type { Workflow, WorkflowPlan } from '../../../shared/domain/workflows.js';
import { attainment, powerOf, stateOf } from './budgetDrop.js';
import { planWorkflow, type TaskTokens } from './planner.js';

/**
 * What the planner would run under a power budget (the Workflows view's slider; issue 16 item 4), given time to start
 * new instances: the least-energy plan meeting the target if it fits the budget; else the least-energy plan of a looser
 * target — a quarter at a time, up to 4× — that fits, judged at the true target (the share of requests it still gets
 * there); none fits: the least-power plan found, marked as not fitting, with the share of the load it would have to
 * shed to fit (power taken as proportional to load: the active energy dominates). Pure.
 */
export function planUnderBudget(w: Workflow, rps: number, tokens: readonly TaskTokens[], targetS: number, budgetW: number): { plan: WorkflowPlan; attainment: number; powerW: number; fits: boolean; shedPct: number } {
  let best: { plan: WorkflowPlan; attainment: number; powerW: number; fits: boolean; shedPct: number } | null = null;
  for (let k = 1; k <= 4.0001; k += 0.25) {
    const plan = planWorkflow(w, rps, tokens, targetS * k);
    const st = stateOf(plan, tokens);
    const powerW = powerOf(st, rps);
    const r = { plan, attainment: attainment(st, rps, targetS), powerW, fits: powerW <= budgetW, shedPct: 0 };
    if (r.fits) return r;
    if (!best || powerW < best.powerW) best = r;
  }
  return { ...best!, shedPct: Math.round((1 - budgetW / best!.powerW) * 1000) / 10 };
}
