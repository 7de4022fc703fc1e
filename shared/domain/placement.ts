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

/** Profiles learned from history (main/core/profiles.ts computes them; docs/MODEL.md "Profiles"). */
export interface PowerEnvelope {
  p50KW: number;
  p95KW: number;
  p99KW: number;
  maxKW: number;
}

export interface RackProfile {
  rack: string;
  row: string;
  /**
   * inlet = a + b · P (°C, kW); null when the window does not support a fit. `from`: 'rack' (its own fit) or 'row' (its
   * power never varied — an idle rack —: the row's pooled slope through the rack's own mean inlet and power).
   */
  inlet: { a: number; b: number; bStdErr: number; sigma: number; n: number; from: 'rack' | 'row' } | null;
  /** Predicted inlet at the row's mean rack power less the row's racks' mean prediction there (°C); null: no fit. */
  hotterThanRowC: number | null;
  power: PowerEnvelope | null;
}

export interface ServerProfile {
  server: number;
  rack: string;
  /** GPUs' mean temperature above the inlet = c + R · P (P: mean GPU power, W); null when no fit. */
  rise: { c: number; rPerW: number; rStdErr: number; sigma: number; n: number } | null;
}

export interface RowProfile {
  row: string;
  budgetKW: number;
  power: PowerEnvelope | null;
  /** The row's mean rack inlet = a + b · row power (°C, kW): how its aisle warms with its heat; null: no fit. */
  aisle: { a: number; b: number; bStdErr: number; sigma: number; n: number } | null;
}

export interface SiteProfiles {
  fromMs: number;
  toMs: number;
  /** Ticks read (after the stride) and the stride between them. */
  ticks: number;
  strideS: number;
  racks: RackProfile[];
  servers: ServerProfile[];
  rows: RowProfile[];
  /** Per server: its GPUs' mean utilisation over the window (0…1): about 0 = idle, a candidate for placement. */
  serverUtil: number[];
}

/**
 * One rack's profile for the rack view (`profiles:rack`): its inlet against its own power with the fit and its row's
 * pooled line, how much hotter than its row it runs at the same power, its power envelope, and its servers' rise.
 */
export interface RackProfileView {
  rack: string;
  row: string;
  window: { fromMs: number; toMs: number; ticks: number; strideS: number };
  profile: RackProfile;
  /** The row's aisle (mean rack inlet against row power) and its racks pooled (inlet against rack power). */
  rowAisle: RowProfile['aisle'];
  rowPooled: { a: number; b: number } | null;
  /** Up to RACK_PROFILE_POINTS (rack kW, inlet °C) samples spread over the window: the scatter behind the fit. */
  points: Array<[number, number]>;
  servers: Array<{ id: string; rise: ServerProfile['rise']; meanGpuW: number | null }>;
  /** The profile in a sentence ("runs 1.2 °C hotter than its row at the same power (σ 0.3 °C)"). */
  summary: string;
  fitMs: number;
}

/** At most this many samples in a rack profile's scatter. */
export const RACK_PROFILE_POINTS = 300;

/**
 * A rack's predicted pressure over the coming day from its profile (main/core/placement.ts forecast): the floor's
 * "predicted" colouring. pressurePct is TAPAS's slack penalty (shared/domain/slack.ts) at the window's peaks — 0 clear,
 * 100 expect caps or throttling; null when the rack has no thermal profile.
 */
export interface RackForecast {
  rack: string;
  row: string;
  pressurePct: number | null;
  /** Which limit sets it: the row's power, the rack's air, its hottest GPU; null: none presses (0 %) or unknown. */
  by: 'power' | 'air' | 'gpu' | null;
  rowP99Pct: number;
  inletC: number | null;
  gpuC: number | null;
}

export interface SiteForecast {
  window: { fromMs: number; toMs: number; ticks: number; strideS: number };
  racks: RackForecast[];
  fitMs: number;
}
