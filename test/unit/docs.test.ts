import { describe, expect, it } from 'vitest';
import { readFileSync, writeFileSync } from 'node:fs';
import { loadScenario } from '../../main/sim/config.js';
import { tempDir } from '../helpers.js';

/** The scenario examples in docs/SCENARIOS.md are real: they load and simulate. */
describe('docs/SCENARIOS.md examples', () => {
  const blocks = [...readFileSync('docs/SCENARIOS.md', 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('the full example is a valid scenario on the default site', () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('example.yaml');
      writeFileSync(file, blocks[0]!);
      const { scenario, topology } = loadScenario(file);
      expect(scenario.name).toBe('row-d-drill');
      expect(scenario.events.map((e) => e.kind)).toEqual(['loadSpike', 'coolingLoss', 'powerBudgetLoss', 'sourceStall']);
      expect(scenario.alertRules?.map((r) => r.kind)).toEqual(['rowPower', 'gpuNearSlowdown', 'sourceStale']);
      expect(topology.gpuCount).toBe(1280);
    } finally {
      tmp.cleanup();
    }
  });

  it('the inline-topology example is a valid topology', () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('inline.yaml');
      writeFileSync(file, `name: inline\n${blocks[1]!}`);
      const { topology } = loadScenario(file);
      expect(topology.gpuCount).toBe(64);
      expect(topology.models[0]!.id).toBe('A100-SXM');
    } finally {
      tmp.cleanup();
    }
  });
});

describe('docs/SCENARIOS.md plant example', () => {
  it('loads, and derives the row budget from the plant (its racks limit it: 10 × 34.4 kW, under the busway’s 437 kW)', () => {
    const blocks = [...readFileSync('docs/SCENARIOS.md', 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);
    const block = blocks.find((b) => b.includes('plant:'))!;
    const tmp = tempDir();
    try {
      const file = tmp.file('plant.yaml');
      writeFileSync(file, `name: plant\n${block}`);
      const { topology } = loadScenario(file);
      // 63 A at 415 V, 3-phase, pf 0.95: 43.0 kW per PDU, 80 % = 34.4 kW per rack; 10 racks = 344 kW < busway 437 kW.
      expect(topology.rows[0]!.budgetKW).toBeCloseTo(344, 0);
      expect(topology.plant?.ups).toHaveLength(2);
    } finally {
      tmp.cleanup();
    }
  });
});

/** The inventory and sources examples in docs/AGENTS.md are real. */
describe('docs/AGENTS.md examples', () => {
  const blocks = [...readFileSync('docs/AGENTS.md', 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!);

  it('the inventory example resolves', async () => {
    const { loadInventoryFile } = await import('../../main/fleet/inventory.js');
    const tmp = tempDir();
    try {
      writeFileSync(tmp.file('inventory.yaml'), blocks[0]!);
      const inv = loadInventoryFile(tmp.file('inventory.yaml'));
      expect(inv.topology.gpuCount).toBe(2);
      expect(inv.hosts.get('gpu-a01-01')).toMatchObject({ rack: 'A01', row: 'A', slot: 3, priority: 'high' });
    } finally {
      tmp.cleanup();
    }
  });

  it('the sources example loads', async () => {
    const { loadSourcesFile } = await import('../../main/sources/sourcesFile.js');
    const tmp = tempDir();
    try {
      writeFileSync(tmp.file('sources.yaml'), blocks[1]!);
      expect(loadSourcesFile(tmp.file('sources.yaml')).map((s) => s.kind)).toEqual(['agent', 'dcgm', 'prometheus']);
    } finally {
      tmp.cleanup();
    }
  });
});
