import type { Alert } from '../../shared/domain/fleet.js';
import type { InferenceServiceSim } from '../sim/inference.js';
import type { TrainingJobSim } from '../sim/training.js';
import type { Engine } from './engine.js';

/** The JSON report of `headroom sim`. Deterministic: no wall-clock values. */
export interface SimReport {
  scenario: string;
  seed: number;
  durationS: number;
  stepMs: number;
  gpus: number;
  rows: Array<{ id: string; budgetKW: number; peakKW: number; peakPct: number; p99Pct: number; secondsOver100: number; energyKWh: number }>;
  site: { peakKW: number; energyKWh: number };
  alerts: { fired: number; byRule: Record<string, number> };
  actions: { caps: number; brakes: number };
  workloads: Array<{ id: string; kind: 'inference' | 'training'; priority: 'high' | 'low'; completed: number; p50LatencyS: number | null; p99LatencyS: number | null }>;
}

/** Accumulates per-tick figures for the report. Percentages are of each row's effective budget at that tick. */
export class ReportBuilder {
  private readonly pct: Float32Array[];
  private readonly peakKW: Float64Array;
  private readonly peakPct: Float64Array;
  private readonly over100S: Float64Array;
  private readonly energyKWh: Float64Array;
  private sitePeakKW = 0;
  private siteEnergyKWh = 0;
  private n = 0;
  private readonly fired = new Map<string, number>();

  constructor(
    private readonly engine: Engine,
    private readonly totalTicks: number,
  ) {
    const rows = engine.topology.rows.length;
    this.pct = Array.from({ length: rows }, () => new Float32Array(totalTicks));
    this.peakKW = new Float64Array(rows);
    this.peakPct = new Float64Array(rows);
    this.over100S = new Float64Array(rows);
    this.energyKWh = new Float64Array(rows);
  }

  record(fired: readonly Alert[]): void {
    const e = this.engine;
    const dtH = e.step / 3_600_000;
    for (let r = 0; r < this.pct.length; r++) {
      const kw = e.agg.rowW[r]! / 1000;
      const pct = (kw / e.rowBudgetKW[r]!) * 100;
      if (this.n < this.totalTicks) this.pct[r]![this.n] = pct;
      if (kw > this.peakKW[r]!) this.peakKW[r] = kw;
      if (pct > this.peakPct[r]!) this.peakPct[r] = pct;
      if (pct > 100) this.over100S[r] += e.step / 1000;
      this.energyKWh[r] += kw * dtH;
    }
    const siteKW = e.agg.siteW / 1000;
    if (siteKW > this.sitePeakKW) this.sitePeakKW = siteKW;
    this.siteEnergyKWh += siteKW * dtH;
    for (const a of fired) this.fired.set(a.rule, (this.fired.get(a.rule) ?? 0) + 1);
    this.n++;
  }

  build(meta: { scenario: string; seed: number; durationS: number }, services: readonly InferenceServiceSim[], training: readonly TrainingJobSim[]): SimReport {
    const t = this.engine.topology;
    const r2 = (x: number) => Math.round(x * 100) / 100;
    const q = (x: number) => (Number.isFinite(x) ? r2(x) : null);
    const byRule: Record<string, number> = {};
    for (const rule of this.engine.rules) byRule[rule.id] = this.fired.get(rule.id) ?? 0;
    return {
      scenario: meta.scenario,
      seed: meta.seed,
      durationS: meta.durationS,
      stepMs: this.engine.step,
      gpus: t.gpuCount,
      rows: t.rows.map((row, r) => {
        const sorted = this.pct[r]!.slice(0, this.n).sort();
        const p99 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil(0.99 * sorted.length) - 1)]! : 0;
        return {
          id: row.id,
          budgetKW: row.budgetKW,
          peakKW: r2(this.peakKW[r]!),
          peakPct: r2(this.peakPct[r]!),
          p99Pct: r2(p99),
          secondsOver100: r2(this.over100S[r]!),
          energyKWh: r2(this.energyKWh[r]!),
        };
      }),
      site: { peakKW: r2(this.sitePeakKW), energyKWh: r2(this.siteEnergyKWh) },
      alerts: { fired: [...this.fired.values()].reduce((a, b) => a + b, 0), byRule },
      actions: { caps: 0, brakes: 0 },
      workloads: [
        ...services.map((s) => ({
          id: s.spec.id,
          kind: 'inference' as const,
          priority: s.spec.priority,
          completed: s.stats.completed,
          p50LatencyS: q(s.stats.latency.quantile(0.5)),
          p99LatencyS: q(s.stats.latency.quantile(0.99)),
        })),
        ...training.map((j) => ({ id: j.spec.id, kind: 'training' as const, priority: j.spec.priority, completed: j.iterations, p50LatencyS: null, p99LatencyS: null })),
      ],
    };
  }
}
