import type { SimReport } from './report.js';

/**
 * The one-line terminal summary of `headroom sim` (stderr; the report itself goes to stdout or `--out`). Pure.
 *
 * `simulated D s of N GPUs in W s (X× real time); <per row>; alerts fired F[; <ratios>][; K warnings][; report → FILE]`
 * - per row: `A peak 97.1 % (p99 90.2 %, 3 s over, longest 2 s[, 1 brake])` — the report's measured figures;
 * - with `--compare`, the ratios against the unconstrained run, high priority first, per workload:
 *   `vs unconstrained: high: chat throughput ×0.998 p99 ×1.02, pretrain throughput ×0.963; low: code throughput ×0.99 p99 ×1.1`
 *   (training has no latency; a ratio the report lacks is left out, a priority without workloads too);
 * - the number of the report's warnings (they are in the report, not repeated here).
 */
export function summaryLine(report: SimReport, wallS: number, durationS: number, outFile?: string): string {
  const speed = wallS > 0 ? `${Math.round(durationS / wallS).toLocaleString('en-US')}× real time` : 'instant';
  const rows = report.rows
    .map((r) => {
      const brakes = r.brakes > 0 ? `, ${r.brakes} brake${r.brakes === 1 ? '' : 's'}` : '';
      return `${r.id} peak ${r.peakPct} % (p99 ${r.p99Pct} %, ${r.secondsOver100} s over, longest ${r.longestOverS} s${brakes})`;
    })
    .join('; ');
  const parts = [`simulated ${durationS} s of ${report.gpus} GPUs in ${wallS.toFixed(2)} s (${speed})`, rows, `alerts fired ${report.alerts.fired} (${report.alerts.notifications} notifications)`];
  const ratios = compareRatios(report);
  if (ratios) parts.push(ratios);
  const n = report.warnings.length;
  if (n > 0) parts.push(`${n} warning${n === 1 ? '' : 's'} in the report`);
  if (outFile) parts.push(`report → ${outFile}`);
  return parts.join('; ');
}

/** `vs unconstrained: high: …; low: …`, or null when the report has no ratios (run without `--compare`). */
export function compareRatios(report: SimReport): string | null {
  const groups: string[] = [];
  for (const priority of ['high', 'low'] as const) {
    const items = report.workloads
      .filter((w) => w.priority === priority && (w.throughputRatio !== null || w.p99LatencyRatio !== null))
      .map((w) => {
        const tput = w.throughputRatio !== null ? ` throughput ×${w.throughputRatio}` : '';
        const p99 = w.p99LatencyRatio !== null ? ` p99 ×${w.p99LatencyRatio}` : '';
        return `${w.id}${tput}${p99}`;
      });
    if (items.length > 0) groups.push(`${priority}: ${items.join(', ')}`);
  }
  return groups.length > 0 ? `vs unconstrained: ${groups.join('; ')}` : null;
}
