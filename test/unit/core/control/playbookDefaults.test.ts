import { describe, expect, it } from 'vitest';
import { PlaybookSchema } from '../../../../shared/domain/control.js';

/**
 * The default playbooks (used when a policy lists none), as an operator reads them: ids, triggers and stages, and a
 * description that states the numbers those use. The module is imported inside each test, not at the top of the
 * file: DEFAULT_PLAYBOOKS is built when the module loads, so a default that failed to build must fail a test here
 * rather than the loading of a test file.
 */
const defaults = async () => (await import('../../../../main/core/control/playbooks.js')).DEFAULT_PLAYBOOKS;

describe('default playbooks', () => {
  it('are power-budget loss, cooling loss and load spike, with these triggers and stages', async () => {
    const d = await defaults();
    expect(d.map(({ id, trigger, stages }) => ({ id, trigger, stages }))).toEqual([
      {
        id: 'power-budget-loss',
        trigger: { kind: 'powerBudgetLoss', rideThroughS: 10 },
        stages: [
          { afterS: 0, action: { kind: 'brake' }, whileAbovePct: 100 },
          { afterS: 0, action: { kind: 'clockCap', mhzPctOfMax: 60, priority: 'all' }, whileAbovePct: 85 },
        ],
      },
      {
        id: 'cooling-loss',
        trigger: { kind: 'thermal', marginC: 8 },
        stages: [
          { afterS: 0, action: { kind: 'clockCap', mhzPctOfMax: 70, priority: 'all' } },
          { afterS: 60, action: { kind: 'powerCap', pctOfMaxLimit: 60, priority: 'all' }, whileHottestGpuAboveC: 83 },
          { afterS: 90, action: { kind: 'powerCap', pctOfMaxLimit: 45, priority: 'all' }, whileHottestGpuAboveC: 85 },
        ],
      },
      {
        id: 'load-spike',
        trigger: { kind: 'loadSpike', pctPerS: 0.5, riseS: 10, baselineS: 60, warmupS: 60, nearPct: 85 },
        stages: [{ afterS: 0, action: { kind: 'clockCap', mhzPctOfMax: 79, priority: 'low' }, whileAbovePct: 70 }],
      },
    ]);
    for (const pb of d) expect(PlaybookSchema.parse(pb)).toEqual(pb);
  });

  it('power-budget loss says it brakes at once, caps to 60 % of max clock, and releases the brake once the caps landed', async () => {
    const pb = (await defaults())[0]!;
    expect(pb.description).toContain('The row lost part of its power budget (a feed)');
    expect(pb.description).toContain(`UPS ride-through (${pb.trigger.kind === 'powerBudgetLoss' ? pb.trigger.rideThroughS : NaN} s)`);
    expect(pb.description).toContain('Brake at once if above it (lands in 5 s), cap every GPU to 60 % of max clock (lands in 40 s out-of-band), ');
    expect(pb.description).toMatch(/, release the brake once the caps have landed and power is under the budget\.$/);
  });

  it('cooling loss says it caps clocks to 70 % within 8 °C of slowdown, then power to 60 % after 60 s above 83 °C, 45 % after 90 s above 85 °C', async () => {
    const pb = (await defaults())[1]!;
    expect(pb.description).toContain('within 8 °C of hardware slowdown: thermal clock caps on the row (70 % of max clock) ');
    expect(pb.description).toContain('after 60 s, if a GPU is still above 83 °C, power caps at 60 % of the max limit; ');
    expect(pb.description).toMatch(/after 90 s, if one is still above 85 °C \(a training row at TDP under a deep cooling loss\), power caps at 45 %\.$/);
  });

  it('load spike says it reacts to a rise above the row\'s own envelope near the budget, not to training waves, capping low-priority GPUs', async () => {
    const pb = (await defaults())[2]!;
    expect(pb.description).toContain('Row power above 85 % of the budget and more than 5 points above its own peak of the minute before the last 10 s ');
    expect(pb.description).toContain('(its envelope rising faster than 0.5 % of the budget per second; training iteration waves and start-up ramps are no spike)');
    expect(pb.description).toMatch(/cap low-priority GPUs early \(79 % of max clock, about POLCA's low-priority T2 lock\) instead of waiting for T2\.$/);
  });
});
