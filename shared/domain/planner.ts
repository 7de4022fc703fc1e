/** Capacity planner (POLCA's headline): how many servers fit a row's budget, per policy. */
export type PlannerPolicy = 'polca' | 'polca-no-priority' | 'none';

export interface SweepPoint {
  servers: number;
  policy: PlannerPolicy;
  /** Power-brake engagements during the run. */
  brakes: number;
  /** Share of GPU-time spent under a cap or lock (%). */
  pctTimeCapped: number;
  peakRowPct: number;
  p99RowPct: number;
  secondsOver100: number;
  /** Throughput and p99 latency relative to the same servers unconstrained (1 = no impact). */
  high: { throughputRatio: number; p99LatencyRatio: number };
  low: { throughputRatio: number; p99LatencyRatio: number };
}

export interface SweepResult {
  scenario: string;
  budgetKW: number;
  provisionedServers: number;
  durationS: number;
  seed: number;
  points: SweepPoint[];
}
