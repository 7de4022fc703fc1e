import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { firmBudgets, resolvePlant } from '../../../main/core/plant.js';
import { defaultTopologySpec, resolveTopology } from '../../../main/core/topology.js';
import { PlantSpecSchema } from '../../../shared/domain/plant.js';
import { tempDir } from '../../helpers.js';

/** `headroom plant import netbox` through the real CLI: NetBox power feeds of the default site under an upstream plant. */
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const headroom = (...args: string[]) => spawnSync(process.execPath, ['bin/headroom.js', 'plant', 'import', 'netbox', ...args], { encoding: 'utf8', timeout: 60_000 });

const site = resolveTopology(defaultTopologySpec(1));
/** What NetBox's /api/dcim/power-feeds/ answers: two 63 A 415 V three-phase feeds per rack, one primary, one redundant. */
function feeds(edit: (list: Array<Record<string, unknown>>) => void = () => {}): string {
  let id = 1;
  const list: Array<Record<string, unknown>> = site.racks.flatMap((r) => {
    const row = site.rows[r.row]!.id;
    return (['A', 'B'] as const).map((side) => ({
      id: id++,
      url: `https://netbox.example/api/dcim/power-feeds/${id}/`,
      name: `PF-${r.id}-${side}`,
      power_panel: { id: side === 'A' ? 1 : 2, name: `PP-${row}-${side}` },
      rack: { id: 100 + id, name: r.id },
      status: { value: 'active', label: 'Active' },
      type: { value: side === 'A' ? 'primary' : 'redundant', label: side === 'A' ? 'Primary' : 'Redundant' },
      supply: { value: 'ac', label: 'AC' },
      phase: { value: 'three-phase', label: 'Three-phase' },
      voltage: 415,
      amperage: 63,
      max_utilization: 80,
    }));
  });
  list.push({ id: 900, name: 'PF-spare', power_panel: { id: 1, name: 'PP-A-A' }, rack: null, status: { value: 'planned' }, voltage: 415, amperage: 63 });
  edit(list);
  return JSON.stringify({ count: list.length, next: null, previous: null, results: list });
}
const upstream = `feeds: [{ id: U1, ratedKW: 2000 }, { id: U2, ratedKW: 2000 }]
ups:
  - { id: UPS1, feed: U1, modules: 4, moduleKW: 550 }
  - { id: UPS2, feed: U2, modules: 4, moduleKW: 550 }
devices:
${['A', 'B', 'C', 'D'].flatMap((row) => ['A', 'B'].map((s) => `  - { id: PP-${row}-${s}, kind: pdu, from: UPS${s === 'A' ? 1 : 2}, ratedKW: ${row === 'D' ? 392.3 : 510} }`)).join('\n')}
`;

describe('headroom plant import netbox', () => {
  it('NetBox power feeds become the racks’ A and B PDUs under the upstream plant; budgets follow', () => {
    writeFileSync(tmp.file('feeds.json'), feeds());
    writeFileSync(tmp.file('upstream.yaml'), upstream);
    const out = tmp.file('plant.yaml');
    const r = headroom('--feeds', tmp.file('feeds.json'), '--upstream', tmp.file('upstream.yaml'), '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/40 racks fed from 8 panels \(1 feeds skipped/);
    const spec = PlantSpecSchema.parse(parse(readFileSync(out, 'utf8')));
    expect(spec.racks[0]).toEqual({ row: 'A', racks: ['A01'], a: 'PP-A-A', b: 'PP-A-B', pdu: { amps: 63, volts: 415, phases: 3, powerFactor: 0.95, curve: 'C' } });
    // 63 A at 415 V, 3-phase, pf 0.95: 43.0 kW, 34.4 kW continuous per rack; row D's panels (392.3 kW) limit it.
    const b = firmBudgets(resolvePlant(spec, site), site);
    expect(b.rowKW[0]).toBeCloseTo(344.2, 1);
    expect(b.limitedBy[0]).toBe('racks');
    expect(b.rowKW[3]).toBeCloseTo(313.8, 1);
    expect(b.limitedBy[3]).toBe('PP-D-A');
  });

  it.each([
    ['a rack the site does not have', (l: Array<Record<string, unknown>>) => l.push({ id: 999, name: 'PF-Z01-A', power_panel: { name: 'PP-A-A' }, rack: { name: 'Z01' }, voltage: 415, amperage: 63 }), /bad\.json: power feed "PF-Z01-A" \(id 999\): rack: "Z01" is not a rack of the site/],
    ['a panel the upstream plant lacks', (l: Array<Record<string, unknown>>) => (l[0]!.power_panel = { id: 7, name: 'PP-X' }), /power feed "PF-A01-A" \(id 1\): power_panel: "PP-X" is not in the upstream plant/],
    ['a feed with no amperage', (l: Array<Record<string, unknown>>) => delete l[3]!.amperage, /power feed "PF-A02-B": amperage: /],
    ['a rack with no primary feed', (l: Array<Record<string, unknown>>) => l.splice(0, 1), /rack A01: no active primary power feed wired to it/],
  ])('refuses %s: one line naming the file, the object and the field; exit 2; nothing written', (_what, edit, message) => {
    writeFileSync(tmp.file('bad.json'), feeds(edit));
    writeFileSync(tmp.file('upstream.yaml'), upstream);
    const out = tmp.file('never.yaml');
    const r = headroom('--feeds', tmp.file('bad.json'), '--upstream', tmp.file('upstream.yaml'), '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(message);
    expect(() => readFileSync(out)).toThrow();
  });
});
