import { SLO_SHARE, type Workflow, type WorkflowPlan } from '../../../shared/domain/workflows.js';
import { clockForLimit } from '../physics.js';
import { CLOCKS, PREFILL_ACTIVITY, profile, SERVING_GPUS, SERVING_MODELS, type Profile } from './service.js';
import type { TaskTokens } from './planner.js';

/**
 * The operator's figure (issue 16 item 6): the row's budget drops by DROP_PCT of what the workflows draw; how many kW
 * can be freed within 10 minutes at the same SLO, and what caps alone cost for the same kW. Pure.
 *  - **the planner**: within 10 minutes no new instance starts (they take 20), so it may only lower clocks and stop
 *    instances of the plan in force; it searches every task's clock and count for the lowest power whose share of
 *    requests within the target still meets the tier (the same SLO); it frees what it can, up to DROP_PCT;
 *  - **caps alone**: every GPU of the workflows capped alike at the power limit that frees the same kW, instances
 *    untouched: the clock is what prefill may run at under the cap (our GPU model's clockForLimit), decode too (it
 *    draws less and could run a little faster: slightly pessimistic for caps).
 * Attainment: as the day's simulation judges a minute (one exponential wait of the tasks' summed mean; ρ ≥ 1 misses all).
 */
export const DROP_PCT = 20;

export interface TaskState {
  p: Profile;
  instances: number;
}

/** Mean power (W) of the tasks' instances at `rps` (GPUs and their servers' share). */
export function powerOf(ts: readonly TaskState[], rps: number): number {
  return ts.reduce((s, { p, instances }) => {
    const rho = Math.min(1, (rps * p.busyS) / instances);
    const mixW = (p.ttftS * p.prefillW + (p.busyS - p.ttftS) * p.decodeW) / p.busyS;
    return s + instances * p.tp * (p.idleW + rho * (mixW - p.idleW));
  }, 0);
}

/** Share of requests within `targetS` at `rps` (0 when a task is overloaded). */
function served(ts: readonly TaskState[], rps: number): number {
  return Math.min(1, ...ts.map(({ p, instances }) => instances / Math.max(1e-12, rps * p.busyS)));
}

export function attainment(ts: readonly TaskState[], rps: number, targetS: number): number {
  let l0 = 0;
  let wait = 0;
  for (const { p, instances } of ts) {
    const rho = (rps * p.busyS) / instances;
    if (rho >= 1) return 0;
    l0 += p.latencyS;
    wait += (p.busyS * rho) / (1 - rho);
  }
  const slack = targetS - l0;
  return slack <= 0 ? 0 : wait <= 0 ? 1 : 1 - Math.exp(-slack / wait);
}

/** The profiles and instance counts of a plan (optionally at another clock). */
export function stateOf(plan: WorkflowPlan, tokens: readonly TaskTokens[], clock?: (c: WorkflowPlan['choices'][number]) => number): TaskState[] {
  return plan.choices.map((c, i) => ({
    p: profile(SERVING_MODELS.find((m) => m.id === c.model)!, SERVING_GPUS.find((g) => g.id === c.gpu)!, c.tp, clock ? clock(c) : c.clock, tokens[i]!.in, tokens[i]!.out),
    instances: c.instances,
  }));
}

export interface DropWay {
  freedKW: number;
  attainment: number;
  /** Share of the arriving requests the instances can serve at all (1: none turned away by overload). */
  servedShare: number;
  /** What it did, in words. */
  how: string;
}

export interface BudgetDrop {
  workflow: string;
  rps: number;
  beforeKW: number;
  beforeAttainment: number;
  targetKW: number;
  planner: DropWay;
  caps: DropWay;
}

export function budgetDrop(w: Workflow, plan: WorkflowPlan, tokens: readonly TaskTokens[], rps: number): BudgetDrop {
  const target = plan.targetS;
  const now = stateOf(plan, tokens);
  const beforeW = powerOf(now, rps);
  const limitW = beforeW * (1 - DROP_PCT / 100);
  const r1 = (x: number) => Math.round(x * 10) / 10;
  const r4 = (x: number) => Math.round(x * 1e4) / 1e4;

  // The planner: every task's clock and instance count (≤ today's), exhaustively (tasks ≤ 6, clocks 5, counts small).
  const perTask = plan.choices.map((c, i) => {
    const opts: TaskState[] = [];
    for (const clock of CLOCKS) for (let n = 1; n <= c.instances; n++) opts.push({ p: stateOf(plan, tokens, () => clock)[i]!.p, instances: n });
    return opts;
  });
  const share = SLO_SHARE[w.slo];
  let best: { ts: TaskState[]; a: number; w: number } | null = null;
  const walk = (i: number, acc: TaskState[]) => {
    if (i === perTask.length) {
      const a = attainment(acc, rps, target);
      if (a < share) return;
      // The lowest power that keeps the SLO, but no lower than the budget asks (freeing more costs requests for nothing).
      const wNow = Math.max(powerOf(acc, rps), limitW);
      if (!best || wNow < best.w - 1e-9 || (Math.abs(wNow - best.w) <= 1e-9 && a > best.a)) best = { ts: [...acc], a, w: powerOf(acc, rps) };
      return;
    }
    for (const o of perTask[i]!) {
      acc.push(o);
      walk(i + 1, acc);
      acc.pop();
    }
  };
  walk(0, []);
  const found = best as { ts: TaskState[]; a: number; w: number } | null;
  const plannerWay: DropWay = found
    ? {
        freedKW: r1((beforeW - found.w) / 1000),
        attainment: r4(found.a),
        servedShare: r4(served(found.ts, rps)),
        how: found.ts.map((t, i) => `${plan.choices[i]!.task}: ${Math.round(t.p.clock * 100)} % clock, ${t.instances} of ${plan.choices[i]!.instances} instance${plan.choices[i]!.instances === 1 ? '' : 's'}`).join('; '),
      }
    : { freedKW: 0, attainment: r4(attainment(now, rps, target)), servedShare: r4(served(now, rps)), how: 'nothing within 10 minutes keeps the SLO at a lower power' };

  // Caps alone: one power limit for every GPU of the workflows (its model's range), bisected until the total frees
  // what the planner freed (the same kW, for a fair comparison; at least 1 % when the planner frees nothing).
  const capTargetW = beforeW - Math.max(plannerWay.freedKW * 1000, beforeW * 0.01);
  const capped = (capW: number) =>
    plan.choices.map((c, i) => {
      const gpu = SERVING_GPUS.find((g) => g.id === c.gpu)!;
      const m = gpu.power;
      const f = Math.min(clockForLimit(m, PREFILL_ACTIVITY, Math.max(m.minLimitW, capW)), m.maxClockMHz * c.clock);
      return { p: profile(SERVING_MODELS.find((x) => x.id === c.model)!, gpu, c.tp, f / m.maxClockMHz, tokens[i]!.in, tokens[i]!.out), instances: c.instances };
    });
  let lo = Math.min(...plan.choices.map((c) => SERVING_GPUS.find((g) => g.id === c.gpu)!.power.minLimitW));
  let hi = Math.max(...plan.choices.map((c) => SERVING_GPUS.find((g) => g.id === c.gpu)!.power.maxLimitW));
  for (let k = 0; k < 40; k++) {
    const mid = (lo + hi) / 2;
    if (powerOf(capped(mid), rps) > capTargetW) hi = mid;
    else lo = mid;
  }
  const capTs = capped(lo);
  const capW = powerOf(capTs, rps);
  const capsWay: DropWay = {
    freedKW: r1((beforeW - capW) / 1000),
    attainment: r4(attainment(capTs, rps, target)),
    servedShare: r4(served(capTs, rps)),
    how: capW > capTargetW + 1 ? `even at the GPUs' lowest limit the workflows draw ${r1(capW / 1000)} kW` : `every GPU capped at ${Math.round(lo)} W`,
  };
  return { workflow: w.id, rps: r4(rps), beforeKW: r1(beforeW / 1000), beforeAttainment: r4(attainment(now, rps, target)), targetKW: r1(limitW / 1000), planner: plannerWay, caps: capsWay };
}
