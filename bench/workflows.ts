import { WorkflowSchema } from '../shared/domain/workflows.js';
import { candidates, planWorkflow, sloTarget } from '../main/core/workflows/planner.js';
import { runWorkflowsScenario } from '../main/app/workflowSim.js';

/**
 * Issue 16's scale (called from bench/run.ts):
 *  - planMs: plans for 20 workflows × 6 tasks, each task with ~60 profiles (Llama 8B and 70B on H100 and A100 at every
 *    degree that fits and five clocks), sized for 50 req/s — the planner's dynamic programme, this thread; cold (the
 *    first call) and warm (best of 5). The planner places nothing on racks yet: the fleet's size (10,240 GPUs) does not
 *    enter it;
 *  - simSpeedup: `--scenario workflows --planner murakkab --compare` (a day of the four default workflows under the
 *    three planners, minute by minute: analytic, not the GPU-level simulator), simulated seconds per wall second.
 */
export function benchWorkflows() {
  const tasks = Array.from({ length: 6 }, (_, i) => ({ id: `t${i}`, models: ['llama-3.1-8b', 'llama-3.1-70b'], tokens: { in: 500 + 300 * i, out: 100 + 40 * i } }));
  const flows = Array.from({ length: 20 }, (_, i) => WorkflowSchema.parse({ id: `w${i}`, slo: (['best', 'good', 'fair', 'basic'] as const)[i % 4], trace: 'code', tasks }));
  const tokens = tasks.map((t) => t.tokens);
  const profiles = candidates(flows[0]!, tokens)[0]!.length;
  const planAll = () => {
    for (const w of flows) planWorkflow(w, 50, tokens, sloTarget(w, tokens));
  };
  const c0 = performance.now();
  planAll();
  const coldPlanMs = performance.now() - c0;
  let planMs = Infinity;
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    planAll();
    planMs = Math.min(planMs, performance.now() - t0);
  }
  const sim = runWorkflowsScenario({ planner: 'murakkab', durationS: 86_400, compare: true });
  return { workflows: 20, tasks: 6, profilesPerTask: profiles, planMs: Math.round(planMs), coldPlanMs: Math.round(coldPlanMs), simSpeedup: sim.simSpeedup };
}
