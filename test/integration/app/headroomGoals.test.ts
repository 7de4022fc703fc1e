import { describe, expect, it } from 'vitest';
import { runSweep } from '../../../main/app/planner.js';

/**
 * Issue 12's goals for Headroom's controller, on the planner row (40 servers' budget), 1 h, seed 1. The seeds sweep
 * (docs/RESULTS.md) is the statistical version; this pins the headline so a change that breaks it fails here.
 */
describe("Headroom's controller against POLCA (planner row, 1 h)", () => {
  it('production demand, 56 servers (+40 %): no brake, high priority ≥ 0.99 throughput and p99 ≤ ×1.05, low ≥ 0.98', async () => {
    const r = await runSweep({ fromServers: 56, toServers: 56, step: 1, durationS: 3600, seed: 1, policies: ['headroom'], demand: 'production' });
    const p = r.points[0]!;
    expect(p.brakes).toBe(0);
    expect(p.secondsOver100).toBe(0);
    expect(p.high.throughputRatio).toBeGreaterThanOrEqual(0.99);
    expect(p.high.p99LatencyRatio).toBeLessThanOrEqual(1.05);
    expect(p.low.throughputRatio).toBeGreaterThanOrEqual(0.98);
    // +40 % servers on the same budget: more useful work per kW than the provisioned row unconstrained.
    expect(p.tokensPerSPerKW / r.reference.tokensPerSPerKW).toBeGreaterThan(1.3);
  }, 120_000);

  it('bursty demand, 52 servers (+30 %): Headroom ≤ 1 brake and p99 ≤ ×1.10 where POLCA brakes again and again', async () => {
    const r = await runSweep({ fromServers: 52, toServers: 52, step: 1, durationS: 3600, seed: 1, policies: ['headroom', 'polca'], demand: 'bursty' });
    const h = r.points.find((x) => x.policy === 'headroom')!;
    const p = r.points.find((x) => x.policy === 'polca')!;
    expect(h.brakes).toBeLessThanOrEqual(1);
    expect(h.high.p99LatencyRatio).toBeLessThanOrEqual(1.1);
    expect(h.high.throughputRatio).toBeGreaterThanOrEqual(0.99);
    expect(p.brakes).toBeGreaterThan(5);
  }, 120_000);
});
