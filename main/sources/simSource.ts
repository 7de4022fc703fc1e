import type { Simulator } from '../sim/simulator.js';
import type { Source, SourceBatch } from '../core/source.js';

/** The built-in simulator as a telemetry source. During a `sourceStall` event it delivers nothing. */
export class SimSource implements Source {
  readonly id = 'sim';
  readonly kind = 'sim' as const;
  constructor(readonly sim: Simulator) {}

  poll(_nowMs: number, dtS: number): SourceBatch | null {
    const s = this.sim.step(dtS);
    if (this.sim.stalled()) return null;
    const g = s.gpu;
    return {
      tMs: s.tMs,
      powerW: g.powerW,
      tempC: g.tempC,
      clockMHz: g.clockMHz,
      limitW: g.limitW,
      util: g.util,
      flags: g.flags,
      rackInletC: s.rackInletC,
      rowBudgetKW: s.rowBudgetKW,
      rowCoolingKW: s.rowCoolingKW,
    };
  }
}
