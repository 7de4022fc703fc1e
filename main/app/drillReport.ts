import type { AuditRecord } from '../../shared/domain/control.js';
import { DRILL_FIGURES, responderName, type DrillReport, type DrillSide, type DrillSpec } from '../../shared/domain/drills.js';
import type { Topology } from '../../shared/domain/topology.js';
import type { Engine } from '../engine/engine.js';
import { incidentHtml, type IncidentData } from './incidentReport.js';

const BIN_MS = 10_000;

/** The drill's rows over its window in 10 s bins (average and peak power, the budget in force), for the report's charts. */
export class RowBins {
  readonly rows: Array<{ id: string; index: number; tMs: number[]; avgKW: Array<number | null>; maxKW: Array<number | null>; budgets: Array<{ tMs: number; budgetKW: number }> }>;
  private binStart = NaN;
  private sum: Float64Array;
  private max: Float64Array;
  private n = 0;

  constructor(t: Topology, rows: readonly string[]) {
    this.rows = rows.map((id) => ({ id, index: t.rows.findIndex((r) => r.id === id), tMs: [], avgKW: [], maxKW: [], budgets: [] }));
    this.sum = new Float64Array(rows.length);
    this.max = new Float64Array(rows.length);
  }

  add(e: Engine, nowMs: number): void {
    if (Number.isNaN(this.binStart)) this.binStart = nowMs;
    if (nowMs - this.binStart >= BIN_MS) this.flush();
    this.rows.forEach((r, i) => {
      const kw = e.controlRowW[r.index]! / 1000;
      this.sum[i] = this.sum[i]! + kw;
      if (kw > this.max[i]!) this.max[i] = kw;
      const b = e.rowBudgetKW[r.index]!;
      if (r.budgets.at(-1)?.budgetKW !== b) r.budgets.push({ tMs: nowMs, budgetKW: b });
    });
    this.n++;
  }

  flush(): void {
    if (this.n === 0) return;
    this.rows.forEach((r, i) => {
      r.tMs.push(this.binStart);
      r.avgKW.push(this.sum[i]! / this.n);
      r.maxKW.push(this.max[i]!);
    });
    this.sum.fill(0);
    this.max.fill(0);
    this.n = 0;
    this.binStart += BIN_MS;
  }
}

/** The debrief table: one row per figure (the score first), a column per side. */
export function comparisonRows(sides: readonly DrillSide[]): string[][] {
  return [['Score (of 100)', ...sides.map((s) => String(s.score))], ...DRILL_FIGURES.map(([label, get]) => [label, ...sides.map(get)])];
}

/** The after-action report as the incident report's HTML (same exporter): facts, side by side, charts, alerts, actions. */
export function drillHtml(r: DrillReport, bins: RowBins | null, spec: DrillSpec | null, actions: readonly AuditRecord[], events: IncidentData['events']): string {
  bins?.flush();
  const who = (s: DrillSide) => responderName(s, r);
  const fromMs = r.atMs ?? 0;
  const data: IncidentData = {
    title: `After-action report: ${r.title} — ${r.score} / 100`,
    facts: [
      ['Drill', `${r.drill}: ${spec?.description ?? r.title}`],
      ['Objective', r.objective],
      ['Started', r.atMs !== undefined ? new Date(r.atMs).toISOString() : '—'],
      ['Lasted', `${Math.round(r.durationS)} s`],
      ['Rows scored', r.rows.join(', ')],
      ['Responded', r.sides[0] ? who(r.sides[0]) : '—'],
      ['Site', `${r.scenario}, seed ${r.seed}`],
    ],
    comparison: { title: 'Side by side (the same drill from the same start)', columns: ['', ...r.sides.map(who)], rows: comparisonRows(r.sides) },
    notes: `Scoring (docs/SCENARIOS.md "Drills"): 100 minus penalties for measured seconds over budget, hot air above 32 °C, thermal slowdown, brakes, work lost against the same window without the drill, and detection later than 30 s. The automatic side re-simulates the same timeline with Headroom's controller on.`,
    rows: bins ? bins.rows.map((x) => ({ id: x.id, tMs: x.tMs, avgKW: x.avgKW, maxKW: x.maxKW, budgets: x.budgets })) : [],
    events: [...(spec?.events ?? []).map((e) => ({ tMs: fromMs + e.atS * 1000, kind: 'drill event', subject: e.kind, text: JSON.stringify(e) })), ...events].sort((a, b) => a.tMs - b.tMs),
    actions: actions.map((a) => ({ ...a, change: a.oldValue || a.newValue ? `${a.oldValue || '—'} → ${a.newValue || '—'}` : '' })),
    footer: 'Made by Headroom at the end of a drill; times are the simulator clock (UTC).',
  };
  return incidentHtml(data, fromMs, fromMs + r.durationS * 1000);
}
