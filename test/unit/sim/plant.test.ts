import { describe, expect, it } from 'vitest';
import { loadTraces } from '../../../main/sim/config.js';
import { Simulator } from '../../../main/sim/simulator.js';
import { resolveTopology } from '../../../main/core/topology.js';
import { ScenarioSchema } from '../../../shared/domain/scenario.js';

/** One row of 2 racks on a 2N plant whose B busway is far too small for the row alone; A fails at 60 s. */
function sim(bKW: number) {
  const spec = {
    site: { id: 's', name: 's' },
    gpuModels: [],
    rows: [{ id: 'R', budgetKW: 80, coolingKW: 100, supplyC: 22, racks: 2, serversPerRack: 4, gpusPerServer: 8, gpuModel: 'H100-SXM', serverIdleW: 1500, serverActiveW: 2000 }],
    plant: {
      continuousPct: 80,
      feeds: [{ id: 'F1', kind: 'utility', ratedKW: 500 }, { id: 'F2', kind: 'utility', ratedKW: 500 }],
      ups: [{ id: 'UA', feed: 'F1', modules: 2, moduleKW: 200, redundantModules: 1, rideThroughS: 300 }, { id: 'UB', feed: 'F2', modules: 2, moduleKW: 200, redundantModules: 1, rideThroughS: 300 }],
      devices: [{ id: 'BA', kind: 'busway', from: 'UA', ratedKW: 200, curve: 'C', phases: 3, powerFactor: 0.95 }, { id: 'BB', kind: 'busway', from: 'UB', ratedKW: bKW, curve: 'C', phases: 3, powerFactor: 0.95 }],
      racks: [{ row: 'R', a: 'BA', b: 'BB', pdu: { ratedKW: 60, curve: 'C', phases: 3, powerFactor: 0.95 } }],
      cooling: { air: [], liquid: [] },
    },
  } as const;
  const topology = resolveTopology(spec as never);
  const scenario = ScenarioSchema.parse({
    name: 'trip',
    topology: spec,
    services: [{ id: 'chat', priority: 'high', trace: 'conv', placement: { rows: ['R'] }, ratePerServer: 6 }],
    events: [{ kind: 'deviceFailure', atS: 60, devices: ['BA'] }],
  });
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
