import type { PolicyConfig } from '../../shared/domain/control.js';
import type { PlannerPolicy, SweepPoint, SweepResult } from '../../shared/domain/planner.js';
import { ScenarioSchema, type ScenarioFile } from '../../shared/domain/scenario.js';
import type { TopologySpec } from '../../shared/domain/topology.js';
import { DGX_H100_PROVISIONED_KW, resolveTopology } from '../core/topology.js';
import { runLoaded } from './batch.js';
import type { LoadedScenario } from '../sim/config.js';
import { mergedQuantile, ratio, type WorkloadFigures } from './report.js';
import { RefusalError, type PlannerApi } from '../core/ports.js';
import { startWorker } from '../node/workers.js';
import { summarizeSweep } from './sweepSummary.js';
import type { DemandProfile } from '../sim/inference.js';

/**
 * The capacity planner (POLCA's headline experiment): one row provisioned for 40 DGX-class servers
 * (40 × 10.2 kW = 408 kW), filled with more and more servers. Half the racks serve a high-priority service
 * (Azure conversation trace), half a low-priority one (Azure code trace), at the default scenario's rates and trace
 * offsets, so the 52-server point is the default site's row D. Each server count runs unconstrained (the reference
 * for throughput and latency) and under `headroom` (Headroom's controller), `polca`, `polca-no-priority` (every GPU low priority: the same locks for
 * everyone) and `none` (no caps; only the power brake above the budget, the last resort a row always has).
 */

export const PLANNER_PROVISIONED_SERVERS = 40;
export const PLANNER_BUDGET_KW = PLANNER_PROVISIONED_SERVERS * DGX_H100_PROVISIONED_KW;
/** Every policy, Headroom's controller first: what a sweep runs unless told otherwise. */
export const PLANNER_POLICIES: readonly PlannerPolicy[] = ['headroom', 'polca', 'polca-no-priority', 'none'];

export interface SweepOptions {
  fromServers: number;
  toServers: number;
  step: number;
  durationS: number;
  seed?: number;
  /** Policy configuration for the controlled runs; default: the paper's values (PolicyConfigSchema defaults). */
  config?: PolicyConfig;
  /** Policies to run at each point (default PLANNER_POLICIES). */
  policies?: readonly PlannerPolicy[];
  /** Demand profile (default 'production', the scenario's default). */
  demand?: DemandProfile;
  /** Seeds to run every point with (default [seed]); the summary gives rates over them. */
  seeds?: readonly number[];
}

/** The planner's scenario for one server count (deterministic; no files). */
export function plannerScenario(servers: number, seed = 1, demand: DemandProfile = 'production'): LoadedScenario {
  if (!(Number.isInteger(servers) && servers >= 1 && servers <= 400)) throw new RangeError(`servers must be an integer in 1..400, got ${servers}`);
  const perRack = servers % 4 === 0 ? 4 : servers % 2 === 0 ? 2 : 1;
  const racks = servers / perRack;
  const spec: TopologySpec = {
    site: { id: 'planner', name: `Planner row: ${servers} servers on ${PLANNER_BUDGET_KW} kW` },
    gpuModels: [],
    rows: [
      {
        id: 'P',
        budgetKW: PLANNER_BUDGET_KW,
        // Cooling sized for what is installed: the sweep is about power, not heat.
        coolingKW: Math.round(servers * DGX_H100_PROVISIONED_KW * 1.05 * 10) / 10,
        supplyC: 22,
        racks,
        serversPerRack: perRack,
        gpusPerServer: 8,
        gpuModel: 'H100-SXM',
        serverIdleW: 1500,
        serverActiveW: 2000,
      },
    ],
  };
  const topology = resolveTopology(spec);
  const ids = topology.racks.map((r) => r.id);
  const half = Math.ceil(ids.length / 2);
  const services: NonNullable<ScenarioFile['services']> = [{ id: 'high', priority: 'high', trace: 'conv', placement: { racks: ids.slice(0, half) }, ratePerServer: 3.6, traceOffsetS: 1200 }];
  if (half < ids.length) services.push({ id: 'low', priority: 'low', trace: 'code', placement: { racks: ids.slice(half) }, ratePerServer: 3.6, traceOffsetS: 1800 });
  const scenario = ScenarioSchema.parse({
    name: `planner-${servers}`,
    description: `One row provisioned for ${PLANNER_PROVISIONED_SERVERS} servers holding ${servers}`,
    topology: spec,
    seed,
    stepMs: 1000,
    demand,
    services,
  });
  return { scenario, topology, source: 'planner' };
}

function group(figures: readonly WorkloadFigures[], base: readonly WorkloadFigures[], priority: 'high' | 'low') {
  const mine = figures.filter((w) => w.priority === priority);
  const ref = base.filter((w) => w.priority === priority);
  const sum = (ws: readonly WorkloadFigures[]) => ws.reduce((a, w) => a + w.throughput, 0);
  const hist = (ws: readonly WorkloadFigures[]) => ws.flatMap((w) => (w.latency ? [w.latency] : []));
  return {
    throughputRatio: ratio(sum(mine), sum(ref)) ?? 1,
    p99LatencyRatio: ratio(mergedQuantile(hist(mine), 0.99), mergedQuantile(hist(ref), 0.99)) ?? 1,
  };
}

const r2 = (x: number) => Math.round(x * 100) / 100;

/** Output tokens per second of every inference workload of a run. */
function tokensPerS(figures: readonly WorkloadFigures[], durationS: number): number {
  return figures.reduce((a, w) => a + (w.kind === 'inference' ? w.throughput : 0), 0) / durationS;
}

/**
 * Run the sweep: per seed, per server count, the unconstrained reference then each policy; and per seed the
 * unconstrained row of PLANNER_PROVISIONED_SERVERS servers, the reference for useful work per kW.
 * `onProgress(doneS, totalS)` counts simulated seconds over every run. Deterministic.
 */
export async function runSweep(o: SweepOptions, onProgress?: (doneS: number, totalS: number) => void): Promise<SweepResult> {
  const step = Math.max(1, Math.floor(o.step));
  const counts: number[] = [];
  for (let s = o.fromServers; s <= o.toServers; s += step) counts.push(s);
  const seeds = o.seeds?.length ? [...o.seeds] : [o.seed ?? 1];
  const policies = o.policies ?? PLANNER_POLICIES;
  const demand = o.demand ?? 'production';
  const runsPerPoint = 1 + policies.length;
  const totalS = seeds.length * (counts.length * runsPerPoint + 1) * o.durationS;
  let doneS = 0;
  const progress = onProgress ? (d: number) => onProgress(doneS + d, totalS) : undefined;
  const yieldNow = () => new Promise((r) => setImmediate(r));
  const points: SweepPoint[] = [];
  let referenceSum = 0;
  for (const seed of seeds) {
    const ref = runLoaded(plannerScenario(PLANNER_PROVISIONED_SERVERS, seed, demand), { seed, durationS: o.durationS, policy: 'unconstrained', onProgress: progress });
    referenceSum += tokensPerS(ref.figures, o.durationS) / PLANNER_BUDGET_KW;
    doneS += o.durationS;
    for (const servers of counts) {
      const loaded = plannerScenario(servers, seed, demand);
      const base = runLoaded(loaded, { seed, durationS: o.durationS, policy: 'unconstrained', onProgress: progress }).figures;
      doneS += o.durationS;
      await yieldNow();
      for (const policy of policies) {
        const run = runLoaded(loaded, { seed, durationS: o.durationS, policy, onProgress: progress, ...(o.config ? { config: o.config } : {}) });
        doneS += o.durationS;
        const row = run.report.rows[0]!;
        const tps = tokensPerS(run.figures, o.durationS);
        points.push({
          servers,
          seed,
          policy,
          brakes: row.brakes,
          pctTimeCapped: row.pctGpuTimeCapped,
          peakRowPct: r2(row.peakPct),
          p99RowPct: r2(row.p99Pct),
          secondsOver100: row.secondsOver100,
          longestOverS: (row as { longestOverS?: number }).longestOverS ?? 0,
          high: group(run.figures, base, 'high'),
          low: group(run.figures, base, 'low'),
          tokensPerS: r2(tps),
          tokensPerSPerKW: Math.round((tps / PLANNER_BUDGET_KW) * 1000) / 1000,
        });
        await yieldNow();
      }
    }
  }
  const reference = { servers: PLANNER_PROVISIONED_SERVERS, tokensPerSPerKW: Math.round((referenceSum / seeds.length) * 1000) / 1000 };
  return {
    scenario: `one row provisioned for ${PLANNER_PROVISIONED_SERVERS} DGX-class servers (${PLANNER_BUDGET_KW} kW); half the racks high priority (Azure conv trace), half low (Azure code trace); ${demand} demand`,
    budgetKW: PLANNER_BUDGET_KW,
    provisionedServers: PLANNER_PROVISIONED_SERVERS,
    durationS: o.durationS,
    seed: seeds[0]!,
    demand,
    seeds,
    points,
    summary: summarizeSweep(points, o.durationS, reference.tokensPerSPerKW),
    reference,
  };
}

/** The error a cancelled sweep ends with (not a refusal: nothing was refused, the requester or an operator stopped it). */
export class SweepCancelled extends Error {
  constructor(why: string) {
    super(`the capacity sweep was cancelled (${why})`);
    this.name = 'SweepCancelled';
  }
}

/**
 * The planner the faces use: each sweep runs in a worker thread (a sweep is tens of seconds of simulation and must
 * not stall the engine's tick), one at a time. Bounded by the contract (server counts, simulated time); `cancel()`
 * or the requester's signal (its connection closed) terminates the worker at once.
 */
export function createPlanner(): PlannerApi {
  let stop: ((why: string) => void) | null = null;
  return {
    sweep(p, signal) {
      if (stop) return Promise.reject(new RefusalError('a capacity sweep is already running; wait for it to finish or cancel it'));
      if (signal?.aborted) return Promise.reject(new SweepCancelled('its requester went away'));
      const worker = startWorker(import.meta.url, 'plannerWorker', p);
      let onAbort = () => {};
      return new Promise<SweepResult>((resolve, reject) => {
        stop = (why) => reject(new SweepCancelled(why));
        onAbort = () => stop?.('its requester went away');
        signal?.addEventListener('abort', onAbort, { once: true });
        worker.on('message', (m: { kind: string; result?: SweepResult; error?: string }) => {
          if (m.kind === 'result') resolve(m.result!);
          else if (m.kind === 'error') reject(new Error(m.error));
        });
        worker.once('error', reject);
        worker.once('exit', (code) => reject(new Error(`the sweep worker stopped (exit ${code})`)));
      }).finally(() => {
        stop = null;
        signal?.removeEventListener('abort', onAbort);
        void worker.terminate();
      });
    },
    cancel() {
      if (!stop) return false;
      stop('cancelled by an operator');
      return true;
    },
  };
}
