/** Capacity planner (POLCA's headline): how many servers fit a row's budget, per policy. */
export type PlannerPolicy = 'headroom' | 'polca' | 'polca-no-priority' | 'none';

export interface SweepPoint {
  servers: number;
  /** The seed of this point's runs. */
  seed: number;
  policy: PlannerPolicy;
  /** Power-brake engagements during the run. */
  brakes: number;
  /** Share of GPU-time spent under a cap or lock (%). */
  pctTimeCapped: number;
  peakRowPct: number;
  p99RowPct: number;
  secondsOver100: number;
  /** Longest continuous stretch above 100 % of the budget (s). */
  longestOverS: number;
  /** Throughput and p99 latency relative to the same servers unconstrained (1 = no impact). */
  high: { throughputRatio: number; p99LatencyRatio: number };
  low: { throughputRatio: number; p99LatencyRatio: number };
  /** Useful work: output tokens per second of every inference service of the row, and per kW of its budget. */
  tokensPerS: number;
  tokensPerSPerKW: number;
}

/** Per server count and policy, over every seed of the sweep. */
export interface SweepSummary {
  servers: number;
  policy: PlannerPolicy;
  seeds: number;
  rowHours: number;
  brakes: number;
  /** Brakes per 100 row-hours, and its 95 % interval (Garwood). */
  brakesPer100RowHours: number | null;
  brakesCi95: [number | null, number | null];
  /** Seeds with no brake at all. */
  brakeFreeSeeds: number;
  /** Worst seed's figures (the guarantee is about every run, not the mean). */
  worstHighP99LatencyRatio: number;
  minHighThroughputRatio: number;
  minLowThroughputRatio: number;
  meanHighP99LatencyRatio: number;
  /** Mean tokens/s per kW of budget, and ÷ the unconstrained row of `provisionedServers` servers (same seeds). */
  tokensPerSPerKW: number;
  workVsProvisioned: number | null;
}

export interface SweepResult {
  scenario: string;
  budgetKW: number;
  provisionedServers: number;
  durationS: number;
  seed: number;
  /** Demand profile of the runs ('production' or 'bursty', docs/MODEL.md). */
  demand: 'production' | 'bursty';
  /** Every seed run (`seed` is the first). */
  seeds: number[];
  points: SweepPoint[];
  /** Per server count and policy, over the seeds. */
  summary: SweepSummary[];
  /** The reference for useful work: the unconstrained row of `provisionedServers` servers, mean over the seeds. */
  reference: { servers: number; tokensPerSPerKW: number };
}
