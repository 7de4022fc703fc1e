import type { Alert } from '../../shared/domain/fleet.js';
import type { LatencyHistogram } from '../core/histogram.js';
import type { InferenceServiceSim } from '../sim/inference.js';
import type { TrainingJobSim } from '../sim/training.js';
import type { Engine } from '../engine/engine.js';
import { RowTracker, type PlantReportSource } from './reportRows.js';
import { HeatTracker } from './reportHeat.js';

export type { PlantReportSource } from './reportRows.js';

/** The JSON report of `headroom sim`. Deterministic: no wall-clock values. */
export interface SimReport {
  scenario: string;
  seed: number;
  durationS: number;
  stepMs: number;
  gpus: number;
  /** Control plane in the run: 'polca', 'polca-no-priority', 'none' (power brake only) or 'unconstrained' (no controller). */
  policy: string;
  /**
   * Per row. A tick is **measured** for a row when none of its GPUs' readings is stale (its source silent) or invalid;
   * otherwise the engine counts those GPUs at their maximum limit — what control must assume, not what was drawn.
   * `peakKW`, `peakPct`, `p99Pct`, `secondsOver100` and `longestOverS` are over measured ticks only (a row with none
   * reports 0 and a warning); `peakAssumedKW` and `energyKWh` over every tick, as the engine counted them.
   * Percentages are of the budget in force at each tick.
   */
  rows: Array<{
    id: string;
    budgetKW: number;
    /** Measured peak (kW): the highest row power over ticks when every GPU reading of the row was fresh and valid. */
    peakKW: number;
    /** Peak as control saw it (kW): stale or invalid GPUs at their maximum limit. ≥ peakKW. */
    peakAssumedKW: number;
    peakPct: number;
    p99Pct: number;
    /** Seconds over 100 % of the budget in force, measured ticks only. */
    secondsOver100: number;
    /** Longest continuous stretch over 100 % of the budget in force (s); an unmeasured tick ends a stretch. */
    longestOverS: number;
    /** Seconds during which at least one GPU of the row had a stale or invalid reading. */
    staleS: number;
    /**
     * With a plant model (`plant:`): the worst share of its time-to-trip (breaker curve, UPS overload) any device feeding
     * the row used during the run (%; ≥ 100: it tripped). null without a plant model.
     */
    overloadAllowanceUsedPct: number | null;
    /** Energy as counted (stale ticks at the assumed worst case). */
    energyKWh: number;
    /** Power-brake engagements on the row (any source). */
    brakes: number;
    /** Seconds during which at least one GPU of the row had a cap, lock or brake in effect. */
    secondsCapped: number;
    /** Share of the row's GPU-time under a cap, lock or brake in effect (%). */
    pctGpuTimeCapped: number;
  }>;
  /**
   * Heat and throttling as TAPAS counts them (app/reportHeat.ts): events = GPUs entering thermal throttling (SW/HW
   * thermal slowdown) or power throttling (a controller's lock, cap or brake holding them); GPU-seconds in each; the
   * hottest valid GPU reading and rack inlet (°C).
   */
  thermalThrottleEvents: number;
  thermalThrottleGpuS: number;
  powerThrottleEvents: number;
  powerThrottleGpuS: number;
  maxGpuC: number | null;
  maxInletC: number | null;
  /** peakKW: measured (ticks with every reading fresh and valid); peakAssumedKW: as control saw it. */
  site: { peakKW: number; peakAssumedKW: number; energyKWh: number };
  /**
   * What a reader must know before trusting the figures, one line each: a row's budget in force unreachable (row,
   * time, budget vs floor, servers to shed; core/feasibility.ts), rows with stale readings whose peak was assumed, plant
   * devices tripped or near it. Empty when there is nothing to say.
   */
  warnings: string[];
  /**
   * fired: new firings (flap returns within a rule's refireAfterS not counted), per rule in byRule; notifications:
   * grouped notifications sent (one per rule × row, again only after GROUP_INTERVAL_S: shared/domain/alertGroups.ts).
   */
  alerts: { fired: number; byRule: Record<string, number>; notifications: number };
  /** caps / releases: GPU commands issued (lock or limit lowered; raised or removed, brake off); brakes: row brake engagements. */
  actions: { caps: number; brakes: number; releases: number; reconfigurations: number };
  workloads: Array<{
    id: string;
    kind: 'inference' | 'training';
    priority: 'high' | 'low';
    completed: number;
    p50LatencyS: number | null;
    p99LatencyS: number | null;
    /** Output tokens (inference) or iterations (training) relative to an unconstrained run; null without `compare`. */
    throughputRatio: number | null;
    /** p99 end-to-end latency relative to an unconstrained run (inference); null without `compare` or for training. */
    p99LatencyRatio: number | null;
    /**
     * Quality given up by reconfiguration (TAPAS): the share of quality lost averaged over the output tokens, each at
     * the cost of the configuration that served it (0.005: every token in FP8). 0 when never reconfigured; null for
     * training.
     */
    qualityCost: number | null;
  }>;
}

/** What the report reads from the control plane each tick (ControlService implements it). */
export interface ControlReportSource {
  readonly counts: { caps: number; brakes: number; releases: number };
  /** Per row: GPUs with a cap, lock or brake in effect. */
  readonly rowCappedGpus: Int32Array;
  /** Per row: brake engagements. */
  readonly rowBrakes: Int32Array;
}

/** Per workload, the raw figures ratios are computed from. */
export interface WorkloadFigures {
  id: string;
  priority: 'high' | 'low';
  kind: 'inference' | 'training';
  /** Output tokens (inference) or iterations (training). */
  throughput: number;
  latency: LatencyHistogram | null;
}

export function workloadFigures(services: readonly InferenceServiceSim[], training: readonly TrainingJobSim[]): WorkloadFigures[] {
  return [
    ...services.map((s) => ({ id: s.spec.id, priority: s.spec.priority, kind: 'inference' as const, throughput: s.stats.tokens, latency: s.stats.latency })),
    ...training.map((j) => ({ id: j.spec.id, priority: j.spec.priority, kind: 'training' as const, throughput: j.iterations, latency: null })),
  ];
}

// The latency histogram's layout (main/core/histogram.ts): 32 sub-buckets per octave from 2^-20 s.
const HIST_SUB = 32;
const HIST_MIN_EXP = -20;

/**
 * Quantile q of a latency histogram, linearly interpolated inside its bucket (the histogram's own `quantile` returns
 * the bucket's upper edge, a 3 % step that would swamp a 1 % latency ratio). NaN when empty.
 */
export function quantileInterpolated(h: LatencyHistogram, q: number): number {
  if (h.total === 0) return NaN;
  const target = Math.min(1, Math.max(0, q)) * h.total;
  let acc = 0;
  const counts = h.counts;
  for (let b = 0; b < counts.length; b++) {
    const c = counts[b]!;
    if (c === 0) continue;
    if (acc + c >= target) {
      const base = Math.pow(2, Math.floor(b / HIST_SUB) + HIST_MIN_EXP);
      const sub = b % HIST_SUB;
      const lo = base * (1 + sub / HIST_SUB);
      const hi = base * (1 + (sub + 1) / HIST_SUB);
      return lo + (hi - lo) * Math.min(1, Math.max(0, (target - acc) / c));
    }
    acc += c;
  }
  return NaN;
}

/** Sum of several histograms' counts, for a quantile over a group of workloads. */
export function mergedQuantile(hs: readonly LatencyHistogram[], q: number): number {
  const first = hs[0];
  if (!first) return NaN;
  const merged = { counts: new Float64Array(first.counts.length), total: 0 } as unknown as LatencyHistogram;
  for (const h of hs) {
    for (let b = 0; b < h.counts.length; b++) merged.counts[b]! += h.counts[b]!;
    (merged as { total: number }).total += h.total;
  }
  return quantileInterpolated(merged, q);
}

/** ratio = x / base, rounded to 4 decimals; null when undefined. */
export function ratio(x: number, base: number): number | null {
  if (!Number.isFinite(x) || !Number.isFinite(base) || base <= 0) return null;
  return Math.round((x / base) * 10_000) / 10_000;
}

/** Accumulates per-tick figures for the report. Percentages are of each row's effective budget at that tick. */
export class ReportBuilder {
  private readonly pct: Float32Array[];
  private readonly peakPct: Float64Array;
  private readonly over100S: Float64Array;
  private readonly energyKWh: Float64Array;
  private readonly cappedS: Float64Array;
  private readonly cappedGpuS: Float64Array;
  private readonly rowGpus: Float64Array;
  private sitePeakKW = 0;
  private sitePeakAssumedKW = 0;
  private readonly rowsTracked: RowTracker;
  private readonly heat: HeatTracker;
  private readonly measured: Uint8Array;
  private readonly startMs: number;
  private siteEnergyKWh = 0;
  private n = 0;
  private readonly fired = new Map<string, number>();
  private notifications = 0;
  /** The control plane's cumulative counts when the report began (a window starts after the run does). */
  private baseBrakes: Int32Array;
  private baseCounts = { caps: 0, brakes: 0, releases: 0 };

  constructor(
    private readonly engine: Engine,
    private readonly totalTicks: number,
    private readonly control: ControlReportSource | null = null,
    plant: PlantReportSource | null = null,
  ) {
    const rows = engine.topology.rows.length;
    this.cappedS = new Float64Array(rows);
    this.cappedGpuS = new Float64Array(rows);
    const t = engine.topology;
    this.rowGpus = new Float64Array(rows);
    for (const s of t.servers) this.rowGpus[t.racks[s.rack]!.row]! += s.gpuCount;
    this.pct = Array.from({ length: rows }, () => new Float32Array(totalTicks));
    this.rowsTracked = new RowTracker(t, plant);
    this.heat = new HeatTracker(t);
    this.measured = new Uint8Array(rows);
    this.startMs = engine.nowMs;
    this.peakPct = new Float64Array(rows);
    this.over100S = new Float64Array(rows);
    this.energyKWh = new Float64Array(rows);
    this.baseBrakes = new Int32Array(rows);
  }

  /** TAPAS's SaaS levers when the run has them (engine/control/saasLevers.ts): their reconfigurations are counted. */
  levers: { reconfigurations: number } | null = null;
  private baseReconfigurations = 0;

  /** Count from here on: brakes and actions before this call are left out (call it before the window's first tick). */
  begin(): void {
    this.baseReconfigurations = this.levers?.reconfigurations ?? 0;
    if (!this.control) return;
    this.baseBrakes = Int32Array.from(this.control.rowBrakes);
    this.baseCounts = { ...this.control.counts };
  }

  record(fired: readonly Alert[], notified: readonly string[] = []): void {
    this.notifications += notified.length;
    const e = this.engine;
    const dtH = e.step / 3_600_000;
    const tracked = this.rowsTracked;
    tracked.record(e.agg.rowW, e.rowBudgetKW, e.live.flags, (e.nowMs - this.startMs) / 1000, e.step / 1000, this.measured);
    this.heat.record(e.live, e.rackInletC, e.step / 1000);
    for (let r = 0; r < this.pct.length; r++) {
      const kw = e.agg.rowW[r]! / 1000;
      // Unmeasured ticks are NaN: they sort last and are left out of the p99.
      const pct = this.measured[r] ? (kw / e.rowBudgetKW[r]!) * 100 : NaN;
      if (this.n < this.totalTicks) this.pct[r]![this.n] = pct;
      if (pct > this.peakPct[r]!) this.peakPct[r] = pct;
      if (pct > 100) this.over100S[r]! += e.step / 1000;
      this.energyKWh[r]! += kw * dtH;
      const capped = this.control ? this.control.rowCappedGpus[r]! : 0;
      if (capped > 0) {
        this.cappedS[r]! += e.step / 1000;
        this.cappedGpuS[r]! += (capped * e.step) / 1000;
      }
    }
    const siteKW = e.agg.siteW / 1000;
    if (tracked.allMeasured && siteKW > this.sitePeakKW) this.sitePeakKW = siteKW;
    if (siteKW > this.sitePeakAssumedKW) this.sitePeakAssumedKW = siteKW;
    this.siteEnergyKWh += siteKW * dtH;
    for (const a of fired) this.fired.set(a.rule, (this.fired.get(a.rule) ?? 0) + 1);
    this.n++;
  }

  /**
   * `baseline`: the same scenario and seed unconstrained (no controller), for throughput and latency ratios.
   */
  build(
    meta: { scenario: string; seed: number; durationS: number; policy?: string },
    services: readonly InferenceServiceSim[],
    training: readonly TrainingJobSim[],
    baseline: readonly WorkloadFigures[] | null = null,
  ): SimReport {
    const t = this.engine.topology;
    const tr = this.rowsTracked;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    const q = (x: number) => (Number.isFinite(x) ? r2(x) : null);
    const byRule: Record<string, number> = {};
    for (const rule of this.engine.rules) byRule[rule.id] = this.fired.get(rule.id) ?? 0;
    return {
      scenario: meta.scenario,
      seed: meta.seed,
      durationS: meta.durationS,
      policy: meta.policy ?? (this.control ? 'polca' : 'unconstrained'),
      stepMs: this.engine.step,
      gpus: t.gpuCount,
      rows: t.rows.map((row, r) => {
        const all = this.pct[r]!.slice(0, Math.min(this.n, this.totalTicks)).sort();
        let k = all.length;
        while (k > 0 && Number.isNaN(all[k - 1]!)) k--;
        const sorted = all.subarray(0, k);
        const p99 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]! : 0;
        return {
          id: row.id,
          budgetKW: row.budgetKW,
          peakKW: r2(tr.peakKW[r]!),
          peakAssumedKW: r2(tr.peakAssumedKW[r]!),
          peakPct: r2(this.peakPct[r]!),
          p99Pct: r2(p99),
          secondsOver100: r2(this.over100S[r]!),
          longestOverS: r2(tr.longestOverS[r]!),
          staleS: r2(tr.staleS[r]!),
          overloadAllowanceUsedPct: tr.overloadAllowanceUsedPct(r),
          energyKWh: r2(this.energyKWh[r]!),
          brakes: this.control ? this.control.rowBrakes[r]! - this.baseBrakes[r]! : 0,
          secondsCapped: r2(this.cappedS[r]!),
          pctGpuTimeCapped: this.n > 0 && this.rowGpus[r]! > 0 ? r2((this.cappedGpuS[r]! / (this.rowGpus[r]! * this.n * (this.engine.step / 1000))) * 100) : 0,
        };
      }),
      ...this.heat.figures(),
      site: { peakKW: r2(this.sitePeakKW), peakAssumedKW: r2(this.sitePeakAssumedKW), energyKWh: r2(this.siteEnergyKWh) },
      warnings: tr.warnings((this.engine.nowMs - this.startMs) / 1000),
      alerts: { fired: [...this.fired.values()].reduce((a, b) => a + b, 0), byRule, notifications: this.notifications },
      actions: {
        ...(this.control
          ? { caps: this.control.counts.caps - this.baseCounts.caps, brakes: this.control.counts.brakes - this.baseCounts.brakes, releases: this.control.counts.releases - this.baseCounts.releases }
          : { caps: 0, brakes: 0, releases: 0 }),
        reconfigurations: (this.levers?.reconfigurations ?? 0) - this.baseReconfigurations,
      },
      workloads: (() => {
        const mine = workloadFigures(services, training);
        const base = new Map((baseline ?? []).map((w) => [w.id, w]));
        const ratios = (w: WorkloadFigures) => {
          const b = base.get(w.id);
          if (!b) return { throughputRatio: null, p99LatencyRatio: null };
          const p99 = w.latency && b.latency ? ratio(quantileInterpolated(w.latency, 0.99), quantileInterpolated(b.latency, 0.99)) : null;
          return { throughputRatio: ratio(w.throughput, b.throughput), p99LatencyRatio: p99 };
        };
        return [
          ...services.map((s, i) => ({
            id: s.spec.id,
            kind: 'inference' as const,
            priority: s.spec.priority,
            completed: s.stats.completed,
            p50LatencyS: q(s.stats.latency.quantile(0.5)),
            p99LatencyS: q(s.stats.latency.quantile(0.99)),
            ...ratios(mine[i]!),
            qualityCost: s.stats.tokens > 0 ? Math.round((s.stats.qualityLoss / s.stats.tokens) * 1e5) / 1e5 : 0,
          })),
          ...training.map((j, i) => ({
            id: j.spec.id,
            kind: 'training' as const,
            priority: j.spec.priority,
            completed: j.iterations,
            p50LatencyS: null,
            p99LatencyS: null,
            ...ratios(mine[services.length + i]!),
            qualityCost: null,
          })),
        ];
      })(),
    };
  }
}
