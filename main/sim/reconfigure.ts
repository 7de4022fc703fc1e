import { allowedRung, RECONFIG_LADDER } from '../../shared/domain/reconfig.js';
import { InferenceServiceSim } from './inference.js';
import type { Workload } from './workloads.js';

/**
 * The SaaS platform's side of reconfiguration (the simulator stands in for it): a row asks its SaaS instances for a
 * rung of the ladder (shared/domain/reconfig.ts); each instance takes the deepest its service allows (`forbid`) and
 * comes back in it after the slower of the two configurations' reload latencies, serving meanwhile as it was. A newer
 * request for the row replaces one still pending. IaaS workloads are never touched.
 */
export class Reconfigurator {
  /** Per row: the rung last asked (0: as deployed). */
  readonly asked: Uint8Array;
  private pending: Array<{ atS: number; sim: InferenceServiceSim; server: number; rung: number; row: number }> = [];

  constructor(
    private readonly workloads: readonly Workload[],
    rows: number,
  ) {
    this.asked = new Uint8Array(rows);
  }

  /** Row `row` asks for `rung` at simulation time `nowS`. Returns how many instances will change. */
  request(row: number, rung: number, nowS: number): number {
    const to = Math.max(0, Math.min(RECONFIG_LADDER.length - 1, Math.round(rung)));
    this.asked[row] = to;
    this.pending = this.pending.filter((p) => p.row !== row);
    let n = 0;
    for (const w of this.workloads) {
      const sim = w.sim;
      if (!(sim instanceof InferenceServiceSim) || sim.spec.kind === 'iaas') continue;
      const target = allowedRung(to, sim.spec.forbid);
      for (let i = 0; i < w.servers.length; i++) {
        if (w.row[i] !== row || sim.rung[i] === target) continue;
        const latencyS = Math.max(RECONFIG_LADDER[sim.rung[i]!]!.latencyS, RECONFIG_LADDER[target]!.latencyS);
        this.pending.push({ atS: nowS + latencyS, sim, server: i, rung: target, row });
        n++;
      }
    }
    return n;
  }

  /** Land the changes due by `nowS`. */
  apply(nowS: number): void {
    if (this.pending.length === 0) return;
    const keep: typeof this.pending = [];
    for (const p of this.pending) {
      if (p.atS <= nowS) p.sim.rung[p.server] = p.rung;
      else keep.push(p);
    }
    this.pending = keep;
  }
}
