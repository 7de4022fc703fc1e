import { describe, expect, it } from 'vitest';
import { PlaybookSchema } from '../../../../shared/domain/control.js';
import { DEFAULT_PLAYBOOKS, engagedActions, initialPlaybookState, stepPlaybook, THERMAL_HOLD_S, type PlaybookRowView } from '../../../../main/core/control/playbooks.js';

const byId = (id: string) => DEFAULT_PLAYBOOKS.find((p) => p.id === id)!;
const OOB = { capLatencyS: 40, brakeLatencyS: 5 };
const view = (v: Partial<PlaybookRowView>): PlaybookRowView => ({
  budgetKW: 100,
  provisionedKW: 100,
  powerW: 50_000,
  stale: false,
  minMarginC: 30,
  hottestC: 59,
  inletC: 24,
  ...v,
});
const kinds = (pb: ReturnType<typeof byId>, s: ReturnType<typeof initialPlaybookState>) => engagedActions(pb, s).map((a) => a.action.kind);

describe('emergency playbooks', () => {
  it('the defaults validate against the Playbook schema', () => {
    for (const pb of DEFAULT_PLAYBOOKS) expect(PlaybookSchema.parse(pb)).toEqual(pb);
    expect(DEFAULT_PLAYBOOKS.map((p) => p.id)).toEqual(['power-budget-loss', 'cooling-loss', 'load-spike']);
  });

  it('power-budget loss: brake at once and caps; the brake releases once the caps landed and power is under the budget', () => {
    const pb = byId('power-budget-loss');
    let s = initialPlaybookState(pb);
    s = stepPlaybook(pb, view({ powerW: 80_000 }), s, 0, OOB);
    expect(s.active).toBe(false);
    // The row loses 30 % of its budget while drawing 80 kW: 114 % of the new budget.
    s = stepPlaybook(pb, view({ budgetKW: 70, powerW: 80_000 }), s, 1000, OOB);
    expect(s.active).toBe(true);
    expect(kinds(pb, s).sort()).toEqual(['brake', 'clockCap']);
    let t = 2000;
    // Braked: power under the budget, but the caps (40 s out-of-band) have not landed: the brake holds.
    for (; t < 41_000; t += 1000) s = stepPlaybook(pb, view({ budgetKW: 70, powerW: 40_000 }), s, t, OOB);
    expect(kinds(pb, s)).toContain('brake');
    s = stepPlaybook(pb, view({ budgetKW: 70, powerW: 40_000 }), s, 41_000, OOB);
    expect(kinds(pb, s)).toEqual(['clockCap']);
    // Stale data never ends it; the budget back on fresh data does.
    s = stepPlaybook(pb, view({ budgetKW: 100, powerW: 40_000, stale: true }), s, 50_000, OOB);
    expect(s.active).toBe(true);
    s = stepPlaybook(pb, view({ budgetKW: 100, powerW: 40_000 }), s, 51_000, OOB);
    expect(s.active).toBe(false);
  });

  it('power-budget loss with in-band caps (1 s, within the 10 s ride-through): no brake needed', () => {
    const pb = byId('power-budget-loss');
    const s = stepPlaybook(pb, view({ budgetKW: 70, powerW: 80_000 }), initialPlaybookState(pb), 0, { capLatencyS: 1, brakeLatencyS: 5 });
    expect(kinds(pb, s)).toEqual(['clockCap']);
  });

  it('cooling loss: clock caps within 8 °C of slowdown, power caps after 60 s if still hot, release after a cool hold', () => {
    const pb = byId('cooling-loss');
    let s = initialPlaybookState(pb);
    s = stepPlaybook(pb, view({ minMarginC: 9, hottestC: 80 }), s, 0, OOB);
    expect(s.active).toBe(false);
    s = stepPlaybook(pb, view({ minMarginC: 7.5, hottestC: 81.5 }), s, 1000, OOB);
    expect(kinds(pb, s)).toEqual(['clockCap']);
    s = stepPlaybook(pb, view({ minMarginC: 5, hottestC: 84 }), s, 60_000, OOB);
    expect(kinds(pb, s)).toEqual(['clockCap']);
    s = stepPlaybook(pb, view({ minMarginC: 5, hottestC: 84 }), s, 61_000, OOB);
    expect(kinds(pb, s)).toEqual(['clockCap', 'powerCap']);
    let t = 62_000;
    for (; t < 61_000 + THERMAL_HOLD_S * 1000; t += 1000) s = stepPlaybook(pb, view({ minMarginC: 20, hottestC: 69 }), s, t, OOB);
    expect(s.active).toBe(true);
    s = stepPlaybook(pb, view({ minMarginC: 20, hottestC: 69 }), s, t, OOB);
    expect(s.active).toBe(false);
  });

  it('load spike: a fast rise above 70 % caps low-priority GPUs; a slow rise does not', () => {
    const pb = byId('load-spike');
    let s = initialPlaybookState(pb);
    for (let t = 0; t <= 60; t++) s = stepPlaybook(pb, view({ powerW: (50 + t * 0.4) * 1000 }), s, t * 1000, OOB);
    expect(s.active).toBe(false);
    for (let t = 61; t <= 66; t++) s = stepPlaybook(pb, view({ powerW: (74 + (t - 60) * 4) * 1000 }), s, t * 1000, OOB);
    expect(s.active).toBe(true);
    expect(engagedActions(pb, s)).toEqual([{ stage: 0, action: { kind: 'clockCap', mhzPctOfMax: 79, priority: 'low' } }]);
  });

  it('stale readings are not a spike', () => {
    const pb = byId('load-spike');
    let s = initialPlaybookState(pb);
    s = stepPlaybook(pb, view({ powerW: 50_000 }), s, 0, OOB);
    s = stepPlaybook(pb, view({ powerW: 120_000, stale: true }), s, 1000, OOB);
    expect(s.active).toBe(false);
  });
});
