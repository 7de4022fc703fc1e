/**
 * The placement advisor's answer (main/core/placement.ts), one type for the CLI, the contract and the console.
 * Zod-free: the renderer imports it.
 */
export interface PlacementRequest {
  gpus: number;
  /** iaas: customers' VMs, only ever capped; saas: Headroom's own services, routable and reconfigurable. */
  kind: 'saas' | 'iaas';
  profile: 'inference' | 'training';
}

export interface Candidate {
  server: string;
  rack: string;
  row: string;
  /** Least headroom share (≤ 0: infeasible); higher is better. */
  score: number;
  feasible: boolean;
  rowPctBefore: number;
  rowPctAfter: number;
  inletBeforeC: number | null;
  inletAfterC: number | null;
  inletSigmaC: number | null;
  gpuAfterC: number | null;
  /** Why here, in words. */
  reason: string;
}

export interface Effect {
  worstRowPct: number;
  hottestInletC: number | null;
  feasible: boolean;
}

export interface Placement {
  request: PlacementRequest;
  /** Free servers ranked alone (the first pick's view), best first. */
  ranked: Candidate[];
  /** The servers chosen together, in pick order, and what they do to the rows and inlets. */
  chosen: Candidate[];
  firstFit: Candidate[];
  placedGpus: number;
  summary: { advisor: Effect; firstFit: Effect };
}

/** What the console gets: the placement, the window the profiles came from, and racks that run hot for their power. */
export interface PlacementAdvice extends Placement {
  window: { fromMs: number; toMs: number; ticks: number; strideS: number };
  fitMs: number;
  placeMs: number;
  /** Racks whose inlet runs ≥ 0.5 °C from their row's at the same power (their own history), hottest first. */
  racksOffRow: Array<{ rack: string; row: string; hotterThanRowC: number; sigmaC: number | null }>;
}

/** Routing weights for a fleet's load balancers (main/core/routingWeights.ts): per server, its slack now. */
export interface RoutingWeights {
  /** Engine time of the readings they come from (epoch ms). */
  tMs: number;
  servers: Array<{ id: string; rack: string; row: string; penalty: number; weight: number }>;
}
