import { describe, expect, it } from 'vitest';
import { runLoaded } from '../../../main/app/batch.js';
import type { AuditEntry, AuditSink } from '../../../main/core/ports.js';
import { loadScenario, loadTraces } from '../../../main/sim/config.js';
import { Simulator } from '../../../main/sim/simulator.js';

/**
 * TAPAS's levers (routing toward slack, the reconfiguration ladder) against POLCA's caps alone on the `tapas` hall
 * (sim/tapasScenario.ts): the row-A cooling derating (600–1,800 s) behind IaaS VMs and chat, code on the
 * oversubscribed row D with a load spike at 2,400 s. One hour, seed 1: the headline of docs/RESULTS.md "TAPAS".
 */
describe('TAPAS on the tapas hall', () => {
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

  it('fewer throttling events, cooler GPUs and inlets, high-priority p99 held, at a quality cost the report states', () => {
    const loaded = loadScenario('tapas');
    const durationS = 3600;
    const baseline = runLoaded(loaded, { seed: 1, durationS, policy: 'unconstrained' }).figures;
    const polca = runLoaded(loaded, { seed: 1, durationS, policy: 'polca', baseline }).report;
    const entries: Array<AuditEntry & { simMs: number }> = [];
    const audit: AuditSink = { append: (e, simMs) => (entries.push({ ...e, simMs }), { ...e, seq: entries.length, atMs: 0, simMs, role: 'system' }) as never };
    const tapas = runLoaded(loaded, { seed: 1, durationS, policy: 'tapas', baseline, audit }).report;
    const row = (r: typeof polca, id: string) => r.rows.find((x) => x.id === id)!;
    const work = (r: typeof polca, id: string) => r.workloads.find((w) => w.id === id)!;
    // POLCA alone: the cooling-loss playbook caps row A (IaaS VMs and chat alike) while the derating lasts, and T1
    // locks code on the oversubscribed row D for much of the hour.
    expect(row(polca, 'A').pctGpuTimeCapped).toBeGreaterThan(10);
    expect(row(polca, 'D').pctGpuTimeCapped).toBeGreaterThan(30);
    // TAPAS: chat leaves row A's hot aisle and row D's code runs FP8 before T1 — a fraction of the power throttling.
    expect(row(tapas, 'A').pctGpuTimeCapped).toBeLessThan(1);
    expect(row(tapas, 'D').pctGpuTimeCapped).toBeLessThan(row(polca, 'D').pctGpuTimeCapped / 2);
    expect(tapas.powerThrottleEvents).toBeLessThan(0.2 * polca.powerThrottleEvents);
    expect(tapas.maxGpuC!).toBeLessThan(polca.maxGpuC! - 5);
    expect(tapas.maxInletC!).toBeLessThan(polca.maxInletC! - 3);
    expect(row(tapas, 'D').peakKW).toBeLessThan(row(polca, 'D').peakKW);
    expect(tapas.rows.every((r) => r.brakes === 0)).toBe(true);
    // High priority is not paid for it: chat's p99 within 5 % of unconstrained, all its work done, at most FP8's
    // 0.5 % quality (it forbids the smaller model); code (low) may use the smaller model, and says what it cost.
    expect(work(tapas, 'chat').p99LatencyRatio!).toBeLessThanOrEqual(1.05);
    expect(work(tapas, 'chat').throughputRatio!).toBeGreaterThanOrEqual(0.999);
    expect(work(tapas, 'chat').qualityCost!).toBeGreaterThan(0);
    expect(work(tapas, 'chat').qualityCost!).toBeLessThanOrEqual(0.005);
    expect(work(tapas, 'code').qualityCost!).toBeGreaterThan(0);
    expect(work(polca, 'chat').qualityCost).toBe(0);
    // Every reconfiguration is audited with its reason, and counted.
    const levers = entries.filter((e) => e.kind === 'lever');
    expect(levers.length).toBe(tapas.actions.reconfigurations);
    expect(levers.length).toBeGreaterThan(0);
    for (const e of levers) expect(e.reason).toMatch(/^TAPAS reconfiguration: pressure \d\.\d\d [≥≤] /);
    const rows = new Set(levers.map((e) => e.target));
    expect(rows.has('row A') && rows.has('row D')).toBe(true);
  }, 120_000);
});
