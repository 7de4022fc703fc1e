import { describe, expect, it } from 'vitest';
import { runLoaded } from '../../../main/app/batch.js';
import { loadScenario, loadTraces } from '../../../main/sim/config.js';
import { Simulator } from '../../../main/sim/simulator.js';

/**
 * TAPAS's routing lever against POLCA's caps alone on the `tapas` hall (sim/tapasScenario.ts): the row-A cooling
 * derating (600–1,800 s) behind IaaS VMs and chat, code on the oversubscribed row D. The first 1,800 s, seed 1.
 */
describe('TAPAS routing on the tapas hall', () => {
  it('requests are the same under every routing: routing moves them, it never makes or drops any', () => {
    const { scenario, topology } = loadScenario('tapas');
    const traces = loadTraces();
    const arrived = (mode: 'affinity' | 'slack') => {
      const sim = new Simulator(topology, scenario, traces);
      sim.setRouting(mode);
      for (let i = 0; i < 600; i++) sim.step(1);
      return sim.services.map((s) => s.stats.arrived);
    };
    expect(arrived('slack')).toEqual(arrived('affinity'));
  });

  it('chat leaves the derated row A: its caps and hottest GPUs go, chat p99 held, fewer power-throttle events', () => {
    const loaded = loadScenario('tapas');
    const durationS = 1800;
    const baseline = runLoaded(loaded, { seed: 1, durationS, policy: 'unconstrained' }).figures;
    const polca = runLoaded(loaded, { seed: 1, durationS, policy: 'polca', baseline }).report;
    const tapas = runLoaded(loaded, { seed: 1, durationS, policy: 'tapas', baseline }).report;
    const rowA = (r: typeof polca) => r.rows.find((x) => x.id === 'A')!;
    const chat = (r: typeof polca) => r.workloads.find((w) => w.id === 'chat')!;
    // POLCA alone: the cooling-loss playbook caps row A (IaaS VMs and chat alike) while the derating lasts.
    expect(rowA(polca).pctGpuTimeCapped).toBeGreaterThan(10);
    // TAPAS: chat's requests move to row B as row A's air heats, so row A's heat falls back under its cooling.
    expect(rowA(tapas).pctGpuTimeCapped).toBeLessThan(1);
    expect(tapas.maxGpuC!).toBeLessThan(polca.maxGpuC! - 3);
    expect(tapas.maxInletC!).toBeLessThan(polca.maxInletC!);
    expect(tapas.powerThrottleEvents).toBeLessThan(0.8 * polca.powerThrottleEvents);
    // High priority is not paid for it: chat's p99 within 5 % of unconstrained, all its work done.
    expect(chat(tapas).p99LatencyRatio!).toBeLessThanOrEqual(1.05);
    expect(chat(tapas).throughputRatio!).toBeGreaterThanOrEqual(0.999);
    expect(tapas.rows.every((r) => r.brakes === 0)).toBe(true);
  }, 60_000);
});
