import { describe, expect, it } from 'vitest';
import { PlaybookSchema, type Playbook } from '../../../../shared/domain/control.js';
import {
  DEFAULT_PLAYBOOKS,
  describeAction,
  engagedActions,
  initialPlaybookState,
  playbookRowView,
  stepPlaybook,
  type PlaybookRowView,
  type PlaybookState,
  type PlaybookTiming,
} from '../../../../main/core/control/playbooks.js';

/**
 * The playbook evaluator's rules at their edges: what a row's view is made of, what counts as a budget loss, a thermal
 * trigger (with its inlet condition and release band) and a load spike, when stages engage, and when a brake stage
 * lets go (its conditions 5 points below, its own command landed, every engaged cap landed).
 */

const byId = (id: string) => DEFAULT_PLAYBOOKS.find((p) => p.id === id)!;
const playbook = (p: unknown): Playbook => PlaybookSchema.parse({ id: 'test', ...(p as object) });
const OOB: PlaybookTiming = { capLatencyS: 40, brakeLatencyS: 5 };
const view = (v: Partial<PlaybookRowView>): PlaybookRowView => ({ budgetKW: 100, provisionedKW: 100, powerW: 50_000, stale: false, minMarginC: 30, hottestC: 59, inletC: 24, ...v });
const kinds = (pb: Playbook, s: PlaybookState) => engagedActions(pb, s).map((a) => a.action.kind);

/** Step `pb` through `views` (one per entry, at the given times) from the initial state. */
function run(pb: Playbook, steps: Array<[number, Partial<PlaybookRowView>]>, timing = OOB, from = initialPlaybookState(pb)): PlaybookState {
  let s = from;
  for (const [t, v] of steps) s = stepPlaybook(pb, view(v), s, t, timing);
  return s;
}
const every = (from: number, to: number, v: Partial<PlaybookRowView>, dt = 1000): Array<[number, Partial<PlaybookRowView>]> =>
  Array.from({ length: Math.floor((to - from) / dt) + 1 }, (_, i) => [from + i * dt, v]);

describe('playbooks: state and row view', () => {
  it('a fresh state, and the state after a playbook ends, are inactive with no stage engaged', () => {
    const pb = byId('power-budget-loss');
    const fresh = { active: false, startedMs: NaN, stageSinceMs: [NaN, NaN], lastTriggerMs: NaN, recent: [] };
    expect(initialPlaybookState(pb)).toEqual(fresh);
    const s = run(pb, [
      [0, { budgetKW: 70, powerW: 80_000 }],
      [1000, { budgetKW: 100 }],
    ]);
    expect(s).toEqual({ ...fresh, lastTriggerMs: 0 });
  });

  it("a row's view: the hottest finite inlet of its own racks (NaN: none), the margin to slowdown of its hottest GPU", () => {
    const o = { budgetKW: 100, provisionedKW: 120, powerW: 50_000, stale: false, slowdownC: 87, hottestC: 80, rackInletC: [40, 25, 27, NaN, 26, 50], rackStart: 1, rackCount: 4 };
    expect(playbookRowView(o)).toEqual({ budgetKW: 100, provisionedKW: 120, powerW: 50_000, stale: false, minMarginC: 7, hottestC: 80, inletC: 27 });
    expect(playbookRowView({ ...o, rackInletC: [30, Infinity, NaN], rackStart: 0, rackCount: 3 }).inletC).toBe(30);
    const unknown = playbookRowView({ ...o, hottestC: NaN, rackCount: 0 });
    expect([unknown.minMarginC, unknown.hottestC, unknown.inletC]).toEqual([NaN, NaN, NaN]);
  });

  it('actions in words', () => {
    expect(describeAction({ kind: 'brake' })).toBe('power brake');
    expect(describeAction({ kind: 'clockCap', mhzPctOfMax: 79, priority: 'low' })).toBe('clock cap at 79 % of max clock on low-priority GPUs');
    expect(describeAction({ kind: 'clockCap', mhzPctOfMax: 60, priority: 'all' })).toBe('clock cap at 60 % of max clock on all GPUs');
    expect(describeAction({ kind: 'powerCap', pctOfMaxLimit: 60, priority: 'all' })).toBe('power cap at 60 % of the max limit on all GPUs');
  });
});

describe('playbooks: power-budget loss', () => {
  const brakeOnly = playbook({ trigger: { kind: 'powerBudgetLoss' }, stages: [{ action: { kind: 'brake' }, whileAbovePct: 100 }] });
  const lost = { provisionedKW: 100, budgetKW: 70 };

  it('a budget at 99.9 % of the provisioned one is no loss; below it is', () => {
    expect(run(brakeOnly, [[0, { budgetKW: 100 * 0.999, powerW: 200_000 }]]).active).toBe(false);
    expect(run(brakeOnly, [[0, { budgetKW: 99.8, powerW: 200_000 }]]).active).toBe(true);
  });

  it('an unknown or negative power reading, or no budget, counts as above every threshold; 0 W is 0 %', () => {
    for (const v of [{ powerW: NaN }, { powerW: -5 }, { budgetKW: 0 }, { budgetKW: -0 }, { budgetKW: -5 }]) {
      expect(kinds(brakeOnly, run(brakeOnly, [[0, { ...lost, powerW: 50_000, ...v }]])), JSON.stringify(v)).toEqual(['brake']);
    }
    expect(kinds(brakeOnly, run(brakeOnly, [[0, { ...lost, powerW: 0 }]]))).toEqual([]);
  });

  it('a playbook with no cap stage brakes even when caps would land in time; caps landing exactly at the ride-through need no brake', () => {
    expect(kinds(brakeOnly, run(brakeOnly, [[0, { ...lost, powerW: 80_000 }]], { capLatencyS: 1, brakeLatencyS: 5 }))).toEqual(['brake']);
    const pb = byId('power-budget-loss');
    expect(kinds(pb, run(pb, [[0, { ...lost, powerW: 80_000 }]], { capLatencyS: 10, brakeLatencyS: 5 }))).toEqual(['clockCap']);
    expect(kinds(pb, run(pb, [[0, { ...lost, powerW: 80_000 }]], { capLatencyS: 11, brakeLatencyS: 5 })).sort()).toEqual(['brake', 'clockCap']);
  });

  it('a stage engages strictly above its threshold; a brake stage lets go only 5 points below it, not while power stays above', () => {
    const pb = byId('power-budget-loss');
    expect(kinds(pb, run(pb, [[0, { ...lost, powerW: 70_000 }]]))).toEqual(['clockCap']); // exactly 100 %
    let s = run(pb, [[0, { ...lost, powerW: 80_000 }]]);
    s = run(pb, every(1000, 60_000, { ...lost, powerW: 0.97 * 70_000 }), OOB, s); // caps landed at 40 s; 97 %
    expect(kinds(pb, s)).toContain('brake');
    s = run(pb, [[61_000, { ...lost, powerW: 0.94 * 70_000 }]], OOB, s);
    expect(kinds(pb, s)).toEqual(['clockCap']);
  });
});

describe('playbooks: thermal trigger', () => {
  const cooling = byId('cooling-loss');
  const inlet = playbook({ trigger: { kind: 'thermal', marginC: 8, inletAboveC: 35 }, stages: [{ action: { kind: 'clockCap', mhzPctOfMax: 70 } }] });

  it('starts at exactly marginC from slowdown; ends 120 s after it last held, once more than 3 °C further away', () => {
    expect(run(cooling, [[0, { minMarginC: 8.5 }]]).active).toBe(false);
    const on = run(cooling, [[0, { minMarginC: 8 }]]);
    expect(on.active).toBe(true);
    // Between the trigger and its release band (8 < margin ≤ 11 °C) it stays on however long it lasts.
    for (const m of [10, 11]) expect(run(cooling, every(1000, 300_000, { minMarginC: m }), OOB, on).active, `margin ${m}`).toBe(true);
    expect(run(cooling, every(1000, 119_000, { minMarginC: 11.5 }), OOB, on).active).toBe(true);
    expect(run(cooling, every(1000, 120_000, { minMarginC: 11.5 }), OOB, on).active).toBe(false);
    // The hold counts from the last reading that was not clear, not from the last one that triggered it.
    const band = run(cooling, every(1000, 100_000, { minMarginC: 10 }), OOB, on);
    expect(run(cooling, every(101_000, 219_000, { minMarginC: 11.5 }), OOB, band).active).toBe(true);
    expect(run(cooling, every(101_000, 220_000, { minMarginC: 11.5 }), OOB, band).active).toBe(false);
  });

  it('a power cap conditioned on the hottest GPU engages only strictly above that temperature', () => {
    let s = run(cooling, every(0, 61_000, { minMarginC: 4, hottestC: 83 }));
    expect(kinds(cooling, s)).toEqual(['clockCap']);
    s = run(cooling, [[62_000, { minMarginC: 3.5, hottestC: 83.5 }]], OOB, s);
    expect(kinds(cooling, s)).toEqual(['clockCap', 'powerCap']);
  });

  it('an inlet above inletAboveC starts it; it ends only with the inlet at least 1 °C below that, after the hold', () => {
    expect(run(cooling, [[0, { inletC: 99 }]]).active).toBe(false); // no inlet condition
    expect(run(inlet, [[0, { inletC: 35 }]]).active).toBe(false);
    const on = run(inlet, [[0, { inletC: 35.5 }]]);
    expect(on.active).toBe(true);
    expect(run(inlet, every(1000, 300_000, { inletC: 34.5 }), OOB, on).active).toBe(true);
    expect(run(inlet, every(1000, 119_000, { inletC: 34 }), OOB, on).active).toBe(true);
    expect(run(inlet, every(1000, 120_000, { inletC: 34 }), OOB, on).active).toBe(false);
  });
});

describe('playbooks: when a brake stage lets go', () => {
  const fast: PlaybookTiming = { capLatencyS: 1, brakeLatencyS: 5 };

  it('not before its own command has landed (brake latency after it engaged)', () => {
    const pb = playbook({ trigger: { kind: 'thermal' }, stages: [{ action: { kind: 'brake' }, whileHottestGpuAboveC: 85 }] });
    let s = run(pb, [[10_000, { minMarginC: 0, hottestC: 90 }]], fast);
    s = run(pb, every(11_000, 14_000, { minMarginC: 7, hottestC: 80 }), fast, s);
    expect(kinds(pb, s)).toEqual(['brake']);
    s = run(pb, [[15_000, { minMarginC: 7, hottestC: 80 }]], fast, s);
    expect(kinds(pb, s)).toEqual([]);
  });

  it('not before every engaged cap stage has landed, however late the brake engaged; a cap stage not engaged does not hold it', () => {
    const pb = playbook({
      trigger: { kind: 'thermal' },
      stages: [{ action: { kind: 'clockCap', mhzPctOfMax: 70 } }, { afterS: 30, action: { kind: 'brake' }, whileHottestGpuAboveC: 85 }],
    });
    let s = run(pb, every(0, 30_000, { minMarginC: 0, hottestC: 90 }));
    expect(kinds(pb, s)).toEqual(['clockCap', 'brake']);
    s = run(pb, every(36_000, 39_000, { minMarginC: 7, hottestC: 80 }), OOB, s);
    expect(kinds(pb, s)).toEqual(['clockCap', 'brake']); // the cap (40 s) has not landed
    s = run(pb, [[40_000, { minMarginC: 7, hottestC: 80 }]], OOB, s);
    expect(kinds(pb, s)).toEqual(['clockCap']);

    const late = playbook({ trigger: { kind: 'thermal' }, stages: [{ action: { kind: 'brake' }, whileHottestGpuAboveC: 85 }, { afterS: 600, action: { kind: 'powerCap', pctOfMaxLimit: 60 } }] });
    s = run(late, [[0, { minMarginC: 0, hottestC: 90 }]]);
    s = run(late, [[5000, { minMarginC: 7, hottestC: 80 }]], OOB, s);
    expect(kinds(late, s)).toEqual([]);
  });
});

describe('playbooks: load spike (the trigger itself: loadSpike.test.ts)', () => {
  const spike = byId('load-spike');
  const kw = (x: number) => ({ powerW: x * 1000 });
  /** A warm row: 0..60 s at 70 % of its 100 kW budget, one reading a second. */
  const warm = (level = 70) => run(spike, every(0, 60_000, kw(level)));

  it('a row above 85 % and more than 5 points above its envelope of the minute before the last 10 s is a spike', () => {
    expect(warm().active).toBe(false);
    expect(run(spike, [[61_000, kw(84.9)]], OOB, warm()).active).toBe(false); // 15 points up, not near the budget
    expect(run(spike, [[61_000, kw(85.1)]], OOB, warm()).active).toBe(true);
    expect(engagedActions(spike, run(spike, [[61_000, kw(90)]], OOB, warm()))).toEqual([{ stage: 0, action: { kind: 'clockCap', mhzPctOfMax: 79, priority: 'low' } }]);
  });

  it('exactly pctPerS × riseS points above the envelope is no spike; more is', () => {
    expect(run(spike, [[61_000, kw(87)]], OOB, warm(82)).active).toBe(false);
    expect(run(spike, [[61_000, kw(87.1)]], OOB, warm(82)).active).toBe(true);
  });

  it('stale readings are neither a spike nor recorded: the envelope stays that of the fresh readings', () => {
    const s = run(spike, [[61_000, { ...kw(120), stale: true }]], OOB, warm());
    expect(s.active).toBe(false);
    expect(s.recent).toEqual(warm().recent);
    expect(run(spike, [[62_000, kw(90)]], OOB, s).active).toBe(true);
  });

  it('only above the lowest threshold of its stages too (strictly above it)', () => {
    const stages = (second: object) => [{ action: { kind: 'clockCap', mhzPctOfMax: 79, priority: 'low' }, whileAbovePct: 70 }, second];
    const low = (second: object) => playbook({ trigger: { kind: 'loadSpike', pctPerS: 0.5, nearPct: 0 }, stages: stages(second) });
    const flat = (pb: Playbook, level: number) => run(pb, every(0, 60_000, kw(level)));
    const capAt90 = low({ action: { kind: 'powerCap', pctOfMaxLimit: 60 }, whileAbovePct: 90 });
    expect(run(capAt90, [[61_000, kw(70)]], OOB, flat(capAt90, 50)).active).toBe(false);
    expect(run(capAt90, [[61_000, kw(70.1)]], OOB, flat(capAt90, 50)).active).toBe(true);
    // A stage with no power condition could act at any level: with nearPct 0, any rise above the envelope counts.
    const any = low({ action: { kind: 'powerCap', pctOfMaxLimit: 60 } });
    expect(run(any, [[61_000, kw(30)]], OOB, flat(any, 20)).active).toBe(true);
  });

  it('with no budget no rise is measured', () => {
    const s = run(spike, every(0, 60_000, { budgetKW: 0, ...kw(50) }));
    expect(run(spike, [[61_000, { budgetKW: 0, ...kw(90) }]], OOB, s).active).toBe(false);
  });

  it('ends 60 s after the last reading that was still a spike', () => {
    // 70 → 90 kW at 61 s; that reading's one-second bucket [61, 62) s joins the envelope once it ended 10 s ago (at
    // 72 s): the last spike reading is at 71 s.
    const s = run(spike, every(61_000, 130_000, kw(90)), OOB, warm());
    expect(s.active).toBe(true);
    expect(s.lastTriggerMs).toBe(71_000);
    expect(run(spike, [[131_000, kw(90)]], OOB, s).active).toBe(false);
  });
});
