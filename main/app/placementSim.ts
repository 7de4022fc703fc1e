import { InferenceServiceSchema, TrainingJobSchema } from '../../shared/domain/scenario.js';
import type { Candidate, PlacementRequest } from '../../shared/domain/placement.js';
import type { LoadedScenario } from '../sim/config.js';
import { runLoaded } from './batch.js';

/** What a placement did once it ran (`headroom place --simulate`). */
export interface PlacedRun {
  servers: string[];
  powerThrottleEvents: number;
  thermalThrottleEvents: number;
  maxGpuC: number | null;
  maxInletC: number | null;
  /** The highest row peak, % of its budget in force, and which row. */
  worstRowPeakPct: number;
  worstRow: string;
  brakes: number;
  /** The placed workload's throughput against the same placement unconstrained. */
  placedThroughputRatio: number | null;
}

/**
 * TAPAS's placement closed: the scenario with the new work added on the servers a placement chose — a training job at
 * TDP (profile training) or an inference service (profile inference), the customers' (IaaS, never routed) or ours —
 * run for `durationS` under POLCA, and, for the placed work's throughput, unconstrained. Pure over the scenario.
 */
export function simulatePlacement(loaded: LoadedScenario, req: PlacementRequest, chosen: readonly Candidate[], o: { seed: number; durationS: number }): PlacedRun {
  const servers = chosen.map((c) => c.server);
  const placement = { servers };
  const extra =
    req.profile === 'training'
      ? { training: [...loaded.scenario.training, TrainingJobSchema.parse({ id: 'placed', priority: 'high', placement, periodS: 12, duty: 0.75, startS: 30, computeActivity: 1, commActivity: 0.4 })] }
      : { services: [...loaded.scenario.services, InferenceServiceSchema.parse({ id: 'placed', priority: 'high', trace: 'conv', placement, ratePerServer: 3.6, kind: req.kind })] };
  const with_ = { ...loaded, scenario: { ...loaded.scenario, ...extra } };
  const baseline = runLoaded(with_, { seed: o.seed, durationS: o.durationS, policy: 'unconstrained' }).figures;
  const r = runLoaded(with_, { seed: o.seed, durationS: o.durationS, policy: 'polca', baseline }).report;
  const worst = r.rows.reduce((a, b) => (b.peakPct > a.peakPct ? b : a));
  return {
    servers,
    powerThrottleEvents: r.powerThrottleEvents,
    thermalThrottleEvents: r.thermalThrottleEvents,
    maxGpuC: r.maxGpuC,
    maxInletC: r.maxInletC,
    worstRowPeakPct: worst.peakPct,
    worstRow: worst.id,
    brakes: r.rows.reduce((n, x) => n + x.brakes, 0),
    placedThroughputRatio: r.workloads.find((w) => w.id === 'placed')?.throughputRatio ?? null,
  };
}
