import { SLO_SHARE, WorkflowsFileSchema, type Workflow, type WorkflowPlan, type WorkflowsFile } from '../../shared/domain/workflows.js';
import { defaultChoice, planWorkflow, sloTarget, type TaskTokens } from '../core/workflows/planner.js';
import { INSTANCE_START_MIN } from '../core/workflows/replan.js';
import { attainment, budgetDrop, DROP_PCT, powerOf, stateOf, type BudgetDrop, type TaskState } from '../core/workflows/budgetDrop.js';
import type { Profile } from '../core/workflows/service.js';
import { loadTraces } from '../sim/config.js';
import { createRng } from '../sim/rng.js';

/**
 * `headroom sim --scenario workflows --planner fixed|best-static|murakkab` (issue 16): a day of declared workflows,
 * minute by minute, under three planners on the same arrivals (docs/MODEL.md "Workflows"):
 *  - fixed: each task on its highest-quality model, H100s, the smallest degree that fits, full clock, instances sized
 *    once for the day's busiest minute — Murakkab's baseline;
 *  - best-static: the planner's least-energy plan for the day's busiest minute, kept all day;
 *  - murakkab: re-planned every 60 min for the P90 of an EWMA (α 0.5) forecast of each hour's per-minute rate — never
 *    below the last hour's P90 and with FORECAST_MARGIN on top (ours [r]: the EWMA lags a rising morning, and without
 *    them doc-qa's 95 % tier loses 1.4 points); a new plan's instances serve 20 minutes after the epoch starts (until
 *    then the previous plan's do).
 * Each minute (core/workflows/budgetDrop.ts powerOf and attainment): per task ρ = λ · busy / n; a request is within the target when its queueing (the tasks' waits, taken
 * together as one exponential of their summed mean) fits within target − unloaded latency; a task at ρ ≥ 1 misses
 * every request of that minute. sloAttainment: the share of requests within the target; sloMet: the share of minutes
 * whose within-target share reaches the tier's (99 / 95 / 80 / 50 %). Energy: each task's instances at idle + ρ · (busy mix − idle), per GPU.
 */

/** The default workflows (ours [r]): four compound services over the Azure traces, at ten times their rates (a fleet, not one endpoint). */
export const DEFAULT_WORKFLOWS: WorkflowsFile = WorkflowsFileSchema.parse({
  workflows: [
    { id: 'chat-assist', slo: 'good', trace: 'conv', scale: 10, tasks: [{ id: 'answer', models: ['llama-3.1-8b', 'llama-3.1-70b', 'llama-3.1-405b-fp8'], tokens: 'trace', minQuality: 0.7 }] },
    {
      id: 'code-review',
      slo: 'fair',
      trace: 'code',
      scale: 10,
      tasks: [
        { id: 'summarise-diff', models: ['llama-3.1-8b', 'llama-3.1-70b'], tokens: 'trace' },
        { id: 'review', models: ['llama-3.1-70b', 'llama-3.1-405b-fp8'], tokens: { in: 1200, out: 250 }, minQuality: 0.8 },
      ],
    },
    {
      id: 'meeting-notes',
      slo: 'basic',
      trace: 'conv',
      scale: 3,
      tasks: [
        { id: 'transcribe', models: ['whisper-small', 'whisper-large-v3'], tokens: { in: 1500, out: 400 } },
        { id: 'summarise', models: ['llama-3.1-8b', 'llama-3.1-70b', 'llama-3.1-405b-fp8'], tokens: { in: 600, out: 200 } },
      ],
    },
    {
      id: 'doc-qa',
      slo: 'good',
      trace: 'code',
      scale: 5,
      tasks: [
        { id: 'rerank', models: ['bge-reranker-base', 'bge-reranker-v2-m3'], tokens: { in: 4096, out: 1 } },
        { id: 'answer', models: ['llama-3.1-8b', 'llama-3.1-70b', 'llama-3.1-405b-fp8'], tokens: 'trace', minQuality: 0.8 },
      ],
    },
  ],
});

export const PLANNERS = ['fixed', 'best-static', 'murakkab'] as const;
export type PlannerName = (typeof PLANNERS)[number];
export const EPOCH_MIN = 60;
/** New instances' start-up (min): the lever's latency too (core/workflows/replan.ts). */
export const STARTUP_MIN = INSTANCE_START_MIN;
const ALPHA = 0.5;
/** Sizing above the forecast (see above). */
export const FORECAST_MARGIN = 1.2;

/** Per-minute arrival rates of a workflow over `minutes` (req/s): its trace's mean rate × scale × a diurnal envelope [r], Poisson counts. */
export function arrivals(w: Workflow, minutes: number, seed: number): Float64Array {
  const tr = loadTraces()[w.trace];
  const base = (tr.arrivalS.length / tr.durationS) * w.scale;
  const rng = createRng(seed * 131 + w.id.length * 17 + w.id.charCodeAt(0));
  const out = new Float64Array(minutes);
  for (let m = 0; m < minutes; m++) {
    const h = (m / 60) % 24;
    // Trough 0.3 at 04:00, peak 1.0 at 16:00.
    const env = 0.65 + 0.35 * Math.cos((2 * Math.PI * (h - 16)) / 24);
    out[m] = poisson(rng, base * env * 60) / 60;
  }
  return out;
}

function poisson(rng: () => number, mean: number): number {
  // Normal approximation above 50 (its counts are in the hundreds), Knuth below.
  if (mean > 50) {
    const u = Math.max(1e-12, rng());
    const v = rng();
    return Math.max(0, Math.round(mean + Math.sqrt(mean) * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v)));
  }
  let k = 0;
  let p = 1;
  const l = Math.exp(-mean);
  do {
    k++;
    p *= rng();
  } while (p > l);
  return k - 1;
}

/** Each task's tokens: fixed, or the trace's mean context and generated tokens [r: the mean request]. */
export function tokensOf(w: Workflow): TaskTokens[] {
  const tr = loadTraces()[w.trace];
  let ci = 0;
  let go = 0;
  for (let i = 0; i < tr.contextTokens.length; i++) {
    ci += tr.contextTokens[i]!;
    go += tr.generatedTokens[i]!;
  }
  const n = tr.contextTokens.length;
  return w.tasks.map((t) => (t.tokens === 'trace' ? { in: Math.round(ci / n), out: Math.max(1, Math.round(go / n)) } : t.tokens));
}

/** The fixed baseline's profile per task: its default configuration (planner.ts defaultChoice) at full clock. */
function fixedRestrict(w: Workflow): (task: number, p: Profile) => boolean {
  const pickTask = w.tasks.map((t) => defaultChoice(t.models));
  return (i, p) => {
    const c = pickTask[i];
    return !!c && p.model.id === c.model && p.gpu.id === c.gpu && p.tp === c.tp && p.clock === 1;
  };
}

export interface WorkflowResult {
  workflow: string;
  slo: Workflow['slo'];
  targetS: number;
  requests: number;
  energyPerRequestJ: number;
  sloAttainment: number;
  sloMet: number;
  /** Mean GPUs held and GPU-hours. */
  gpus: number;
  gpuHours: number;
  energyKWh: number;
  /** Plans made (each epoch's for murakkab), the first and the busiest hour's in full. */
  plans: number;
  firstPlan: WorkflowPlan;
}

export interface PlannerRun {
  planner: PlannerName;
  workflows: WorkflowResult[];
  energyKWh: number;
  gpuHours: number;
  energyPerRequestJ: number;
  sloAttainment: number;
}

function p90(xs: ArrayLike<number>, from: number, to: number): number {
  const s = Array.from({ length: Math.max(0, to - from) }, (_, i) => xs[from + i]!).sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor(0.9 * s.length))]! : 0;
}

/** One workflow for the day under a planner. */
export function runWorkflow(w: Workflow, planner: PlannerName, minutes: number, seed: number): WorkflowResult {
  const tokens = tokensOf(w);
  const target = sloTarget(w, tokens);
  const share = SLO_SHARE[w.slo];
  const rate = arrivals(w, minutes, seed);
  const peak = Math.max(...rate);
  const restrict = planner === 'fixed' ? fixedRestrict(w) : undefined;
  const plans: WorkflowPlan[] = [];
  const planFor = (rps: number) => {
    const p = planWorkflow(w, rps, tokens, target, restrict);
    plans.push(p);
    return p;
  };
  let active = planner === 'murakkab' ? null : planFor(peak);
  let pending: WorkflowPlan | null = null;
  let forecast = NaN;
  let requests = 0;
  let met = 0;
  let energyJ = 0;
  let gpuMin = 0;
  let minutesMet = 0;
  let state = null as { plan: WorkflowPlan; ts: TaskState[]; gpus: number } | null;
  for (let m = 0; m < minutes; m++) {
    if (planner === 'murakkab' && m % EPOCH_MIN === 0) {
      // The forecast for this hour: EWMA of the past hours' P90 per-minute rate (the first hour: its own, as if known from the day before).
      const past = m === 0 ? p90(rate, 0, Math.min(minutes, EPOCH_MIN)) : p90(rate, m - EPOCH_MIN, m);
      forecast = Number.isNaN(forecast) ? past : ALPHA * past + (1 - ALPHA) * forecast;
      // Never below the last hour's P90: the EWMA lags a rising morning by most of an hour.
      pending = planFor(Math.max(forecast, past) * FORECAST_MARGIN);
      if (!active) active = pending;
    }
    if (planner === 'murakkab' && pending && m % EPOCH_MIN === STARTUP_MIN) active = pending;
    // The plan's profiles and instances, once per plan (plans change hourly); this minute's load on them.
    if (!state || state.plan !== active) state = { plan: active!, ts: stateOf(active!, tokens), gpus: active!.choices.reduce((s, c) => s + c.instances * c.tp, 0) };
    const lambda = rate[m]!;
    const powerW = powerOf(state.ts, lambda);
    const gpus = state.gpus;
    const n = lambda * 60;
    const attain = attainment(state.ts, lambda, target);
    requests += n;
    met += n * attain;
    if (attain >= share) minutesMet++;
    energyJ += powerW * 60;
    gpuMin += gpus;
  }
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    workflow: w.id,
    slo: w.slo,
    targetS: r3(target),
    requests: Math.round(requests),
    energyPerRequestJ: r3(requests > 0 ? energyJ / requests : 0),
    sloAttainment: Math.round((requests > 0 ? met / requests : 1) * 1e4) / 1e4,
    sloMet: Math.round((minutesMet / minutes) * 1e4) / 1e4,
    gpus: Math.round((gpuMin / minutes) * 10) / 10,
    gpuHours: Math.round((gpuMin / 60) * 10) / 10,
    energyKWh: r3(energyJ / 3.6e6),
    plans: plans.length,
    firstPlan: plans[0]!,
  };
}

/** The report of `headroom sim --scenario workflows`: the planner asked for, and with --compare the other two and the ratios. */
export interface WorkflowsReport {
  scenario: 'workflows';
  planner: PlannerName;
  durationS: number;
  seed: number;
  run: PlannerRun;
  compare?: {
    runs: PlannerRun[];
    /** Energy per request of each other planner over this one's (> 1: this one uses less), and the SLO attainment difference. */
    energyPerRequestRatio: Record<string, number>;
    sloAttainmentDelta: Record<string, number>;
    gpuHoursRatio: Record<string, number>;
  };
  /** A DROP_PCT budget drop at each workflow's busiest minute, under the murakkab plan in force (issue 16 item 6). */
  budgetDrop: { dropPct: number; workflows: BudgetDrop[]; freedKW10Min: number; capsFreedKW: number; capsAttainment: number; plannerAttainment: number };
  simSpeedup: number;
}

/** The operator's figure for each workflow at its busiest minute (core/workflows/budgetDrop.ts), and the totals. */
export function budgetDropAtPeak(file: WorkflowsFile, minutes: number, seed: number): WorkflowsReport['budgetDrop'] {
  const drops = file.workflows.map((w) => {
    const tokens = tokensOf(w);
    const rate = arrivals(w, minutes, seed);
    let at = 0;
    for (let m = 1; m < minutes; m++) if (rate[m]! > rate[at]!) at = m;
    // The plan murakkab sized for that hour: the P90 of the hour before (its forecast's floor), with its margin.
    const from = Math.max(0, at - (at % EPOCH_MIN) - EPOCH_MIN);
    const plan = planWorkflow(w, p90(rate, from, from + EPOCH_MIN) * FORECAST_MARGIN, tokens, sloTarget(w, tokens));
    return { drop: budgetDrop(w, plan, tokens, rate[at]!), requests: rate[at]! };
  });
  const sum = (f: (d: BudgetDrop) => number) => Math.round(drops.reduce((s, x) => s + f(x.drop), 0) * 10) / 10;
  const rps = drops.reduce((s, x) => s + x.requests, 0);
  const mean = (f: (d: BudgetDrop) => number) => Math.round((drops.reduce((s, x) => s + f(x.drop) * x.requests, 0) / Math.max(1e-9, rps)) * 1e4) / 1e4;
  return {
    dropPct: DROP_PCT,
    workflows: drops.map((x) => x.drop),
    freedKW10Min: sum((d) => d.planner.freedKW),
    capsFreedKW: sum((d) => d.caps.freedKW),
    plannerAttainment: mean((d) => d.planner.attainment),
    capsAttainment: mean((d) => d.caps.attainment),
  };
}

export function runWorkflowsScenario(o: { file?: WorkflowsFile; planner: PlannerName; durationS: number; seed?: number; compare?: boolean }): WorkflowsReport {
  const file = o.file ?? DEFAULT_WORKFLOWS;
  const seed = o.seed ?? 1;
  const minutes = Math.max(1, Math.round(o.durationS / 60));
  const t0 = performance.now();
  const run = runPlanner(file, o.planner, minutes, seed);
  const others = o.compare ? PLANNERS.filter((p) => p !== o.planner).map((p) => runPlanner(file, p, minutes, seed)) : [];
  const wallS = (performance.now() - t0) / 1000;
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    scenario: 'workflows',
    planner: o.planner,
    durationS: minutes * 60,
    seed,
    run,
    ...(o.compare
      ? {
          compare: {
            runs: others,
            energyPerRequestRatio: Object.fromEntries(others.map((r) => [r.planner, r3(r.energyPerRequestJ / run.energyPerRequestJ)])),
            sloAttainmentDelta: Object.fromEntries(others.map((r) => [r.planner, r3(run.sloAttainment - r.sloAttainment)])),
            gpuHoursRatio: Object.fromEntries(others.map((r) => [r.planner, r3(r.gpuHours / run.gpuHours)])),
          },
        }
      : {}),
    budgetDrop: budgetDropAtPeak(file, minutes, seed),
    simSpeedup: Math.round(((minutes * 60) * (1 + others.length)) / Math.max(1e-6, wallS)),
  };
}

/** The terminal line. Pure. */
export function workflowsSummaryLine(r: WorkflowsReport, outFile?: string): string {
  const parts = [`${r.planner}: ${r.run.energyPerRequestJ} J per request, ${(r.run.sloAttainment * 100).toFixed(2)} % within the SLO target, ${r.run.gpuHours} GPU-hours, ${r.run.energyKWh} kWh over ${r.durationS / 3600} h`];
  if (r.compare) for (const o of r.compare.runs) parts.push(`vs ${o.planner}: ×${r.compare.energyPerRequestRatio[o.planner]} less energy per request, SLO ${r.compare.sloAttainmentDelta[o.planner]! >= 0 ? '+' : ''}${(r.compare.sloAttainmentDelta[o.planner]! * 100).toFixed(2)} points`);
  const d = r.budgetDrop;
  parts.push(`a ${d.dropPct} % budget drop at the peak: the planner frees ${d.freedKW10Min} kW in 10 min with ${(d.plannerAttainment * 100).toFixed(1)} % within the target, caps alone ${d.capsFreedKW} kW with ${(d.capsAttainment * 100).toFixed(1)} %`);
  if (outFile) parts.push(`report → ${outFile}`);
  return parts.join('; ');
}

export function runPlanner(file: WorkflowsFile, planner: PlannerName, minutes: number, seed: number): PlannerRun {
  const workflows = file.workflows.map((w) => runWorkflow(w, planner, minutes, seed));
  const energyKWh = workflows.reduce((s, x) => s + x.energyKWh, 0);
  const requests = workflows.reduce((s, x) => s + x.requests, 0);
  const met = workflows.reduce((s, x) => s + x.requests * x.sloAttainment, 0);
  return {
    planner,
    workflows,
    energyKWh: Math.round(energyKWh * 1000) / 1000,
    gpuHours: Math.round(workflows.reduce((s, x) => s + x.gpuHours, 0) * 10) / 10,
    energyPerRequestJ: Math.round((requests ? (energyKWh * 3.6e6) / requests : 0) * 1000) / 1000,
    sloAttainment: Math.round((requests ? met / requests : 1) * 1e4) / 1e4,
  };
}
