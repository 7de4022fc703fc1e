import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { aggregate, createAggregates } from '../../../main/core/aggregate.js';
import { createGpuColumns } from '../../../main/core/physics.js';
import { indexTopology } from '../../../main/core/topology.js';
import { ConfigError, loadScenario, loadTopologyFile } from '../../../main/sim/config.js';
import { defaultTopology, tempDir } from '../../helpers.js';

describe('topology', () => {
  it('the default site is 4 rows × 10 racks × 4 servers × 8 GPUs, row D 30 % oversubscribed', () => {
    const t = defaultTopology();
    expect(t.gpuCount).toBe(1280);
    expect(t.rows.map((r) => r.id)).toEqual(['A', 'B', 'C', 'D']);
    expect(t.racks).toHaveLength(40);
    expect(t.servers).toHaveLength(160);
    const a = t.rows[0]!;
    const d = t.rows[3]!;
    expect(d.rackCount * 4).toBe(40);
    expect(a.budgetKW / d.budgetKW).toBeCloseTo(1.3, 3);
    expect(t.racks[0]!.budgetKW).toBeCloseTo(a.budgetKW / 10, 9);
  });

  it('scales to 10,240 GPUs with --scale 8', () => {
    const t = defaultTopology(8);
    expect(t.gpuCount).toBe(10_240);
    expect(t.racks).toHaveLength(320);
  });

  it('aggregates sum GPUs plus server overhead into racks, rows and the site', () => {
    const t = defaultTopology();
    const idx = indexTopology(t);
    const c = createGpuColumns(t.gpuCount, idx.gpuModel, t.models);
    c.powerW.fill(100);
    c.util.fill(0.5);
    const agg = createAggregates(t);
    aggregate(t, idx, c, agg);
    const perServer = 8 * 100 + 1500 + 2000 * 0.5;
    expect(agg.serverW[0]).toBeCloseTo(perServer, 9);
    expect(agg.rackW[0]).toBeCloseTo(4 * perServer, 9);
    expect(agg.rowW[0]).toBeCloseTo(40 * perServer, 9);
    expect(agg.siteW).toBeCloseTo(160 * perServer, 6);
  });
});

describe('topology and scenario files: clear errors, nothing half-applied', () => {
  const cases: Array<[string, string, RegExp]> = [
    ['unknown GPU model', 'site: {id: s, name: S}\nrows:\n  - {id: A, budgetKW: 100, coolingKW: 120, racks: 1, serversPerRack: 1, gpusPerServer: 8, gpuModel: B200}\n', /rows\[0\]\.gpuModel: unknown GPU model "B200"/],
    ['negative budget', 'site: {id: s, name: S}\nrows:\n  - id: A\n    budgetKW: -5\n    coolingKW: 120\n    racks: 1\n    serversPerRack: 1\n    gpusPerServer: 8\n    gpuModel: H100-SXM\n', /:4: rows\[0\]\.budgetKW: too small: expected number to be >0/i],
    ['malformed YAML', 'site: {id: s, name: S\nrows: [\n', /:\d+: \(document\): /],
    ['missing rows', 'site: {id: s, name: S}\n', /rows: /],
  ];
  for (const [name, text, expected] of cases) {
    it(`rejects a topology with ${name}`, () => {
      const tmp = tempDir();
      try {
        const file = tmp.file('topo.yaml');
        writeFileSync(file, text);
        expect(() => loadTopologyFile(file)).toThrow(ConfigError);
        expect(() => loadTopologyFile(file)).toThrow(expected);
        try {
          loadTopologyFile(file);
        } catch (e) {
          expect((e as Error).message.startsWith(file)).toBe(true);
        }
      } finally {
        tmp.cleanup();
      }
    });
  }

  it('rejects a scenario placing a workload on an unknown row, naming the field', () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('s.json');
      // Pretty-printed: "Z" is on line 10, and the error names it (JSON is read as YAML, lines and all).
      writeFileSync(file, JSON.stringify({ name: 'x', services: [{ id: 'a', priority: 'high', trace: 'conv', placement: { rows: ['Z'] }, ratePerServer: 1 }] }, null, 2));
      expect(() => loadScenario(file)).toThrow(ConfigError);
      expect(() => loadScenario(file)).toThrow(/s\.json:10: services\[0\]\.placement\.rows\[0\]: unknown row "Z"/);
    } finally {
      tmp.cleanup();
    }
  });

  it('reports the line of a bad scenario field', () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('s.yaml');
      writeFileSync(file, 'name: x\nstepMs: 50\n');
      expect(() => loadScenario(file)).toThrow(/s\.yaml:2: stepMs: /);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('default scenario', () => {
  it('is valid at every scale, and row D is split between high- and low-priority services', () => {
    for (const scale of [1, 2, 8]) {
      const { scenario, topology } = loadScenario('default', { scale });
      expect(topology.gpuCount).toBe(1280 * scale);
      const d = scenario.services.filter((s) => s.placement.racks?.every((r) => r.startsWith('D')));
      expect(d.map((s) => s.priority).sort()).toEqual(['high', 'low']);
      expect(d.flatMap((s) => s.placement.racks!)).toHaveLength(10 * scale);
    }
  });
});

describe('scenario with a separate topology file and 100 ms steps', () => {
  it('loads the A100 lab fixture and simulates it', async () => {
    const { runSim } = await import('../../../main/cli/sim.js');
    const { scenario, topology } = loadScenario('test/fixtures/scenarios/a100-lab.yaml');
    expect(scenario.stepMs).toBe(100);
    expect(topology.gpuCount).toBe(64);
    expect(topology.models.map((m) => m.id)).toEqual(['A100-SXM']);
    const report = runSim({ scenario: 'test/fixtures/scenarios/a100-lab.yaml', durationS: 60 });
    expect(report.stepMs).toBe(100);
    expect(report.rows[0]!.peakKW).toBeGreaterThan(10);
    expect(report.rows[0]!.peakKW).toBeLessThan(60);
  });
});
