import { ClockEvent, SampleFlag } from '../../shared/domain/fleet.js';
import type { Topology } from '../../shared/domain/topology.js';

/** Readings that say nothing about the GPU now (stale, replaced, or a dark rack). */
const NOT_A_READING = SampleFlag.stale | SampleFlag.invalid | SampleFlag.unpowered;
const THERMAL = ClockEvent.swThermal | ClockEvent.hwThermal;
const POLICY = ClockEvent.clocksSetting | ClockEvent.hwPowerBrake;

/**
 * Heat and throttling over a run, as TAPAS counts them (arXiv 2501.02600 §6), from what telemetry reports of each GPU:
 *  - thermal throttling: the GPU's clock-event reasons include SW or HW thermal slowdown;
 *  - power throttling: a controller's hand on it — a clock lock in effect, the power brake, or a power cap below its
 *    default limit that the GPU is held at (SW power cap). A GPU that touches its own default limit (a prefill burst
 *    over TDP) is not throttled by anybody;
 *  - an event is a GPU entering the state (from a reading without it); GPU-seconds count the time in it;
 *  - maxGpuC / maxInletC: the hottest valid GPU reading and rack inlet of the run.
 * Readings that are stale, invalid or from a dark rack neither start nor end an event.
 */
export class HeatTracker {
  private readonly prevThermal: Uint8Array;
  private readonly prevPower: Uint8Array;
  private readonly defaultLimitW: Float64Array;
  thermalThrottleEvents = 0;
  thermalThrottleGpuS = 0;
  powerThrottleEvents = 0;
  powerThrottleGpuS = 0;
  maxGpuC = -Infinity;
  maxInletC = -Infinity;

  constructor(t: Topology) {
    this.prevThermal = new Uint8Array(t.gpuCount);
    this.prevPower = new Uint8Array(t.gpuCount);
    this.defaultLimitW = new Float64Array(t.gpuCount);
    for (const s of t.servers) this.defaultLimitW.fill(t.models[s.model]!.defaultLimitW, s.gpuStart, s.gpuStart + s.gpuCount);
  }

  record(live: { flags: Uint32Array; tempC: Float64Array; limitW: Float64Array }, rackInletC: ArrayLike<number>, stepS: number): void {
    const { flags, tempC, limitW } = live;
    const lim = this.defaultLimitW;
    let hot = this.maxGpuC;
    for (let g = 0; g < flags.length; g++) {
      const f = flags[g]!;
      if ((f & NOT_A_READING) !== 0) continue;
      if (tempC[g]! > hot) hot = tempC[g]!;
      const th = (f & THERMAL) !== 0 ? 1 : 0;
      const pw = (f & POLICY) !== 0 || ((f & ClockEvent.swPowerCap) !== 0 && limitW[g]! < lim[g]!) ? 1 : 0;
      if (th) {
        this.thermalThrottleGpuS += stepS;
        if (!this.prevThermal[g]) this.thermalThrottleEvents++;
      }
      if (pw) {
        this.powerThrottleGpuS += stepS;
        if (!this.prevPower[g]) this.powerThrottleEvents++;
      }
      this.prevThermal[g] = th;
      this.prevPower[g] = pw;
    }
    this.maxGpuC = hot;
    for (let k = 0; k < rackInletC.length; k++) if (rackInletC[k]! > this.maxInletC) this.maxInletC = rackInletC[k]!;
  }

  figures() {
    const r1 = (x: number) => (Number.isFinite(x) ? Math.round(x * 10) / 10 : null);
    return {
      thermalThrottleEvents: this.thermalThrottleEvents,
      thermalThrottleGpuS: Math.round(this.thermalThrottleGpuS),
      powerThrottleEvents: this.powerThrottleEvents,
      powerThrottleGpuS: Math.round(this.powerThrottleGpuS),
      maxGpuC: r1(this.maxGpuC),
      maxInletC: r1(this.maxInletC),
    };
  }
}
