/**
 * The platform's side of a workflow re-plan (issue 16; core/workflows/replan.ts), kept simple (docs/MODEL.md
 * "Workflows"): a rack that runs workflows draws a share of its GPUs' work — its GPUs' activity is scaled by the power
 * ratio of the plan in force, so their dynamic power follows the plan's while their idle power stays (a lower bound
 * on what the plan frees: stopped instances would free their idle power too). A change lands after the new plan's
 * instances have started; until then the old plan serves. A newer request for a row replaces one still pending.
 * Whatever the services do with their requests is unchanged: the planner keeps the SLO by construction.
 */
export class WorkflowPower {
  /** Per rack: the activity scale in force (1: as the services ask). */
  readonly rackScale: Float64Array;
  private pending: Array<{ atS: number; row: number; racks: readonly number[]; ratio: number }> = [];

  constructor(racks: number) {
    this.rackScale = new Float64Array(racks).fill(1);
  }

  /** Row `row`'s workflow racks to `ratio` (0–1) from `nowS + latencyS`. Returns the racks that will change. */
  request(row: number, racks: readonly number[], ratio: number, nowS: number, latencyS: number): number {
    const r = Math.max(0, Math.min(1, Number.isFinite(ratio) ? ratio : 1));
    this.pending = this.pending.filter((p) => p.row !== row);
    const valid = racks.filter((k) => k >= 0 && k < this.rackScale.length);
    if (valid.length) this.pending.push({ atS: nowS + Math.max(0, latencyS), row, racks: valid, ratio: r });
    return valid.length;
  }

  /** Land the changes due by `nowS`. */
  apply(nowS: number): void {
    if (this.pending.length === 0) return;
    this.pending = this.pending.filter((p) => {
      if (p.atS > nowS) return true;
      for (const k of p.racks) this.rackScale[k] = p.ratio;
      return false;
    });
  }
}
