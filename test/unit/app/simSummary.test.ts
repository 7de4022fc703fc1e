import { describe, expect, it } from 'vitest';
import type { SimReport } from '../../../main/app/report.js';
import { compareRatios, summaryLine } from '../../../main/app/simSummary.js';

type Row = SimReport['rows'][number];
type Workload = SimReport['workloads'][number];

const row = (id: string, o: Partial<Row> = {}): Row => ({
  id,
  budgetKW: 408,
  peakKW: 300,
  peakAssumedKW: 300,
  peakPct: 73.53,
  p99Pct: 70.1,
  secondsOver100: 0,
  longestOverS: 0,
  staleS: 0,
  overloadAllowanceUsedPct: 0,
  energyKWh: 10,
  brakes: 0,
  secondsCapped: 0,
  pctGpuTimeCapped: 0,
  ...o,
});

const workload = (id: string, priority: 'high' | 'low', kind: 'inference' | 'training', throughputRatio: number | null, p99LatencyRatio: number | null): Workload => ({
  id,
  kind,
  priority,
  completed: 100,
  p50LatencyS: null,
  p99LatencyS: null,
  throughputRatio,
  p99LatencyRatio,
  qualityCost: kind === 'inference' ? 0 : null,
});

function report(o: Partial<SimReport> = {}): SimReport {
  return {
    scenario: 'default',
    seed: 1,
    durationS: 300,
    stepMs: 1000,
    gpus: 1280,
    policy: 'polca',
    thermalThrottleEvents: 0,
    thermalThrottleGpuS: 0,
    powerThrottleEvents: 0,
    powerThrottleGpuS: 0,
    maxGpuC: 70,
    maxInletC: 25,
    rows: [row('A'), row('D', { peakPct: 104.2, p99Pct: 97.5, secondsOver100: 9, longestOverS: 4, brakes: 2 })],
    site: { peakKW: 600, peakAssumedKW: 600, energyKWh: 20 },
    warnings: [],
    alerts: { fired: 7, byRule: {}, notifications: 3 },
    actions: { caps: 0, brakes: 2, releases: 0, reconfigurations: 0 },
    workloads: [workload('code', 'low', 'inference', null, null), workload('chat', 'high', 'inference', null, null)],
    ...o,
  };
}

describe('the terminal summary of headroom sim', () => {
  it('without --compare: speed, each row (peak, p99, time over, longest stretch, brakes), alerts, the output file', () => {
    expect(summaryLine(report(), 0.5, 300, 'r.json')).toBe(
      'simulated 300 s of 1280 GPUs in 0.50 s (600× real time); ' +
        'A peak 73.53 % (p99 70.1 %, 0 s over, longest 0 s); D peak 104.2 % (p99 97.5 %, 9 s over, longest 4 s, 2 brakes); ' +
        'alerts fired 7 (3 notifications); report → r.json',
    );
    expect(compareRatios(report())).toBeNull();
  });

  it('with --compare: the throughput and p99 ratios per workload, high priority first; training has no latency', () => {
    const r = report({
      workloads: [
        workload('code', 'low', 'inference', 0.991, 1.102),
        workload('chat', 'high', 'inference', 0.998, 1.0213),
        workload('pretrain', 'high', 'training', 0.963, null),
        workload('batch', 'low', 'training', 0.97, null),
      ],
    });
    const line = summaryLine(r, 2, 300);
    expect(line).toContain('; vs unconstrained: high: chat throughput ×0.998 p99 ×1.0213, pretrain throughput ×0.963; low: code throughput ×0.991 p99 ×1.102, batch throughput ×0.97');
    expect(line.endsWith('×0.97')).toBe(true); // no output file, no warnings
  });

  it('a priority without ratios is left out; warnings are counted, not repeated', () => {
    const r = report({ workloads: [workload('chat', 'high', 'inference', 1, 1)], warnings: ['one', 'two'] });
    expect(summaryLine(r, 1, 300)).toMatch(/; vs unconstrained: high: chat throughput ×1 p99 ×1; 2 warnings in the report$/);
    expect(summaryLine(report({ warnings: ['x'] }), 1, 300)).toMatch(/; 1 warning in the report$/);
  });

  it('a run too fast to time says so instead of dividing by zero', () => {
    expect(summaryLine(report(), 0, 300)).toMatch(/^simulated 300 s of 1280 GPUs in 0\.00 s \(instant\); /);
  });
});
