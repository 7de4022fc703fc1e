import { SLO_SHARE, type WorkflowCard, type WorkflowsFile, type WorkflowsOverview } from '../../shared/domain/workflows.js';
import { attainment, powerOf, stateOf } from '../core/workflows/budgetDrop.js';
import { planUnderBudget } from '../core/workflows/budgetPlan.js';
import { planWorkflow, sloTarget } from '../core/workflows/planner.js';
import { arrivals, DEFAULT_WORKFLOWS, FORECAST_MARGIN, tokensOf } from './workflowSim.js';
import type { WorkflowDeployment } from './workflowDeployment.js';

/**
 * The Workflows view's data (`workflows:overview`): each declared workflow's load at the engine's minute of the day
 * (its day of arrivals, as `--scenario workflows` draws them), the planner's plan for it (sized with the forecast
 * margin), what that plan draws and gets, and — for a budget below 100 % of that power — what the planner would run
 * instead and what it would cost in requests within the target. Plans take milliseconds: computed on request. With a
 * deployment (app/workflowDeployment.ts), where the hour's plans run on the floor.
 */
export function createWorkflowsOverview(file: WorkflowsFile = DEFAULT_WORKFLOWS, seed = 1, deployment: WorkflowDeployment | null = null): (p: { budgetPct: number }, nowMs: number) => WorkflowsOverview {
  const day = file.workflows.map((w) => ({ w, tokens: tokensOf(w), rate: arrivals(w, 1440, seed) }));
  return ({ budgetPct }, nowMs) => {
    const minuteOfDay = Math.floor((((nowMs / 60_000) % 1440) + 1440) % 1440);
    const cards: WorkflowCard[] = day.map(({ w, tokens, rate }) => {
      const rps = rate[minuteOfDay]!;
      const target = sloTarget(w, tokens);
      const plan = planWorkflow(w, rps * FORECAST_MARGIN, tokens, target);
      const st = stateOf(plan, tokens);
      const powerW = powerOf(st, rps);
      const budgetW = (powerW * budgetPct) / 100;
      const ub = budgetPct < 100 ? planUnderBudget(w, rps, tokens, target, budgetW) : null;
      const r3 = (x: number) => Math.round(x * 1000) / 1000;
      return {
        workflow: w.id,
        slo: w.slo,
        tierShare: SLO_SHARE[w.slo],
        targetS: r3(target),
        rps: r3(rps),
        plan,
        attainment: Math.round(attainment(st, rps, target) * 1e4) / 1e4,
        powerKW: r3(powerW / 1000),
        energyPerRequestJ: r3(rps > 0 ? powerW / rps : 0),
        underBudget: ub ? { budgetKW: r3(budgetW / 1000), plan: ub.plan, attainment: Math.round(ub.attainment * 1e4) / 1e4, powerKW: r3(ub.powerW / 1000), fits: ub.fits, shedPct: ub.shedPct } : null,
      };
    });
    const sum = (f: (c: WorkflowCard) => number) => Math.round(cards.reduce((s, c) => s + f(c), 0) * 1000) / 1000;
    return {
      tMs: nowMs,
      minuteOfDay,
      budgetPct,
      cards,
      totals: { powerKW: sum((c) => c.powerKW), budgetPowerKW: budgetPct < 100 ? sum((c) => c.underBudget?.powerKW ?? c.powerKW) : null, requestsPerS: sum((c) => c.rps) },
      profiles: 'serving profiles from datasheet FLOPS and bandwidth and our GPU power model — physics, not measurements (docs/MODEL.md "Workflows")',
      placement: deployment ? deployment.at(nowMs).placement : null,
    };
  };
}
