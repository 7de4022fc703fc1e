import { describe, expect, it } from 'vitest';
import { ClockEvent, SampleFlag } from '../../../shared/domain/fleet.js';
import { HeatTracker } from '../../../main/app/reportHeat.js';
import { resolveTopology, defaultTopologySpec } from '../../../main/core/topology.js';

const t = resolveTopology(defaultTopologySpec(1));
const n = t.gpuCount;
const DEFAULT_W = t.models[0]!.defaultLimitW;

function live() {
  return { flags: new Uint32Array(n), tempC: new Float64Array(n).fill(50), limitW: new Float64Array(n).fill(DEFAULT_W) };
}

describe('heat and throttling as TAPAS counts them', () => {
  it('an event is a GPU entering thermal throttling; GPU-seconds count the time in it', () => {
    const h = new HeatTracker(t);
    const l = live();
    l.flags[3] = ClockEvent.swThermal;
    h.record(l, [25], 1);
    h.record(l, [25], 1); // still throttled: no new event
    l.flags[3] = 0;
    h.record(l, [25], 1);
    l.flags[3] = ClockEvent.hwThermal | ClockEvent.hwSlowdown;
    h.record(l, [25], 1);
    expect(h.figures()).toMatchObject({ thermalThrottleEvents: 2, thermalThrottleGpuS: 3, powerThrottleEvents: 0 });
  });

  it("power throttling is a controller's hand: a lock, the brake, or a cap below the default limit — not a GPU at its own limit", () => {
    const h = new HeatTracker(t);
    const l = live();
    l.flags[0] = ClockEvent.swPowerCap; // a prefill burst over TDP at the default limit: nobody throttles it
    l.flags[1] = ClockEvent.clocksSetting; // a clock lock
    l.flags[2] = ClockEvent.hwPowerBrake | ClockEvent.hwSlowdown; // the brake
    l.flags[4] = ClockEvent.swPowerCap; // held at a lowered limit
    l.limitW[4] = DEFAULT_W - 100;
    h.record(l, [25], 1);
    expect(h.figures()).toMatchObject({ powerThrottleEvents: 3, powerThrottleGpuS: 3, thermalThrottleEvents: 0 });
  });

  it('stale, invalid and dark readings neither count nor end an event, and are left out of the hottest', () => {
    const h = new HeatTracker(t);
    const l = live();
    l.flags[5] = ClockEvent.swThermal;
    l.tempC[5] = 88;
    h.record(l, [25, 31], 1);
    l.flags[5] = ClockEvent.swThermal | SampleFlag.stale;
    l.tempC[5] = 120;
    h.record(l, [25, 31], 1);
    l.flags[5] = ClockEvent.swThermal;
    l.tempC[5] = 88;
    h.record(l, [25, 31], 1);
    expect(h.figures()).toMatchObject({ thermalThrottleEvents: 1, thermalThrottleGpuS: 2, maxGpuC: 88, maxInletC: 31 });
  });
});
