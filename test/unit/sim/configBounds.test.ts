import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { writeFileSync } from 'node:fs';
import { z } from 'zod';
import { main } from '../../../main/cli/headroom.js';
import { ConfigError, parseConfig, YAML_MAX_ALIASES } from '../../../main/sim/config.js';
import { ScenarioSchema } from '../../../shared/domain/scenario.js';
import { TopologyFileSchema } from '../../../shared/domain/topology.js';
import { tempDir } from '../../helpers.js';

const tmp = tempDir('headroom-bounds-');
afterAll(() => tmp.cleanup());
afterEach(() => vi.restoreAllMocks());

/** "Billion laughs": 9 levels of 9 aliases each, 9^9 strings once expanded. */
function aliasBomb(): string {
  const lines = ['l0: &l0 [x, x, x, x, x, x, x, x, x]'];
  for (let i = 1; i < 9; i++) lines.push(`l${i}: &l${i} [${Array(9).fill(`*l${i - 1}`).join(', ')}]`);
  return lines.join('\n');
}

function refusal(f: () => unknown): ConfigError {
  try {
    f();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error('accepted');
}

async function run(...argv: string[]): Promise<{ code: number; err: string[] }> {
  const err: string[] = [];
  vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
  vi.spyOn(console, 'log').mockImplementation(() => {});
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, err };
}

const site = (row: Record<string, unknown>) =>
  `site: { id: s, name: S }\nrows:\n  - ${Object.entries({ id: 'A', budgetKW: 500, coolingKW: 600, racks: 10, serversPerRack: 4, gpusPerServer: 8, gpuModel: 'H100-SXM', ...row })
    .map(([k, v]) => `${k}: ${String(v)}`)
    .join('\n    ')}\n`;

describe('configuration inputs are bounded', () => {
  it('a YAML alias bomb is refused, naming the file; a file using a few aliases still loads', () => {
    const e = refusal(() => parseConfig(z.unknown(), aliasBomb(), 'bomb.yaml'));
    expect(e.message).toBe(`bomb.yaml: (document): too many YAML alias expansions (over ${YAML_MAX_ALIASES}); refused`);
    const ok = 'x: &x 1\n' + Array.from({ length: 50 }, (_, i) => `k${i}: *x`).join('\n');
    expect(Object.keys(parseConfig(z.record(z.string(), z.number()), ok, 'ok.yaml'))).toHaveLength(51);
  });

  it('headroom sim --scenario BOMB.yaml: exit 2, one line naming the file', async () => {
    const f = tmp.file('bomb.yaml');
    writeFileSync(f, aliasBomb());
    const r = await run('sim', '--scenario', f, '--duration', '1');
    expect(r.code).toBe(2);
    expect(r.err).toEqual([`headroom: ${f}: (document): too many YAML alias expansions (over ${YAML_MAX_ALIASES}); refused`]);
  });

  it('magnitudes: a 1e308 kW budget, an absurd site, a far-future event — each refused with its field named', () => {
    expect(refusal(() => parseConfig(TopologyFileSchema, site({ budgetKW: '1e308' }), 't.yaml')).message).toMatch(/^t\.yaml:4: rows\[0\]\.budgetKW: .*100000/);
    expect(refusal(() => parseConfig(TopologyFileSchema, site({ coolingKW: 'Infinity' }), 't.yaml')).field).toBe('rows[0].coolingKW');
    expect(refusal(() => parseConfig(TopologyFileSchema, site({ serverIdleW: '1e12' }), 't.yaml')).field).toBe('rows[0].serverIdleW');
    const big = `site: { id: s, name: S }\nrows:\n${Array.from({ length: 2 }, (_, i) => `  - { id: R${i}, budgetKW: 9000, coolingKW: 9000, racks: 1000, serversPerRack: 64, gpusPerServer: 8, gpuModel: H100-SXM }`).join('\n')}\n`;
    expect(refusal(() => parseConfig(TopologyFileSchema, big, 't.yaml')).message).toMatch(/rows\[0\]\.racks: the site would exceed 500,000 GPUs/);
    const scen = 'name: x\nevents:\n  - { kind: sourceStall, atS: 1e308, durationS: 10 }\n';
    expect(refusal(() => parseConfig(ScenarioSchema, scen, 's.yaml')).field).toBe('events[0].atS');
    expect(parseConfig(TopologyFileSchema, site({ budgetKW: 100000 }), 't.yaml').rows[0]!.budgetKW).toBe(100000);
  });

  it('--port is a decimal integer 0..65535: 0x50, 1e3, 65536, " 80" and -1 are refused (exit 2)', async () => {
    for (const p of ['0x50', '1e3', '65536', ' 80', '-1', '8080.0']) {
      const r = await run('serve', `--port=${p}`, '--db', ':memory:');
      expect(r.code, p).toBe(2);
      expect(r.err).toEqual([`headroom: --port must be a decimal integer in 0..65535, got "${p}"`]);
    }
  });
});
