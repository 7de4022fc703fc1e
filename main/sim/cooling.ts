import type { Topology } from '../../shared/domain/topology.js';
import { coolingCapacityKW, coolingHeatKW, LOOP_MARGIN_C, type CoolingState, type ResolvedCooling } from '../core/cooling.js';
import { rackNameplateKW } from '../core/plant.js';

/**
 * The cooling plant in the simulator (core/cooling.ts for the rules):
 * - rows served by an air group get their share (by nameplate) of its capacity now as their cooling, at most the
 *   topology's `coolingKW`; the row air model then does the rest (core/thermal.ts);
 * - each CDU's loop supply temperature integrates heat in minus heat removed over its thermal mass
 *   (capacity · holdS / LOOP_MARGIN_C, kJ/°C), never below its design supply: the racks on it see that as their
 *   inlet, so their GPUs heat up and reach slowdown together when flow is lost.
 */
export class CoolingSim {
  /** Per CDU: loop supply temperature now (°C). */
  readonly loopC: Float64Array;
  private readonly airShare: Float64Array;

  constructor(
    private readonly c: ResolvedCooling,
    private readonly t: Topology,
  ) {
    this.loopC = Float64Array.from(c.supplyC);
    // Each row's share of its air group, by the nameplate of its air-cooled racks.
    const plate = rackNameplateKW(t);
    const rowPlate = new Float64Array(t.rows.length);
    const groupPlate = new Float64Array(c.ids.length);
    t.racks.forEach((r, i) => {
      const g = c.rowAir[r.row]!;
      if (g < 0 || c.rackCdu[i]! >= 0) return;
      rowPlate[r.row]! += plate[i]!;
      groupPlate[g]! += plate[i]!;
    });
    this.airShare = Float64Array.from(t.rows, (_, r) => (c.rowAir[r]! >= 0 && groupPlate[c.rowAir[r]!]! > 0 ? rowPlate[r]! / groupPlate[c.rowAir[r]!]! : 0));
  }

  /**
   * Rows with an air group: their share of its capacity now (kW), at most the row's own `coolingKW` (what its aisle
   * containment carries: the default site's rows are typed a little under their share of the CRAHs' firm capacity).
   */
  rowCooling(s: CoolingState, rowCoolingKW: Float64Array): void {
    for (let r = 0; r < this.t.rows.length; r++) {
      const g = this.c.rowAir[r]!;
      if (g >= 0) rowCoolingKW[r] = Math.min(rowCoolingKW[r]!, coolingCapacityKW(this.c, s, g) * this.airShare[r]!);
    }
  }

  /** Advance every CDU loop by dtS with the racks' heat now; liquid racks' inlet = their loop's supply. */
  step(s: CoolingState, rackKW: ArrayLike<number>, dtS: number, rackInletC: Float64Array): void {
    const c = this.c;
    const heat = coolingHeatKW(c, rackKW);
    for (let g = 0; g < c.ids.length; g++) {
      if (c.kinds[g] !== 'cdu') continue;
      const massKJPerC = (c.capacityKW[g]! * c.holdS[g]!) / LOOP_MARGIN_C;
      const cap = coolingCapacityKW(c, s, g);
      // Removal follows the heat up to capacity, and pulls a warm loop back down with what capacity is left.
      const warm = this.loopC[g]! - c.supplyC[g]!;
      const removed = Math.min(cap, heat[g]! + (warm > 0 ? cap : 0));
      const next = massKJPerC > 0 ? this.loopC[g]! + ((heat[g]! - removed) * dtS) / massKJPerC : heat[g]! > cap ? c.supplyC[g]! + LOOP_MARGIN_C * 3 : c.supplyC[g]!;
      this.loopC[g] = Math.max(c.supplyC[g]!, next);
    }
    for (let r = 0; r < c.rackCdu.length; r++) {
      const g = c.rackCdu[r]!;
      if (g >= 0) rackInletC[r] = this.loopC[g]!;
    }
  }
}
