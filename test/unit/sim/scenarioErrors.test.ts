import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { z } from 'zod';
import { main } from '../../../main/cli/headroom.js';
import { ConfigError, loadScenario, parseConfig } from '../../../main/sim/config.js';
import { ScenarioSchema } from '../../../shared/domain/scenario.js';
import { tempDir } from '../../helpers.js';

/**
 * Every error loading a scenario is one line, `FILE:LINE: field.path: message`, and `headroom sim` exits 2 — for what
 * the schema refuses anywhere (inside an inline topology too) and for what is found once it parses (an unknown GPU
 * model, row or rack; a plant device fed from nothing). Through the CLI's entry (`main`), in process: no build.
 */
const tmp = tempDir('headroom-scenario-errors-');
afterAll(() => tmp.cleanup());
afterEach(() => vi.restoreAllMocks());

const fixture = (name: string) => resolve('test/fixtures/scenarios/errors', name);

async function sim(scenario: string): Promise<{ code: number; err: string[]; out: string }> {
  const err: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const out = tmp.file(`report-${Math.random().toString(36).slice(2)}.json`);
  const code = await main(['sim', '--scenario', scenario, '--duration', '5', '--out', out]);
  vi.restoreAllMocks();
  return { code, err, out };
}

const cases: Array<[string, string, number, string, string]> = [
  // [what, fixture, line, field, message]
  ['a type error deep in a row of an inline topology', 'inline-topology-deep.yaml', 31, 'topology.rows[2].serversPerRack', 'Invalid input: expected number, received string'],
  ['an unknown GPU model in an inline topology', 'unknown-gpu-model.yaml', 20, 'topology.rows[1].gpuModel', 'unknown GPU model "B300-SXM" (known: '],
  ['an emergency with two scopes', 'bad-event-scope.yaml', 9, 'events[2].rack', 'give one of row, rack or site: true, not row and rack'],
  ['an emergency with no scope', 'no-event-scope.yaml', 5, 'events[1]', 'give where it applies: row, rack or site: true'],
  ['an emergency on an unknown rack', 'unknown-event-rack.yaml', 7, 'events[0].rack', 'unknown rack "C42"'],
  ['a plant device fed from a device the plant lacks', 'plant-device-supply.yaml', 14, 'topology.plant: BW-A', 'its supply "SB9" is not a device of the plant'],
  // 8 servers × (1.2 + 1.5 kW + 8 A100 busy at their minimum cap) ≈ 27 kW > 20 kW: 3 must go (core/feasibility.ts).
  ['a row budget below the row\'s floor', 'unreachable-budget.yaml', 11, 'topology.rows[0].budgetKW', 'row "L": budget 20 kW is below the row\'s floor of 26.98 kW'],
];

describe('scenario errors name file, line and field', () => {
  for (const [what, name, line, field, message] of cases) {
    it(`${what}: ${name}:${line}: ${field}`, async () => {
      const file = fixture(name);
      const e = (() => {
        try {
          loadScenario(file);
        } catch (x) {
          return x;
        }
        throw new Error('accepted');
      })();
      expect(e).toBeInstanceOf(ConfigError);
      expect(e).toMatchObject({ file, line, field });
      expect((e as ConfigError).reason.startsWith(message)).toBe(true);

      const r = await sim(file);
      expect(r.code).toBe(2);
      expect(r.err).toHaveLength(1);
      expect(r.err[0]!.startsWith(`headroom: ${file}:${line}: ${field}: ${message}`)).toBe(true);
      expect(r.err[0]).not.toContain('\n');
      expect(existsSync(r.out)).toBe(false);
    });
  }

  it('a topology in its own file: the error names that file and its line', async () => {
    const r = await sim(fixture('topology-file-unknown-model.yaml'));
    expect(r.code).toBe(2);
    expect(r.err).toEqual([expect.stringMatching(new RegExp(`^headroom: ${fixture('unknown-model.topology.yaml').replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}:7: rows\\[1\\]\\.gpuModel: unknown GPU model "H900"`))]);
  });

  it('a row budget below its floor in a topology file: that file, its line, the budget, the floor and the servers to shed', async () => {
    const topo = fixture('unreachable.topology.yaml');
    const r = await sim(fixture('topology-file-unreachable.yaml'));
    expect(r.code).toBe(2);
    expect(r.err).toHaveLength(1);
    expect(r.err[0]).toMatch(/^headroom: .*:16: rows\[1\]\.budgetKW: row "L": budget 19\.99 kW is below the row's floor of 26\.98 kW \(non-GPU server power at full activity \+ every GPU busy at its minimum cap\): unreachable under load; raise the budget or remove 3 of its 8 servers$/);
    expect(r.err[0]!.startsWith(`headroom: ${topo}:16: `)).toBe(true);
    expect(existsSync(r.out)).toBe(false);
  });

  it('a union refuses with the branch the value was meant for, nested anywhere; with none, what it expected', () => {
    const refusal = (schema: z.ZodType, text: string) => {
      try {
        parseConfig(schema, text, 'x.yaml');
      } catch (e) {
        if (e instanceof ConfigError) return e.message;
        throw e;
      }
      throw new Error('accepted');
    };
    expect(refusal(ScenarioSchema, 'name: x\ntopology: 5\n')).toBe('x.yaml:2: topology: Invalid input: expected string or object');
    expect(refusal(ScenarioSchema, 'name: x\ntopology:\n  site: { id: s, name: S }\n  rows:\n    - { id: A, budgetKW: 1, coolingKW: 1, racks: 1.5, serversPerRack: 1, gpusPerServer: 1, gpuModel: H100-SXM }\n')).toBe(
      'x.yaml:5: topology.rows[0].racks: Invalid input: expected int, received number',
    );
    const nested = z.object({ a: z.array(z.union([z.literal('off'), z.object({ b: z.union([z.number(), z.object({ c: z.string() })]) })])) });
    expect(refusal(nested, 'a:\n  - off\n  - b:\n      c: 3\n')).toBe('x.yaml:4: a[1].b.c: Invalid input: expected string, received number');
    expect(refusal(nested, 'a:\n  - on\n')).toBe('x.yaml:2: a[0]: Invalid input: expected "off" or object');
  });
});
