import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { main as cliMain } from '../../../main/cli/headroom.js';
import { runSim } from '../../../main/cli/sim.js';
import { LatencyHistogram } from '../../../main/core/histogram.js';
import { quantileInterpolated } from '../../../main/app/report.js';
import { createPlanner, runSweep } from '../../../main/app/planner.js';
import { tempDir } from '../../helpers.js';

/** The sim report (`headroom sim`) and the capacity planner (`--sweep`), through the real engine and simulator. */
describe('sim report and capacity planner', () => {
  it('the report counts actions and capped time, and is identical for the same scenario and seed (with compare)', () => {
    const a = runSim({ scenario: 'default', seed: 2, durationS: 400, compare: true });
    const b = runSim({ scenario: 'default', seed: 2, durationS: 400, compare: true });
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
    expect(a.policy).toBe('headroom'); // the default controller
    expect(a.actions.caps).toBeGreaterThan(0);
    const d = a.rows.find((r) => r.id === 'D')!;
    expect(d.secondsCapped).toBeGreaterThan(0);
    expect(d.pctGpuTimeCapped).toBeGreaterThan(0);
    for (const w of a.workloads) {
      expect(w.throughputRatio).toBeGreaterThan(0.5);
      if (w.kind === 'inference') expect(w.p99LatencyRatio).toBeGreaterThan(0.5);
      else expect(w.p99LatencyRatio).toBeNull();
    }
    const plain = runSim({ scenario: 'default', seed: 2, durationS: 60, policy: 'none' });
    expect(plain.policy).toBe('none');
    expect(plain.actions.caps).toBe(0);
    expect(plain.workloads.every((w) => w.throughputRatio === null && w.p99LatencyRatio === null)).toBe(true);
  });

  it('interpolated p99 stays inside the histogram bucket the histogram itself reports', () => {
    const h = new LatencyHistogram();
    for (let i = 1; i <= 10_000; i++) h.record(0.5 + (i % 997) / 100);
    for (const q of [0.5, 0.9, 0.99]) {
      const upper = h.quantile(q);
      const x = quantileInterpolated(h, q);
      expect(x).toBeLessThanOrEqual(upper);
      expect(x).toBeGreaterThanOrEqual(upper / (1 + 1 / 32) - 1e-12);
    }
  });

  it('planner sweep: points per policy, deterministic; the CLI writes it', async () => {
    const p = { fromServers: 40, toServers: 44, step: 4, durationS: 300 };
    const a = await runSweep(p);
    const each = ['headroom', 'polca', 'polca-no-priority', 'none'];
    expect(a.points.map((x) => `${x.servers}:${x.policy}`)).toEqual([...each.map((x) => `40:${x}`), ...each.map((x) => `44:${x}`)]);
    expect(a).toMatchObject({ budgetKW: 408, provisionedServers: 40, durationS: 300, seed: 1 });
    expect(JSON.stringify(await createPlanner().sweep(p))).toBe(JSON.stringify(a));
    const none = a.points.find((x) => x.policy === 'none')!;
    expect(none.high).toEqual({ throughputRatio: 1, p99LatencyRatio: 1 });
    const dir = tempDir();
    try {
      const out = dir.file('sweep.json');
      expect(await cliMain(['sim', '--sweep', 'servers=40..44:4', '--duration', '300', '--out', out])).toBe(0);
      expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(JSON.parse(JSON.stringify(a)));
      expect(await cliMain(['sim', '--sweep', 'racks=1..2'])).toBe(2);
      // Seeds, a subset of policies and the demand: one summary per server count and policy over the seeds.
      const seeds = dir.file('seeds.json');
      expect(await cliMain(['sim', '--sweep', 'servers=44', '--seeds', '1..3', '--policies', 'headroom,none', '--demand', 'bursty', '--duration', '120', '--out', seeds])).toBe(0);
      const s = JSON.parse(readFileSync(seeds, 'utf8')) as Awaited<ReturnType<typeof runSweep>>;
      expect(s).toMatchObject({ demand: 'bursty', seeds: [1, 2, 3], seed: 1 });
      expect(s.points.map((x) => `${x.seed}:${x.policy}`)).toEqual(['1:headroom', '1:none', '2:headroom', '2:none', '3:headroom', '3:none']);
      expect(s.summary.map((x) => [x.servers, x.policy, x.seeds, x.rowHours])).toEqual([
        [44, 'headroom', 3, 0.1],
        [44, 'none', 3, 0.1],
      ]);
      const none3 = s.summary.find((x) => x.policy === 'none')!;
      expect(none3.brakes).toBe(s.points.filter((x) => x.policy === 'none').reduce((n, x) => n + x.brakes, 0));
      for (const bad of [
        ['--policies', 'headroom,polka'],
        ['--seeds', '1..2', '--seed', '3'],
        ['--seeds', '5..2'],
        ['--demand', 'spiky'],
        ['--policy', 'headroom'],
      ])
        expect(await cliMain(['sim', '--sweep', 'servers=40', '--duration', '60', ...bad])).toBe(2);
      expect(await cliMain(['sim', '--policies', 'polca', '--duration', '60'])).toBe(2);
    } finally {
      dir.cleanup();
    }
  });
});
