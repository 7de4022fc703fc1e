import type { Simulator } from '../sim/simulator.js';
import type { Actuator } from '../core/ports.js';

/**
 * Carries setpoints to the built-in simulator's GPUs. The modelled time-to-effect of each path (out-of-band caps,
 * brake, in-band) is applied by the control service before it calls here; the simulator then behaves like
 * hardware (clamps to the model's limits, throttles clocks).
 */
export class SimActuator implements Actuator {
  readonly id = 'sim';
  constructor(private readonly sim: Simulator) {}
  setPowerLimit(gpu: number, watts: number): void {
    this.sim.setPowerLimit(gpu, watts);
  }
  setClockLock(gpu: number, mhz: number): void {
    this.sim.setClockLock(gpu, mhz);
  }
  setBrake(gpu: number, on: boolean): void {
    this.sim.setBrake(gpu, on);
  }
}
