import { describe, expect, it } from 'vitest';
import { configProblems, limitDisagrees, type ReportedGpu } from '../../../main/core/configSanity.js';
import { observe } from '../../../main/core/observe.js';
import { resolveTopology } from '../../../main/core/topology.js';
import { DEFAULT_ALERT_RULES } from '../../../shared/domain/alerts.js';
import { H100 } from '../../helpers.js';

// Row A: 2 racks × 2 servers × 8 H100, servers 500 + 500 W of non-GPU power at full activity → 4 kW of servers.
const topology = resolveTopology({
  site: { id: 's', name: 's' },
  gpuModels: [],
  rows: [
    { id: 'A', budgetKW: 20, coolingKW: 100, supplyC: 22, racks: 2, serversPerRack: 2, gpusPerServer: 8, gpuModel: 'H100-SXM', serverIdleW: 500, serverActiveW: 500 },
    { id: 'B', budgetKW: 100, coolingKW: 100, supplyC: 22, racks: 1, serversPerRack: 1, gpusPerServer: 8, gpuModel: 'H100-SXM', serverIdleW: 500, serverActiveW: 500 },
  ],
});
const h100 = (safeCapW: number): ReportedGpu => ({ minLimitW: H100.minLimitW, maxLimitW: H100.maxLimitW, defaultLimitW: H100.defaultLimitW, name: 'NVIDIA H100 80GB HBM3', safeCapW });
const all = (f: (g: number) => ReportedGpu | null) => Array.from({ length: topology.gpuCount }, (_, g) => f(g));

describe('configuration sanity', () => {
  it('a row whose safe caps plus server power exceed its budget is named, with both figures; one that fits is not', () => {
    // 32 GPUs × 500 W + 4 kW = 20.0 kW: fits row A's 20 kW exactly (not above).
    expect(configProblems(topology, all(() => h100(500)))).toEqual([]);
    // 501 W: 20.03 kW > 20 kW.
    const p = configProblems(topology, all(() => h100(501)));
    expect(p).toHaveLength(1);
    expect(p[0]).toMatchObject({ kind: 'safeCapsOverBudget', row: 0, budgetKW: 20, unknownGpus: 0 });
    expect(p[0]!.kind === 'safeCapsOverBudget' && p[0]!.fallbackKW).toBeCloseTo(20.032, 3);
    expect(p[0]!.text).toBe(
      "Row A: its agents' safe caps plus server power add up to 20.0 kW, above its 20.0 kW budget: if the console goes away, the fallback does not protect it. Lower the agents' --safe-cap-w / --safe-cap-pct.",
    );
  });

  it('GPUs without an agent hello are not counted, and the text says how many', () => {
    // 16 known GPUs at 700 W = 11.2 kW + 4 kW = 15.2 kW: below 20 kW, no problem although the rest is unknown.
    expect(configProblems(topology, all((g) => (g < 16 ? h100(700) : null)))).toEqual([]);
    const p = configProblems(topology, all((g) => (g < 24 ? h100(700) : null)));
    expect(p[0]!.text).toMatch(/^Row A: .* add up to 20\.8 kW \(8 GPUs not counted: no agent hello yet\), above its 20\.0 kW budget/);
  });

  it('limits that disagree with the inventory model, beyond max(5 W, 2 %), are named per server', () => {
    expect(limitDisagrees(700, 700)).toBe(false);
    expect(limitDisagrees(714, 700)).toBe(false); // 2 % of 700 = 14 W
    expect(limitDisagrees(715, 700)).toBe(true);
    expect(limitDisagrees(205, 200)).toBe(false); // 5 W floor
    expect(limitDisagrees(206, 200)).toBe(true);
    // Server 1 (GPUs 8–15): GPUs 2 and 5 are H100 PCIe boards (350 W max, 310 default) listed as SXM.
    const pcie: ReportedGpu = { minLimitW: 200, maxLimitW: 350, defaultLimitW: 310, name: 'NVIDIA H100 PCIe', safeCapW: 245 };
    const p = configProblems(topology, all((g) => (g === 10 || g === 13 ? pcie : h100(400))));
    expect(p).toEqual([
      {
        kind: 'limitsDisagree',
        server: 1,
        gpus: [2, 5],
        text: `Server ${topology.servers[1]!.id}: GPUs 2, 5 ("NVIDIA H100 PCIe") report max limit 350 W (model 700 W), default limit 310 W (model 700 W); the inventory says H100-SXM. Fix the inventory's gpuModel, or the board's limits.`,
      },
    ]);
  });

  it('the configSanity alert raises one observation per problem: a row, a server', () => {
    const pcie: ReportedGpu = { minLimitW: 200, maxLimitW: 350, defaultLimitW: 350, name: 'NVIDIA H100 PCIe', safeCapW: 700 };
    const problems = configProblems(topology, all((g) => (g === 33 ? pcie : h100(700))));
    const rule = DEFAULT_ALERT_RULES.filter((r) => r.kind === 'configSanity');
    expect(rule).toHaveLength(1);
    const obs = observe(topology, rule, { rowW: new Float64Array(2), rowBudgetKW: new Float64Array([20, 100]), tempC: new Float64Array(0), gpuModel: new Int32Array(0), sources: [], configProblems: problems });
    expect(obs.map((o) => [o.subject.kind, o.subject.id, o.row])).toEqual([
      ['row', 'A', 'A'],
      ['server', topology.servers[4]!.id, 'B'],
    ]);
    expect(obs[0]!.value).toBe(Math.round(((32 * 700 + 4000) / 1000 / 20) * 1000) / 10);
  });
});
