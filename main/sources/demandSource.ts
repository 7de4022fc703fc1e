import { ClockEvent } from '../../shared/domain/fleet.js';
import type { GpuModel, Topology } from '../../shared/domain/topology.js';
import { DEMAND_K_HIGH, DEMAND_K_LOW, heldPower, inferDemand } from '../core/demand.js';
import type { Actuator } from '../core/ports.js';
import type { FrameReader, Source, SourceBatch } from '../core/source.js';

/** Which end of the demand band a replay runs on (core/demand.ts). */
export type DemandBand = 'mid' | 'low' | 'high';

const HELD_BITS = ClockEvent.clocksSetting | ClockEvent.hwPowerBrake | ClockEvent.swPowerCap;

/**
 * A real fleet's recording replayed through another policy: every recorded GPU sample becomes an inferred demand
 * (what the GPU would have drawn unheld, core/demand.ts), and the GPUs answer the replay's own setpoints (power
 * limits, clock locks, the brake) through the power model — never drawing more than that demand. Temperatures and
 * utilisation are the recorded ones; row budgets are the recorded budgets. It is both the replay's source and its
 * actuator. Reads only.
 */
export class DemandSource implements Source, Actuator {
  readonly id = 'demand';
  readonly kind = 'replay' as const;
  private readonly modelOf: Array<GpuModel>;
  private readonly limitW: Float64Array;
  private readonly lockMHz: Float64Array;
  private readonly braked: Uint8Array;
  private readonly out: { powerW: Float64Array; clockMHz: Float64Array; limitW: Float64Array; flags: Uint32Array };

  constructor(
    topology: Topology,
    private readonly frames: FrameReader,
    private readonly band: DemandBand = 'mid',
  ) {
    const n = topology.gpuCount;
    this.modelOf = new Array<GpuModel>(n);
    for (const s of topology.servers) for (let g = s.gpuStart; g < s.gpuStart + s.gpuCount; g++) this.modelOf[g] = topology.models[s.model]!;
    this.limitW = new Float64Array(n).fill(NaN);
    this.lockMHz = new Float64Array(n);
    this.braked = new Uint8Array(n);
    this.out = { powerW: new Float64Array(n), clockMHz: new Float64Array(n), limitW: new Float64Array(n), flags: new Uint32Array(n) };
  }

  poll(nowMs: number): SourceBatch | null {
    const f = this.frames.frameAt(nowMs);
    if (!f) return null;
    const o = this.out;
    for (let g = 0; g < o.powerW.length; g++) {
      const m = this.modelOf[g]!;
      const d = inferDemand(m, f.powerW[g]!, f.clockMHz[g]!, f.limitW[g]!, f.util[g]!, f.flags[g]!);
      const demand = this.band === 'mid' ? d.demandW : this.band === 'low' ? d.lowW : d.highW;
      const a = this.band === 'mid' ? d.activity : this.band === 'low' ? d.activityLow : d.activityHigh;
      const k = this.band === 'mid' ? m.clockPowerExponent : this.band === 'low' ? DEMAND_K_LOW : DEMAND_K_HIGH;
      const limit = Number.isFinite(this.limitW[g]!) ? this.limitW[g]! : m.defaultLimitW;
      const held = this.braked[g] === 1 || this.lockMHz[g]! > 0 || limit < m.defaultLimitW - 1;
      let flags = (f.flags[g]! & ~HELD_BITS) >>> 0;
      if (!Number.isFinite(demand)) {
        o.powerW[g] = NaN;
        o.clockMHz[g] = f.clockMHz[g]!;
      } else if (!held) {
        o.powerW[g] = demand;
        o.clockMHz[g] = d.held ? heldPower(m, a, k, m.defaultLimitW, 0, false).clockMHz : f.clockMHz[g]!;
      } else {
        const h = heldPower(m, a, k, limit, this.lockMHz[g]!, this.braked[g] === 1);
        o.powerW[g] = Math.min(demand, h.powerW);
        o.clockMHz[g] = h.clockMHz;
        if (this.braked[g]) flags |= ClockEvent.hwPowerBrake;
        if (this.lockMHz[g]! > 0) flags |= ClockEvent.clocksSetting;
        if (limit < m.defaultLimitW - 1 && h.powerW >= limit - 1) flags |= ClockEvent.swPowerCap;
      }
      o.limitW[g] = limit;
      o.flags[g] = flags >>> 0;
    }
    return { tMs: nowMs, powerW: o.powerW, tempC: f.tempC, clockMHz: o.clockMHz, limitW: o.limitW, util: f.util, flags: o.flags, rowBudgetKW: this.frames.budgetsAt(nowMs) };
  }

  setPowerLimit(gpu: number, watts: number): void {
    const m = this.modelOf[gpu];
    if (!m) return;
    this.limitW[gpu] = Math.min(m.maxLimitW, Math.max(m.minLimitW, watts));
  }
  setClockLock(gpu: number, mhz: number): void {
    const m = this.modelOf[gpu];
    if (!m) return;
    this.lockMHz[gpu] = mhz > 0 ? Math.min(m.maxClockMHz, Math.max(m.minClockMHz, mhz)) : 0;
  }
  setBrake(gpu: number, on: boolean): void {
    if (gpu >= 0 && gpu < this.braked.length) this.braked[gpu] = on ? 1 : 0;
  }
}
