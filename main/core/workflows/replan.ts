import { SLO_SHARE, type Workflow, type WorkflowPlan } from '../../../shared/domain/workflows.js';
import { BACK_AFTER_S, BACK_AT, cause, DEEPER_AFTER_S, DEEPER_AT, initialReconfig, rowPressure, stepReconfig, type ReconfigRowState, type ReconfigView } from '../control/reconfig.js';
import { attainment, powerOf, stateOf } from './budgetDrop.js';
import { planUnderBudget } from './budgetPlan.js';
import { planWorkflow, type TaskTokens } from './planner.js';

/**
 * Murakkab's lever between epochs (issue 16 item 3): under power or cooling pressure a row's workflows move to the
 * planner's next-best plan — the least-energy plan under a lower power budget (budgetPlan.ts planUnderBudget: sized
 * for the load now instead of the forecast's P90 with its margin, then a looser latency target) — before caps. Pure.
 *
 * The row's pressure and its timing are TAPAS's rule (core/control/reconfig.ts): one level deeper when the pressure
 * has stayed ≥ DEEPER_AT for DEEPER_AFTER_S and the last change has landed; one level back when it has stayed
 * ≤ BACK_AT for BACK_AFTER_S; stale readings, and readings before the last change has landed, do nothing and restart
 * both clocks. A change lands after INSTANCE_START_MIN (new instances start; the old ones serve meanwhile).
 *
 * Each row runs its own share of each workflow placed on it (a slice: the share of the workflow's GPUs there, serving
 * that share of its load). Going one level deeper from level k: each slice's budget is its power at level k, at the
 * load now, less a share s of it, s = (row power − TARGET_PCT of the budget in force) / the workflow racks' power,
 * clamped to [MIN_SHED, MAX_SHED] (a thermal pressure has no power target: MIN_SHED). The result is a power ratio,
 * the new plans' power over the plans in force (level 0), both at the load now; the simulator's workflow racks draw
 * it (docs/MODEL.md "Workflows"). The SLO is kept: a slice whose plan under the budget would miss its tier takes the
 * plan for the load now at the true target instead, or keeps its plan. A level that frees nothing (the plans are already the least power the planner has)
 * is not taken: the caps stay the safety net.
 */
export const INSTANCE_START_MIN = 20;
export const REPLAN_LEVELS = 2;
export const TARGET_PCT = 65;
export const MIN_SHED = 0.1;
export const MAX_SHED = 0.5;

/** One row's share of a workflow: its plan for the epoch (whole workflow), the share on this row and its load now. */
export interface RowSlice {
  workflow: Workflow;
  tokens: TaskTokens[];
  targetS: number;
  /** Share of the workflow's GPUs (and load) on this row, 0–1. */
  share: number;
  /** Requests/s of the share now. */
  rps: number;
  plan: WorkflowPlan;
  /** Racks of the row that run it. */
  racks: number[];
}

interface Level {
  ratio: number;
  plans: WorkflowPlan[];
}

export interface ReplanState extends ReconfigRowState {
  /** Levels taken (index = level − 1): the plans per slice and their power ratio. */
  levels: Level[];
}

export interface ReplanInput {
  view: ReconfigView;
  /** Row power and its budget in force (W); the power of the row's workflow racks (W). */
  rowW: number;
  budgetW: number;
  workflowW: number;
  slices: readonly RowSlice[];
}

export interface ReplanChange {
  from: number;
  to: number;
  /** Power ratio of the workflow racks before and after (1: the plans in force). */
  fromRatio: number;
  ratio: number;
  latencyS: number;
  /** The plans' power at the load now, before and after (kW), and per workflow what changes and its SLO attainment. */
  fromKW: number;
  toKW: number;
  workflows: Array<{ workflow: string; from: string; to: string; attainment: number; tierShare: number }>;
  reason: string;
}

export function initialReplan(): ReplanState {
  return { ...initialReconfig(), levels: [] };
}

/** The slice's plan in force: the epoch's plan sized for the slice's share of the load it was sized for. */
export function slicePlan(s: RowSlice): WorkflowPlan {
  return planWorkflow(s.workflow, s.plan.sizedForRps * s.share, s.tokens, s.targetS);
}

/** A plan in a few words: per task its instances, model, GPUs and clock. */
export function describePlan(p: WorkflowPlan): string {
  return p.choices.map((c) => `${c.task} ${c.instances} × ${c.model} on ${c.tp} × ${c.gpu} at ${Math.round(c.clock * 100)} %`).join(', ');
}

const r1 = (x: number) => Math.round(x * 10) / 10;

/** One tick of a row. Returns the new state and the change decided now, if any. */
export function stepReplan(prev: ReplanState, x: ReplanInput, nowMs: number): { state: ReplanState; change: ReplanChange | null } {
  const latencyS = INSTANCE_START_MIN * 60;
  const maxRung = x.slices.length > 0 ? REPLAN_LEVELS : prev.rung;
  const { state: s0, change } = stepReconfig(prev, x.view, nowMs, { maxRung, latencyS: () => latencyS });
  const state: ReplanState = { ...s0, levels: prev.levels };
  if (!change) return { state, change: null };
  const fromRatio = prev.rung > 0 ? prev.levels[prev.rung - 1]!.ratio : 1;
  const at = (p: WorkflowPlan, s: RowSlice) => powerOf(stateOf(p, s.tokens), s.rps);
  const inForce = x.slices.map(slicePlan);
  const baseW = x.slices.reduce((n, s, i) => n + at(inForce[i]!, s), 0);
  const current = prev.rung > 0 ? prev.levels[prev.rung - 1]!.plans : inForce;
  const fromW = baseW * fromRatio;
  const p = rowPressure(x.view).toFixed(2);

  if (change.to < change.from) {
    const levels = prev.levels.slice(0, change.to);
    const ratio = change.to > 0 ? levels[change.to - 1]!.ratio : 1;
    const back = change.to > 0 ? levels[change.to - 1]!.plans : inForce;
    const workflows = x.slices.map((s, i) => ({ workflow: s.workflow.id, from: describePlan(current[i] ?? inForce[i]!), to: describePlan(back[i] ?? inForce[i]!), attainment: attainment(stateOf(back[i] ?? inForce[i]!, s.tokens), s.rps, s.targetS), tierShare: SLO_SHARE[s.workflow.slo] }));
    const reason = `pressure ${p} ≤ ${BACK_AT} for ${BACK_AFTER_S} s (${cause(x.view)}): the row's workflows back toward the plans in force`;
    return { state: { ...state, levels }, change: { from: change.from, to: change.to, fromRatio, ratio, latencyS, fromKW: r1(fromW / 1000), toKW: r1((baseW * ratio) / 1000), workflows, reason } };
  }

  // Deeper: each slice's next-best plan under its power less the share to shed.
  const need = x.rowW - (TARGET_PCT / 100) * x.budgetW;
  const shed = Math.min(MAX_SHED, Math.max(MIN_SHED, x.workflowW > 0 && Number.isFinite(need) ? need / x.workflowW : MIN_SHED));
  const next = x.slices.map((s, i) => {
    const now = current[i] ?? inForce[i]!;
    const u = planUnderBudget(s.workflow, s.rps, s.tokens, s.targetS, at(now, s) * (1 - shed));
    if (u.attainment >= SLO_SHARE[s.workflow.slo]) return u;
    // The SLO is kept: a plan under the budget that misses the tier gives way to the plan for the load now (the
    // looser targets' first step), or to the plan in force.
    const plan = planWorkflow(s.workflow, s.rps, s.tokens, s.targetS);
    const a = attainment(stateOf(plan, s.tokens), s.rps, s.targetS);
    const w = at(plan, s);
    return a >= SLO_SHARE[s.workflow.slo] && w < at(now, s) ? { plan, attainment: a, powerW: w } : { plan: now, attainment: attainment(stateOf(now, s.tokens), s.rps, s.targetS), powerW: at(now, s) };
  });
  const toW = next.reduce((n, u) => n + u.powerW, 0);
  const ratio = baseW > 0 ? toW / baseW : 1;
  if (!(ratio < fromRatio * 0.995)) {
    // Nothing lower to run: stay, clocks restarted (the caps keep the row safe).
    return { state: { ...state, rung: prev.rung, landsAtMs: prev.landsAtMs }, change: null };
  }
  const workflows = x.slices.map((s, i) => ({ workflow: s.workflow.id, from: describePlan(current[i] ?? inForce[i]!), to: describePlan(next[i]!.plan), attainment: next[i]!.attainment, tierShare: SLO_SHARE[s.workflow.slo] }));
  const slo = workflows.map((w) => `${w.workflow} ${(w.attainment * 100).toFixed(1)} % within its target (tier ${(w.tierShare * 100).toFixed(0)} %)`).join(', ');
  const reason =
    `pressure ${p} ≥ ${DEEPER_AT} for ${DEEPER_AFTER_S} s (${cause(x.view)}): the row's workflows to the planner's next-best plan instead of caps — ` +
    `${r1((fromW - toW) / 1000)} kW freed (${r1(fromW / 1000)} → ${r1(toW / 1000)} kW at the load now, ${Math.round(shed * 100)} % asked); SLO: ${slo}`;
  return {
    state: { ...state, levels: [...prev.levels.slice(0, prev.rung), { ratio, plans: next.map((u) => u.plan) }] },
    change: { from: change.from, to: change.to, fromRatio, ratio, latencyS, fromKW: r1(fromW / 1000), toKW: r1(toW / 1000), workflows, reason },
  };
}
