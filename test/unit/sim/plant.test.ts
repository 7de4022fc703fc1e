import { describe, expect, it } from 'vitest';
import { loadTraces } from '../../../main/sim/config.js';
import { Simulator } from '../../../main/sim/simulator.js';
import { tripScenario } from '../../fixtures/tripScenario.js';

/** The trip scenario (test/fixtures/tripScenario.ts) with busway B of `bKW`, as a simulator. */
function sim(bKW: number) {
  const { topology, scenario } = tripScenario(bKW);
  return new Simulator(topology, scenario, loadTraces(), 1);
}

describe('the simulator’s plant: failures, failover, trips', () => {
  it('an overloaded busway trips after its time at that load, and its racks go dark (no caps: nobody acts here)', () => {
    const s = sim(25);
    let trippedAt = -1;
    let before = 0;
    for (let i = 0; i < 300; i++) {
      const out = s.step(1);
      if (i === 59) before = out.gpu.powerW.reduce((a, w) => a + w, 0);
      if (trippedAt < 0 && s.trippedDevices().includes('BB')) trippedAt = i;
    }
    expect(before).toBeGreaterThan(5000);
    // 2 racks (~20–30 kW each) on a 25 kW busway: 1.6–2.4 × In → 35–130 s on the modelled curve.
    expect(trippedAt).toBeGreaterThan(60 + 20);
    expect(trippedAt).toBeLessThan(60 + 200);
    const last = s.step(1);
    expect(last.gpu.powerW.every((w) => w === 0)).toBe(true);
    expect(s.plantState()!.out.some((x) => x === 1)).toBe(true);
  });

  it('a busway that carries the row alone never trips', () => {
    const s = sim(200);
    for (let i = 0; i < 300; i++) s.step(1);
    expect(s.trippedDevices()).toEqual([]);
  });
});
