import { SLO_SHARE, TARGET_SLACK, type TaskChoice, type Workflow, type WorkflowPlan } from '../../../shared/domain/workflows.js';
import { fits, profile, profilesFor, SERVING_GPUS, SERVING_MODELS, TP_DEGREES, type Profile } from './service.js';

/**
 * The workflow planner (issue 16; Murakkab's optimiser, PAPERS.md §4): for a workflow, a load (requests/s) and the
 * tokens of each task, choose per task a model, GPU type, tensor-parallel degree, clock and instance count that
 * minimise the energy per request while the end-to-end latency at the SLO tier's share stays within the target and
 * every task's quality floor holds. Pure.
 *
 *  - instances n = ⌈λ · busy / RHO_MAX⌉ (at least one), utilisation ρ = λ · busy / n;
 *  - a task's latency at share s = L0 + ln(1 / (1 − s)) · busy · ρ / (1 − ρ) (its wait as an M/M/1 per instance:
 *    exponential, ours [r]); the tasks' tier latencies add up (conservative: their waits do not all peak together);
 *  - its power: n · tp GPUs at idle + ρ · (busy mix − idle), the mix weighting prefill and decode power by their share
 *    of the busy time; energy per request = that power / λ;
 *  - the target: TARGET_SLACK × the default configuration's unloaded latency (shared/domain/workflows.ts);
 *  - exact within the latency grid: a dynamic programme over BUCKETS slices of the target (tasks × options × buckets).
 * No plan meets the target: the fastest plan, marked infeasible.
 */
export const RHO_MAX = 0.7;
export const BUCKETS = 400;

export interface TaskTokens {
  in: number;
  out: number;
}

export interface Option {
  p: Profile;
  instances: number;
  rho: number;
  tierS: number;
  powerW: number;
  energyPerRequestJ: number;
}

/** One profile at load λ: its instances, utilisation, latency at the tier's share `share` and power. */
export function option(p: Profile, rps: number, share: number): Option {
  const lambda = Math.max(rps, 1e-9);
  const instances = Math.max(1, Math.ceil((lambda * p.busyS) / RHO_MAX));
  const rho = (lambda * p.busyS) / instances;
  const tierS = p.latencyS + (Math.log(1 / (1 - share)) * p.busyS * rho) / (1 - rho);
  const mixW = (p.ttftS * p.prefillW + (p.busyS - p.ttftS) * p.decodeW) / p.busyS;
  const powerW = instances * p.tp * (p.idleW + rho * (mixW - p.idleW));
  return { p, instances, rho, tierS, powerW, energyPerRequestJ: powerW / lambda };
}

/** Each task's candidate profiles within its quality floor, for its tokens. */
export function candidates(w: Workflow, tokens: readonly TaskTokens[]): Profile[][] {
  return w.tasks.map((t, i) => profilesFor(t.models, tokens[i]!.in, tokens[i]!.out).filter((p) => p.model.quality >= t.minQuality));
}

/** The default configuration of a task: its highest-quality model on the first GPU type it fits, smallest degree, full clock. */
export function defaultChoice(models: readonly string[]): { model: string; gpu: string; tp: number } | null {
  const model = SERVING_MODELS.filter((m) => models.includes(m.id)).sort((a, b) => b.quality - a.quality)[0];
  if (!model) return null;
  for (const gpu of SERVING_GPUS) for (const tp of TP_DEGREES) if (fits(model, gpu, tp)) return { model: model.id, gpu: gpu.id, tp };
  return null;
}

/** The SLO target (s): TARGET_SLACK × the default configuration's unloaded end-to-end latency for these tokens. */
export function sloTarget(w: Workflow, tokens: readonly TaskTokens[]): number {
  return (
    TARGET_SLACK *
    w.tasks.reduce((s, t, i) => {
      const d = defaultChoice(t.models);
      if (!d) return Infinity;
      return s + profile(SERVING_MODELS.find((m) => m.id === d.model)!, SERVING_GPUS.find((g) => g.id === d.gpu)!, d.tp, 1, tokens[i]!.in, tokens[i]!.out).latencyS;
    }, 0)
  );
}

const r3 = (x: number) => Math.round(x * 1000) / 1000;
const pct = (s: number) => `${Math.round(s * 100)} %`;

function choice(taskId: string, o: Option): TaskChoice {
  return {
    task: taskId,
    model: o.p.model.id,
    gpu: o.p.gpu.id,
    tp: o.p.tp,
    clock: o.p.clock,
    instances: o.instances,
    latencyS: r3(o.p.latencyS),
    tierS: r3(o.tierS),
    powerW: Math.round(o.powerW),
    energyPerRequestJ: r3(o.energyPerRequestJ),
    quality: o.p.model.quality,
  };
}

/**
 * The least-energy plan meeting `targetS` at `rps` (see above); `restrict` keeps only some profiles per task (the
 * fixed baseline passes one).
 */
export function planWorkflow(w: Workflow, rps: number, tokens: readonly TaskTokens[], targetS: number, restrict?: (task: number, p: Profile) => boolean): WorkflowPlan {
  const share = SLO_SHARE[w.slo];
  const opts = candidates(w, tokens).map((c, i) => c.filter((p) => !restrict || restrict(i, p)).map((p) => option(p, rps, share)));
  const grid = targetS / BUCKETS;
  // dp[b]: least energy of the tasks so far using ≤ b slices of latency; pick[t][b]: the option taken.
  let dp = new Float64Array(BUCKETS + 1);
  const pick: Int32Array[] = [];
  for (let t = 0; t < opts.length; t++) {
    const next = new Float64Array(BUCKETS + 1).fill(Infinity);
    const took = new Int32Array(BUCKETS + 1).fill(-1);
    const os = opts[t]!;
    for (let k = 0; k < os.length; k++) {
      const o = os[k]!;
      const need = Math.ceil(o.tierS / grid - 1e-9);
      if (!Number.isFinite(need) || need > BUCKETS) continue;
      for (let b = need; b <= BUCKETS; b++) {
        const e = dp[b - need]! + o.energyPerRequestJ;
        if (e < next[b]!) {
          next[b] = e;
          took[b] = k;
        }
      }
    }
    pick.push(took);
    dp = next;
  }
  const feasible = Number.isFinite(dp[BUCKETS]!) && opts.every((o) => o.length > 0);
  let chosen: Option[];
  if (feasible) {
    chosen = new Array<Option>(opts.length);
    let b = BUCKETS;
    for (let t = opts.length - 1; t >= 0; t--) {
      const o = opts[t]![pick[t]![b]!]!;
      chosen[t] = o;
      b -= Math.ceil(o.tierS / grid - 1e-9);
    }
  } else chosen = opts.map((os) => os.reduce((a, o) => (o.tierS < a.tierS ? o : a), os[0]!)).filter(Boolean);
  const choices = chosen.map((o, i) => choice(w.tasks[i]!.id, o));
  const tierS = chosen.reduce((s, o) => s + o.tierS, 0);
  const energy = chosen.reduce((s, o) => s + o.energyPerRequestJ, 0);
  const gpus = chosen.reduce((s, o) => s + o.instances * o.p.tp, 0);
  const reason =
    choices.map((c) => `${c.task}: ${c.model} on ${c.tp} × ${c.gpu} at ${Math.round(c.clock * 100)} % clock, ${c.instances} instance${c.instances === 1 ? '' : 's'} (${c.tierS} s, ${c.energyPerRequestJ} J)`).join('; ') +
    (feasible
      ? ` — ${pct(share)} of requests within ${r3(targetS)} s (${r3(tierS)} s) at ${r3(rps)} req/s: the least energy that does`
      : ` — NO plan gets ${pct(share)} of requests within ${r3(targetS)} s at ${r3(rps)} req/s: the fastest, ${r3(tierS)} s`);
  return { workflow: w.id, sizedForRps: r3(rps), targetS: r3(targetS), choices, tierS: r3(tierS), energyPerRequestJ: r3(energy), gpus, feasible, reason };
}
