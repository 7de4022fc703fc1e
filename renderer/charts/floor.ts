/** Pure data shaping for the floor (rack-level) heatmap and its tooltips. */
import type { Topology } from '../../shared/domain/topology.js';
import type { Snapshot } from '../../shared/domain/fleet.js';
import type { RackForecast } from '../../shared/domain/placement.js';
import type { RackMetric } from './scales.js';
import { fmtC, fmtKWFromW, fmtPct } from './format.js';
import { thermalPenalty } from '../../shared/domain/slack.js';

/**
 * Value of `metric` for rack `r` (NaN when the snapshot lacks it); `predicted`: per rack, the forecast's pressure, or
 * for 'workflow' the category of the workflow it runs (charts/workflowFloor.ts; NaN: none).
 */
export function rackValue(topo: Topology, snap: Snapshot, metric: RackMetric, r: number, predicted?: ArrayLike<number>): number {
  switch (metric) {
    case 'predictedPct':
    case 'workflow':
      return predicted?.[r] ?? NaN;
    case 'budgetPct': {
      const budgetW = topo.racks[r]!.budgetKW * 1000;
      const p = snap.rack.powerW[r];
      return budgetW > 0 && typeof p === 'number' ? (p / budgetW) * 100 : NaN;
    }
    case 'inletC':
      return snap.rack.inletC[r] ?? NaN;
    case 'maxTempC':
      return snap.rack.maxTempC[r] ?? NaN;
    case 'thermalPct': {
      const t = snap.rack.maxTempC[r] ?? NaN;
      const inlet = snap.rack.inletC[r] ?? NaN;
      // A rack with no GPU reading yet has no pressure to show (not a full one).
      return Number.isFinite(t) ? 100 * thermalPenalty(t, rackSlowdownC(topo, r), inlet) : NaN;
    }
  }
}

/** The slowdown temperature of a rack's GPUs (its first server's model). */
function rackSlowdownC(topo: Topology, r: number): number {
  const sv = topo.servers[topo.racks[r]!.serverStart];
  return sv ? (topo.models[sv.model]?.slowdownC ?? NaN) : NaN;
}

/** Values of `metric` for every rack, into `out` (reused between snapshots to spare the garbage collector). */
export function rackValues(topo: Topology, snap: Snapshot, metric: RackMetric, out?: Float64Array<ArrayBuffer>, predicted?: ArrayLike<number>): Float64Array<ArrayBuffer> {
  const n = topo.racks.length;
  const values = out && out.length === n ? out : new Float64Array(n);
  for (let r = 0; r < n; r++) values[r] = rackValue(topo, snap, metric, r, predicted);
  return values;
}

/** Short text shown inside a rack cell (the unit is in the legend): "86", "27.4"; 'workflow': `label` (its GPUs). */
export function cellText(metric: RackMetric, v: number, label?: string): string {
  if (!Number.isFinite(v)) return '—';
  if (metric === 'workflow') return label ?? '';
  return metric === 'inletC' ? v.toFixed(1) : v.toFixed(0);
}

export interface RackDetail {
  rackId: string;
  rowId: string;
  powerW: number;
  budgetKW: number;
  budgetPct: number;
  inletC: number;
  maxTempC: number;
}

export function rackDetail(topo: Topology, snap: Snapshot | null, r: number): RackDetail {
  const rack = topo.racks[r]!;
  const powerW = snap?.rack.powerW[r] ?? NaN;
  return {
    rackId: rack.id,
    rowId: topo.rows[rack.row]?.id ?? '?',
    powerW,
    budgetKW: rack.budgetKW,
    budgetPct: rack.budgetKW > 0 ? (powerW / (rack.budgetKW * 1000)) * 100 : NaN,
    inletC: snap?.rack.inletC[r] ?? NaN,
    maxTempC: snap?.rack.maxTempC[r] ?? NaN,
  };
}

/** Tooltip lines for a rack: id, kW, % budget, inlet °C, hottest GPU °C. */
export function rackTooltipLines(d: RackDetail): Array<[string, string]> {
  return [
    ['Rack', `${d.rackId} (row ${d.rowId})`],
    ['Power', `${fmtKWFromW(d.powerW)} of ${d.budgetKW.toFixed(1)} kW`],
    ['Budget', fmtPct(d.budgetPct, 1)],
    ['Inlet', fmtC(d.inletC)],
    ['Hottest GPU', fmtC(d.maxTempC)],
  ];
}

const BY = { power: "its row's power", air: 'its inlet', gpu: 'its hottest GPU' } as const;

/** Tooltip lines of a rack's forecast: the pressure and what sets it, and the peaks it comes from. */
export function forecastTooltipLines(f: RackForecast | undefined): Array<[string, string]> {
  if (!f) return [['Predicted', 'no forecast yet']];
  if (f.pressurePct === null) return [['Predicted', 'unknown: no inlet profile']];
  return [
    ['Predicted', `${f.pressurePct.toFixed(0)} %${f.by ? `, set by ${BY[f.by]}` : ''}`],
    ['Row p99', fmtPct(f.rowP99Pct, 1)],
    ['Inlet at p95', fmtC(f.inletC ?? NaN)],
    ['Hottest GPU at TDP', fmtC(f.gpuC ?? NaN)],
  ];
}

/** Accessible name of a rack cell, read by screen readers and used by tests. */
export function rackAriaLabel(d: RackDetail): string {
  return `Rack ${d.rackId}, row ${d.rowId}: ${fmtKWFromW(d.powerW)}, ${fmtPct(d.budgetPct)} of budget, inlet ${fmtC(d.inletC)}, hottest GPU ${fmtC(d.maxTempC)}`;
}

export interface RowSummary {
  rowId: string;
  powerW: number;
  budgetKW: number;
  pct: number;
  inletC: number;
  maxTempC: number;
}

export function rowSummaries(topo: Topology, snap: Snapshot | null): RowSummary[] {
  return topo.rows.map((row, i) => {
    const powerW = snap?.row.powerW[i] ?? NaN;
    const budgetKW = snap?.row.budgetKW[i] ?? row.budgetKW;
    return {
      rowId: row.id,
      powerW,
      budgetKW,
      pct: budgetKW > 0 ? (powerW / (budgetKW * 1000)) * 100 : NaN,
      inletC: snap?.row.inletC[i] ?? NaN,
      maxTempC: snap?.row.maxTempC[i] ?? NaN,
    };
  });
}

/** Counts of racks per band for the summary line ("3 racks ≥ 80 %"). */
export function countAtOrAbove(values: ArrayLike<number>, threshold: number): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if ((values[i] as number) >= threshold) n++;
  return n;
}

/** X positions of `n` equal cells with `gap` px between them across `width` px (matches a CSS grid of 1fr columns). */
export function cellGeometry(width: number, n: number, gap: number): { cellW: number; x: (k: number) => number } {
  const cellW = Math.max(1, (width - gap * (n - 1)) / n);
  return { cellW, x: (k) => k * (cellW + gap) };
}

export const MIN_CELL_W = 30;
export const MIN_CELL_H = 30;
export const MAX_CELL_H = 120;

/**
 * How many lines ("bands") each row of racks wraps into, and how tall a cell is, for a floor `availW × availH` px
 * (cell area only). Prefers one line per row (the physical picture); wraps only when cells would get too narrow to
 * carry a readable value, and never so far that cells get shorter than MIN_CELL_H.
 */
export function floorWrap(maxRacks: number, rows: number, availW: number, availH: number, gap = 3, rowGap = 14): { wrap: number; cellH: number } {
  const heightFor = (wrap: number) => {
    const lines = rows * wrap;
    return (availH - rowGap * (rows - 1) - gap * (lines - rows)) / lines;
  };
  let wrap = 1;
  while (wrap < maxRacks) {
    const perBand = Math.ceil(maxRacks / wrap);
    const cellW = (availW - gap * (perBand - 1)) / perBand;
    if (cellW >= MIN_CELL_W) break;
    if (heightFor(wrap + 1) < MIN_CELL_H) break;
    wrap++;
  }
  return { wrap, cellH: Math.max(MIN_CELL_H, Math.min(MAX_CELL_H, Math.floor(heightFor(wrap)))) };
}
