import { describe, expect, it } from 'vitest';
import { parseAzureTrace } from '../../../main/sim/traces.js';
import { loadTraces } from '../../../main/sim/config.js';
import { Simulator, ScenarioError } from '../../../main/sim/simulator.js';
import { defaultTopology, smallScenario } from '../../helpers.js';
import { aggregate, createAggregates } from '../../../main/core/aggregate.js';

function run(seed: number, ticks: number, scenario = smallScenario()) {
  const t = defaultTopology();
  const sim = new Simulator(t, scenario, loadTraces(), seed);
  const agg = createAggregates(t);
  const rowKW: number[][] = [];
  for (let i = 0; i < ticks; i++) {
    const s = sim.step(1);
    aggregate(t, sim.index, s.gpu, agg);
    rowKW.push(Array.from(agg.rowW, (w) => w / 1000));
  }
  return { sim, rowKW, agg };
}

describe('Azure trace parsing', () => {
  it('parses the shipped traces', () => {
    const { conv, code } = loadTraces();
    expect(conv.arrivalS.length).toBe(19_366);
    expect(code.arrivalS.length).toBe(8_819);
    expect(conv.durationS).toBeGreaterThan(3400);
  });
  it('names the line of a malformed request', () => {
    expect(() => parseAzureTrace('x.csv', 'TIMESTAMP,ContextTokens,GeneratedTokens\n2023-11-16 18:15:46.6805900,374,44\n2023-11-16 18:15:50,abc,1\n')).toThrow(
      /x\.csv: line 3: malformed/,
    );
    expect(() => parseAzureTrace('x.csv', 'a,b\n')).toThrow(/line 1: expected header/);
  });
});

describe('simulator', () => {
  it('is deterministic for a seed and differs across seeds', () => {
    const a = run(7, 120);
    const b = run(7, 120);
    const c = run(8, 120);
    expect(a.rowKW).toEqual(b.rowKW);
    expect(a.rowKW).not.toEqual(c.rowKW);
  });

  it('inference load follows the trace with prefill bursts; decode keeps it steady between them', () => {
    const { rowKW, sim } = run(1, 300);
    const rowA = rowKW.map((r) => r[0]!);
    const max = Math.max(...rowA);
    const min = Math.min(...rowA.slice(30));
    expect(max).toBeGreaterThan(min * 1.05);
    expect(sim.services[0]!.stats.completed).toBeGreaterThan(1000);
  });

  it('synchronous training swings between compute and communication phases with its period', () => {
    const { rowKW } = run(1, 60);
    const rowC = rowKW.map((r) => r[2]!);
    const hi = Math.max(...rowC);
    const lo = Math.min(...rowC.slice(20));
    expect(hi / lo).toBeGreaterThan(1.8);
    // Period 10 s: the high phases repeat every ~10 ticks.
    const peaks = rowC.map((v, i) => (v > (hi + lo) / 2 && (rowC[i - 1] ?? 0) <= (hi + lo) / 2 ? i : -1)).filter((i) => i > 0);
    const gaps = peaks.slice(1).map((p, i) => p - peaks[i]!);
    for (const g of gaps) expect(g).toBeGreaterThanOrEqual(9);
  });

  it('a power-budget loss event lowers the reported row budget for its duration', () => {
    const scenario = smallScenario({ events: [{ kind: 'powerBudgetLoss', atS: 5, durationS: 10, row: 'D', fraction: 0.25 }] });
    const t = defaultTopology();
    const sim = new Simulator(t, scenario, loadTraces());
    const budgets: number[] = [];
    for (let i = 0; i < 20; i++) budgets.push(sim.step(1).rowBudgetKW[3]!);
    expect(budgets[4]).toBeCloseTo(t.rows[3]!.budgetKW, 6);
    expect(budgets[5]).toBeCloseTo(t.rows[3]!.budgetKW * 0.75, 6);
    expect(budgets[15]).toBeCloseTo(t.rows[3]!.budgetKW, 6);
  });

  it('a cooling loss heats the row inlet and the GPUs', () => {
    const base = run(1, 600);
    const hot = run(1, 600, smallScenario({ events: [{ kind: 'coolingLoss', atS: 10, row: 'A', fraction: 0.6 }] }));
    const maxTemp = (s: Simulator) => Math.max(...Array.from(s.gpu.tempC.subarray(0, 320)));
    expect(maxTemp(hot.sim) - maxTemp(base.sim)).toBeGreaterThan(10);
    expect(hot.sim.gpu.rackInletC[0]).toBeGreaterThan(base.sim.gpu.rackInletC[0]! + 10);
  });

  it('refuses a workload on an unknown row and two workloads on one rack', () => {
    const t = defaultTopology();
    expect(() => new Simulator(t, smallScenario({ services: [{ id: 'x', priority: 'low', trace: 'code', placement: { rows: ['Q'] }, ratePerServer: 1 }] }), loadTraces())).toThrow(
      ScenarioError,
    );
    expect(
      () =>
        new Simulator(
          t,
          smallScenario({ services: [{ id: 'x', priority: 'low', trace: 'code', placement: { racks: ['C01'] }, ratePerServer: 1 }] }),
          loadTraces(),
        ),
    ).toThrow(/rack C01 is already used/);
  });
});
