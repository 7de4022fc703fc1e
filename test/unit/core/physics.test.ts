import { describe, expect, it } from 'vitest';
import { ClockEvent, SampleFlag } from '../../../shared/domain/fleet.js';
import { clockForLimit, createGpuColumns, powerAt, stepGpus, BRAKE_CLOCK_MHZ } from '../../../main/core/physics.js';
import { H100 } from '../../helpers.js';

const models = [H100];
function oneGpu(activity: number, inletC = 25) {
  const c = createGpuColumns(1, new Int32Array(1), models);
  c.activity[0] = activity;
  c.rackInletC[0] = inletC;
  return c;
}
function settle(c: ReturnType<typeof oneGpu>, seconds = 300) {
  for (let i = 0; i < seconds; i++) stepGpus(c, models, 1);
}

describe('GPU physics (H100 calibrated on the real nvidia-smi capture)', () => {
  it('idles at ~70 W and ~41 °C with a 25 °C inlet, at the idle SM clock', () => {
    const c = oneGpu(0);
    settle(c);
    expect(c.powerW[0]).toBeCloseTo(70, 0);
    expect(c.tempC[0]).toBeCloseTo(41, 0);
    expect(c.clockMHz[0]).toBe(345);
    expect(c.flags[0]! & ClockEvent.gpuIdle).toBeTruthy();
  });

  it('draws ~630 W at 59 °C under a gpu-burn-like load (activity 0.887) at 1980 MHz', () => {
    const c = oneGpu(0.887);
    settle(c);
    expect(c.powerW[0]).toBeGreaterThan(620);
    expect(c.powerW[0]).toBeLessThan(640);
    expect(c.tempC[0]).toBeGreaterThan(57);
    expect(c.tempC[0]).toBeLessThan(61);
    expect(c.clockMHz[0]).toBe(1980);
  });

  it('a power limit lowers the clock until power fits the limit, and throughput falls less than power', () => {
    const c = oneGpu(0.9);
    c.limitW[0] = 400;
    settle(c, 5);
    expect(c.powerW[0]).toBeLessThanOrEqual(400 + 1e-9);
    expect(c.powerW[0]).toBeGreaterThan(399);
    expect(c.clockMHz[0]).toBeLessThan(1980);
    expect(c.flags[0]! & ClockEvent.swPowerCap).toBeTruthy();
    expect(c.clockMHz[0]).toBeCloseTo(clockForLimit(H100, 0.9, 400), 6);
    // Memory-bound work loses less throughput than compute-bound work at the same clock.
    const compute = oneGpu(0.9);
    compute.limitW[0] = 400;
    const memory = oneGpu(0.9);
    memory.limitW[0] = 400;
    memory.memBound[0] = 1;
    stepGpus(compute, models, 1);
    stepGpus(memory, models, 1);
    expect(memory.throughput[0]).toBeGreaterThan(compute.throughput[0]!);
    expect(compute.throughput[0]).toBeCloseTo(compute.clockMHz[0]! / 1980, 6);
  });

  it('a clock lock caps the clock and cuts power (frequency locking is proactive)', () => {
    const c = oneGpu(0.9);
    c.lockMHz[0] = 1590;
    stepGpus(c, models, 1);
    expect(c.clockMHz[0]).toBe(1590);
    expect(c.powerW[0]).toBeCloseTo(powerAt(H100, 0.9, 1590), 6);
    expect(c.powerW[0]).toBeLessThan(powerAt(H100, 0.9, 1980));
    expect(c.flags[0]! & ClockEvent.clocksSetting).toBeTruthy();
  });

  it('the power brake drops the clock to ~288 MHz', () => {
    const c = oneGpu(0.9);
    c.brake[0] = 1;
    stepGpus(c, models, 1);
    expect(c.clockMHz[0]).toBe(BRAKE_CLOCK_MHZ);
    expect(c.flags[0]! & ClockEvent.hwPowerBrake).toBeTruthy();
    expect(c.powerW[0]).toBeLessThan(250);
  });

  it('temperature follows a first-order lag with the model time constant', () => {
    const c = oneGpu(0.887);
    const start = c.tempC[0]!;
    stepGpus(c, models, H100.thermalTimeConstantS);
    const target = 25 + H100.chassisOffsetC + H100.thermalResistanceCPerW * c.powerW[0]!;
    // After one time constant, 1 − 1/e of the way to the target.
    expect(c.tempC[0]).toBeCloseTo(start + (target - start) * (1 - Math.exp(-1)), 6);
  });

  it('hardware slowdown halves the clock above the slowdown temperature, and shutdown latches', () => {
    const c = oneGpu(0.9, 25);
    c.tempC[0] = H100.slowdownC + 0.5;
    stepGpus(c, models, 0.1);
    expect(c.clockMHz[0]).toBe(990);
    expect(c.flags[0]! & ClockEvent.hwThermal).toBeTruthy();
    c.tempC[0] = H100.shutdownC;
    stepGpus(c, models, 0.1);
    expect(c.powerW[0]).toBe(0);
    expect(c.flags[0]! & SampleFlag.shutdown).toBeTruthy();
    c.tempC[0] = H100.slowdownC - 5;
    stepGpus(c, models, 0.1);
    expect(c.flags[0]! & SampleFlag.shutdown).toBeTruthy();
  });

  it('never produces NaN, even for NaN or negative demand', () => {
    const c = oneGpu(NaN);
    stepGpus(c, models, 1);
    expect(Number.isNaN(c.powerW[0])).toBe(false);
    c.activity[0] = -3;
    stepGpus(c, models, 1);
    expect(c.powerW[0]).toBeCloseTo(70, 0);
  });
});
