import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadScenario, loadTraces } from '../../../main/sim/config.js';
import { Simulator } from '../../../main/sim/simulator.js';
import { defaultTopology, smallScenario, tempDir } from '../../helpers.js';

/** Row budgets and cooling (kW) the simulator reports at each second. */
function timeline(sim: Simulator, seconds: number) {
  const out: Array<{ budgetKW: number[]; coolingKW: number[]; rackBudgetKW: number[] }> = [];
  for (let i = 0; i < seconds; i++) {
    const s = sim.step(1);
    out.push({ budgetKW: [...s.rowBudgetKW], coolingKW: [...s.rowCoolingKW], rackBudgetKW: [...s.rackBudgetKW] });
  }
  return out;
}

describe('the simulator composes emergencies', () => {
  it('the issue: a 20 % budget loss inside a 50 % one leaves 0.4 of the row during the overlap, then exactly 0.5, then all', () => {
    const t = defaultTopology();
    const events = [
      { kind: 'powerBudgetLoss' as const, atS: 10, durationS: 30, row: 'D', fraction: 0.5 },
      { kind: 'powerBudgetLoss' as const, atS: 20, durationS: 10, row: 'D', fraction: 0.2 },
    ];
    for (const listed of [events, [...events].reverse()]) {
      const line = timeline(new Simulator(t, smallScenario({ events: listed }), loadTraces()), 45).map((x) => x.budgetKW[3]!);
      const provisioned = t.rows[3]!.budgetKW;
      expect(line[9]).toBe(provisioned);
      expect(line[15]).toBe(provisioned * 0.5);
      expect(line[25]).toBeCloseTo(provisioned * 0.4, 9);
      expect(line[25]).toBeLessThan(line[15]!);
      expect(line[35]).toBe(line[15]); // the inner loss ended: exactly the outer one's value again
      expect(line[44]).toBe(provisioned);
    }
  });

  it('the docs/SCENARIOS.md example: row, rack and site scopes, the figures the page gives', () => {
    const block = [...readFileSync('docs/SCENARIOS.md', 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('feed-loss-inside-feed-loss'))!;
    const tmp = tempDir();
    try {
      const file = tmp.file('feed.yaml');
      writeFileSync(file, block);
      const { scenario, topology } = loadScenario(file);
      const line = timeline(new Simulator(topology, scenario, loadTraces()), 800);
      const rowC = line.map((x) => x.budgetKW[2]!);
      expect([99, 100, 200, 300, 400].map((i) => +rowC[i]!.toFixed(2))).toEqual([408, 204, 163.2, 204, 408]);
      const rowD = line.map((x) => x.budgetKW[3]!);
      expect([499, 500, 559, 560].map((i) => +rowD[i]!.toFixed(2))).toEqual([313.8, 298.11, 298.11, 313.8]);
      const d03 = topology.racks.findIndex((r) => r.id === 'D03');
      expect(+line[500]!.rackBudgetKW[d03]!.toFixed(2)).toBe(15.69);
      expect(line[500]!.rackBudgetKW[d03 + 1]).toBe(topology.racks[d03 + 1]!.budgetKW);
      expect(line[600]!.coolingKW.map((v) => +v.toFixed(2))).toEqual([299.88, 299.88, 299.88, 299.88]);
      expect(line[650]!.coolingKW.map((v) => +v.toFixed(2))).toEqual([299.88, 149.94, 299.88, 299.88]);
      expect(line[680]!.coolingKW).toEqual(line[600]!.coolingKW);
      expect(line[720]!.coolingKW).toEqual(line[0]!.coolingKW);
      expect(line[720]!.budgetKW).toEqual(line[0]!.budgetKW);
    } finally {
      tmp.cleanup();
    }
  });
});
