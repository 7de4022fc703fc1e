import { describe, expect, it } from 'vitest';
import { routingWeights, serverLayout } from '../../../main/core/routingWeights.js';
import { defaultTopologySpec, resolveTopology } from '../../../main/core/topology.js';
import { MIN_WEIGHT } from '../../../main/core/slack.js';

const t = resolveTopology(defaultTopologySpec(1));
const layout = serverLayout(t);

describe('published routing weights', () => {
  it('per server: its slack now — a hot aisle, a hot GPU or a row near its budget lowers its weight', () => {
    const tempC = new Float64Array(t.gpuCount).fill(55);
    const rackInletC = new Float64Array(t.racks.length).fill(24);
    const rowW = Float64Array.from(t.rows, (r) => r.budgetKW * 1000 * 0.5);
    const rowBudgetKW = Float64Array.from(t.rows, (r) => r.budgetKW);
    // Rack A01's aisle at 31 °C (air 0.5); a GPU of B01's first server at 79.5 °C (thermal 0.7); row D at 75 % (power 0.75).
    rackInletC[0] = 31;
    tempC[t.servers.find((s) => s.id === 'B01-S1')!.gpuStart + 3] = 79.5;
    rowW[3] = t.rows[3]!.budgetKW * 1000 * 0.75;
    const w = routingWeights(t, layout, { tMs: 1000, tempC, rackInletC, rowW, rowBudgetKW });
    const by = new Map(w.servers.map((s) => [s.id, s]));
    expect(w.tMs).toBe(1000);
    expect(w.servers).toHaveLength(t.servers.length);
    expect(by.get('A01-S1')).toEqual({ id: 'A01-S1', rack: 'A01', row: 'A', penalty: 0.5, weight: 0.5 });
    expect(by.get('B01-S1')!.penalty).toBeCloseTo(0.7, 9);
    expect(by.get('B01-S2')!.penalty).toBe(0);
    expect(by.get('D05-S2')).toMatchObject({ row: 'D', penalty: 0.75, weight: 0.25 });
    expect(by.get('C03-S4')).toMatchObject({ penalty: 0, weight: 1 });
    // A row with no budget in force: every server of it at the floor weight.
    rowBudgetKW[2] = 0;
    expect(routingWeights(t, layout, { tMs: 2000, tempC, rackInletC, rowW, rowBudgetKW }).servers.find((s) => s.id === 'C03-S4')!.weight).toBe(MIN_WEIGHT);
  });
});
