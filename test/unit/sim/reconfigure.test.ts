import { describe, expect, it } from 'vitest';
import { RECONFIG_LADDER } from '../../../shared/domain/reconfig.js';
import { loadScenario, loadTraces } from '../../../main/sim/config.js';
import { Simulator } from '../../../main/sim/simulator.js';

/** The tapas hall: chat (SaaS, forbids the smaller model) on A06–A10 and row B, code (SaaS) on C and D, VMs (IaaS) on A01–A05. */
function hall() {
  const { scenario, topology } = loadScenario('tapas');
  const sim = new Simulator(topology, scenario, loadTraces());
  const svc = (id: string) => sim.services.find((s) => s.spec.id === id)!;
  const rowOf = (id: string) => topology.rows.findIndex((r) => r.id === id);
  return { sim, svc, rowOf };
}

describe('SaaS reconfiguration in the simulator (the platform side)', () => {
  it('lands after the reload latency, on the asked row only, each service at the deepest rung it allows', () => {
    const { sim, svc, rowOf } = hall();
    // Row A: chat's 20 servers there change (the VMs are training, never touched); chat forbids the smaller model.
    expect(sim.reconfigureRow(rowOf('A'), 2)).toBe(20);
    const chat = svc('chat');
    sim.step(1);
    expect(Array.from(chat.rung).every((x) => x === 0)).toBe(true);
    const lat = Math.max(RECONFIG_LADDER[0]!.latencyS, RECONFIG_LADDER[1]!.latencyS);
    for (let i = 1; i <= lat; i++) sim.step(1);
    // Chat's first 20 servers are row A's (A06–A10), the other 40 row B's.
    expect(Array.from(chat.rung.subarray(0, 20))).toEqual(new Array(20).fill(1));
    expect(Array.from(chat.rung.subarray(20))).toEqual(new Array(40).fill(0));
    expect(Array.from(svc('code').rung).every((x) => x === 0)).toBe(true);
  });

  it('code takes the smaller model; asking again for the same rung changes nothing; a newer request replaces a pending one', () => {
    const { sim, svc, rowOf } = hall();
    const code = svc('code');
    expect(sim.reconfigureRow(rowOf('D'), 2)).toBe(40);
    sim.step(1);
    // Changed its mind before the reload: back to as deployed (nothing to do: already there).
    expect(sim.reconfigureRow(rowOf('D'), 0)).toBe(0);
    for (let i = 0; i < 200; i++) sim.step(1);
    expect(Array.from(code.rung).every((x) => x === 0)).toBe(true);
    expect(sim.reconfigureRow(rowOf('D'), 2)).toBe(40);
    for (let i = 0; i < 200; i++) sim.step(1);
    expect(Array.from(code.rung.subarray(40))).toEqual(new Array(40).fill(2));
    expect(sim.reconfigureRow(rowOf('D'), 2)).toBe(0);
  });

  it('a row with nothing SaaS on it cannot be reconfigured', () => {
    const { scenario, topology } = loadScenario('default');
    const sim = new Simulator(topology, { ...scenario, services: scenario.services.map((s) => ({ ...s, kind: 'iaas' as const })) }, loadTraces());
    expect(topology.rows.map((_, r) => sim.reconfigureRow(r, 1))).toEqual([0, 0, 0, 0]);
  });

  it('the same load costs less GPU time in FP8: lower power, output tokens the same', () => {
    const run = (rung: number) => {
      const { sim, svc, rowOf } = hall();
      if (rung) sim.reconfigureRow(rowOf('D'), rung);
      let w = 0;
      for (let i = 0; i < 900; i++) {
        sim.step(1);
        if (i >= 300) w += sim.gpu.powerW.subarray(topology(sim).from, topology(sim).to).reduce((a, b) => a + b, 0);
      }
      return { w, arrived: svc('code').stats.arrived };
    };
    const topology = (sim: Simulator) => {
      const t = sim.topology;
      const d = t.rows.find((r) => r.id === 'D')!;
      return { from: t.servers[t.racks[d.rackStart]!.serverStart]!.gpuStart, to: t.gpuCount };
    };
    const base = run(0);
    const fp8 = run(1);
    expect(fp8.arrived).toBe(base.arrived);
    expect(fp8.w).toBeLessThan(0.97 * base.w);
  });
});
