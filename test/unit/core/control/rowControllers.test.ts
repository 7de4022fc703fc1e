import { describe, expect, it } from 'vitest';
import { PolicyConfigSchema } from '../../../../shared/domain/control.js';
import { RowControllers, rowGpuSpans } from '../../../../main/core/control/rows.js';
import { defaultTopology, rowLayerRig } from '../../../helpers.js';

/**
 * The row controllers across policy changes and operator actions: what is in force before a policy, which policy
 * changes restart the playbooks, the cap path the playbooks are timed with, a manual brake (and a changed reason)
 * redrawing its row, and brake engagements counted once per engagement.
 */

const topology = defaultTopology(1);
const n = topology.gpuCount;
const R = topology.rows.length;
const provisioned = topology.rows.map((r) => r.budgetKW);

function rig(automatic = true) {
  const { arbiter, layers } = rowLayerRig(n);
  const spans = rowGpuSpans(topology);
  const priorities = Uint8Array.from({ length: n }, (_, g) => g % 2);
  const rows = new RowControllers(topology, { models: topology.models, gpuModel: new Int32Array(n), priorities }, spans, arbiter, layers, automatic, 0);
  /** Row r's effective budget is `budgetPct` % of its provisioned one and it draws `pct` % of that. */
  const readings = (pct: number[], budgetPct = [100, 100, 100, 100]) => {
    const budget = provisioned.map((b, r) => (b * budgetPct[r]!) / 100);
    return { rowBudgetKW: budget, rowW: budget.map((b, r) => b * 10 * pct[r]!), rowMaxTempC: new Array(R).fill(60), rackInletC: new Array(topology.racks.length).fill(25) };
  };
  const op = { automation: new Array(R).fill(true), manualBrake: new Array<{ by: string; reason: string } | null>(R).fill(null) };
  return { arbiter, layers, spans, rows, readings, op };
}

describe('row controllers: policy changes and operator actions', () => {
  it('before any policy nothing is in force: no playbooks, states or caps, nothing shown', () => {
    const { rows } = rig();
    expect([rows.playbooks, rows.states, rows.caps]).toEqual([[], [], []]);
    expect(rows.shown).toEqual([[], [], [], []]);
  });

  it('a policy change that keeps the playbooks keeps their states; one that changes them restarts them', () => {
    const { rows, readings, op } = rig();
    rows.setPolicy(PolicyConfigSchema.parse({}));
    rows.step(readings([114, 50, 50, 50], [70, 100, 100, 100]), op, 1000, false);
    expect(rows.states[0]![0]!.active).toBe(true); // power-budget loss on row A
    expect(rows.shown[0]).toContain('power-budget-loss');
    rows.setPolicy(PolicyConfigSchema.parse({ polca: { t1Pct: 75 } }));
    expect(rows.states[0]![0]!.active).toBe(true);
    rows.setPolicy(PolicyConfigSchema.parse({ playbooks: [{ id: 'only', trigger: { kind: 'thermal' }, stages: [{ action: { kind: 'clockCap', mhzPctOfMax: 70 } }] }] }));
    expect(rows.playbooks.map((p) => p.id)).toEqual(['only']);
    expect(rows.states.map((s) => s.map((x) => x.active))).toEqual([[false], [false], [false], [false]]);
  });

  it('playbooks are timed with the cap path in force: in-band caps land within the ride-through, no playbook brake', () => {
    // 114 % of a budget cut to 70 %: out of band the caps (40 s) miss the 10 s ride-through, so the playbook brakes.
    const { rows, layers, spans, readings, op } = rig();
    rows.setPolicy(PolicyConfigSchema.parse({ actuation: { capPath: 'outOfBand' } }));
    rows.step(readings([114, 50, 50, 50], [70, 100, 100, 100]), op, 1000, false);
    expect(layers.playbooks.brake[spans.start[0]!]).toBe(1);
    const inBand = rig();
    inBand.rows.setPolicy(PolicyConfigSchema.parse({ actuation: { capPath: 'inBand' } }));
    inBand.rows.step(inBand.readings([114, 50, 50, 50], [70, 100, 100, 100]), inBand.op, 1000, false);
    expect(inBand.layers.playbooks.brake[inBand.spans.start[0]!]).toBe(0);
    expect(inBand.layers.playbooks.lockMHz[inBand.spans.start[0]!]).toBeGreaterThan(0);
  });

  it('setting or lifting a manual brake redraws its row by itself; a new reason for it needs an invalidate, which redraws', () => {
    const { arbiter, rows, spans, readings, op } = rig();
    rows.setPolicy(PolicyConfigSchema.parse({}));
    const g = spans.start[2]!;
    rows.step(readings([50, 50, 50, 50]), op, 1000, false);
    op.manualBrake[2] = { by: 'alice', reason: 'maintenance' };
    expect(rows.step(readings([50, 50, 50, 50]), op, 2000, false)).toBe(true);
    expect(arbiter.out.brake[g]).toBe(1);
    op.manualBrake[2] = { by: 'bob', reason: 'still maintenance' };
    expect(rows.step(readings([50, 50, 50, 50]), op, 3000, false)).toBe(false);
    rows.invalidate(2);
    expect(rows.step(readings([50, 50, 50, 50]), op, 4000, false)).toBe(true);
    expect(arbiter.whyOf(arbiter.out.brakeWhy[g]!)).toBe('manual brake on row C by bob: still maintenance');
    op.manualBrake[2] = null;
    expect(rows.step(readings([50, 50, 50, 50]), op, 5000, false)).toBe(true);
    expect(arbiter.out.brake[g]).toBe(0);
  });

  it('a brake held over many steps is one engagement; engaging it again is another', () => {
    const { rows, readings, op } = rig(false);
    rows.setPolicy(PolicyConfigSchema.parse({}));
    op.manualBrake[1] = { by: 'alice', reason: 'test' };
    for (let t = 1000; t <= 5000; t += 1000) rows.step(readings([50, 50, 50, 50]), op, t, false);
    expect([rows.totalBrakes, rows.brakes[1]]).toEqual([1, 1]);
    op.manualBrake[1] = null;
    rows.step(readings([50, 50, 50, 50]), op, 6000, false);
    expect(rows.brakeWanted[1]).toBe(0);
    op.manualBrake[1] = { by: 'alice', reason: 'again' };
    for (let t = 7000; t <= 9000; t += 1000) rows.step(readings([50, 50, 50, 50]), op, t, false);
    expect([rows.totalBrakes, rows.brakes[1]]).toEqual([2, 2]);
  });
});
