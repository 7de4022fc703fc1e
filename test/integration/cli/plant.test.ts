import { copyFileSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { parse } from 'yaml';
import { main } from '../../../main/cli/headroom.js';
import { firmBudgets, resolvePlant } from '../../../main/core/plant.js';
import { defaultTopologySpec, resolveTopology } from '../../../main/core/topology.js';
import { loadScenario } from '../../../main/sim/config.js';
import { PlantSpecSchema } from '../../../shared/domain/plant.js';
import { tempDir } from '../../helpers.js';

/**
 * `headroom plant import netbox|yaml` through the CLI's entry (`main`, what bin/headroom.js calls), in process so it
 * runs the sources as they are (no build): NetBox JSON or Headroom's DCIM YAML in, a checked plant file out.
 */
const tmp = tempDir();
afterAll(() => tmp.cleanup());
async function headroom(...args: string[]): Promise<{ status: number; stderr: string }> {
  const lines: string[] = [];
  const err = vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  const out = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void lines.push(a.join(' ')));
  try {
    const status = await main(['plant', 'import', ...args]);
    return { status, stderr: lines.length ? `${lines.join('\n')}\n` : '' };
  } finally {
    err.mockRestore();
    out.mockRestore();
  }
}
/** Refused: exit 2, one line on stderr, the output file not written (nor a temporary file left beside it). */
function refused(r: { status: number; stderr: string }, out: string): string {
  expect(r.status).toBe(2);
  expect(r.stderr.trim().split('\n')).toHaveLength(1);
  expect(() => readFileSync(out)).toThrow();
  expect(readdirSync(tmp.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
  return r.stderr.trim();
}

const fixtures = 'test/fixtures/netbox';
const fx = (name: string) => `${fixtures}/${name}`;
const ams1 = loadScenario(fx('site.yaml')).topology;
const netboxArgs = ['netbox', '--scenario', fx('site.yaml'), '--feeds', fx('power-feeds.json'), '--panels', fx('power-panels.json'), '--racks', fx('racks.json'), '--site', 'ams1', '--devices', fx('devices.json'), '--ports', fx('power-ports-1.json'), '--ports', fx('power-ports-2.json'), '--upstream', fx('upstream.yaml')];

describe('headroom plant import netbox (AMS1 hall 1: feeds, panels, racks, devices, power ports)', () => {
  it('writes the plant, prints the budgets and draws, and warns of the rack allocated beyond its feed', async () => {
    const out = tmp.file('ams1.yaml');
    const r = await headroom(...netboxArgs, '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(
      [
        `4 racks fed from 4 panels (2 feeds skipped: not active, not wired to a rack, or at another site) → ${out}`,
        'power ports: 20 on 4 racks draw 64.8 kW allocated, 76.0 kW nameplate (10 left out: no draw recorded, or at another site)',
        '  row A: 68.8 kW, limited by racks',
        '  row B: 54.6 kW, limited by PP-B-A',
        'warning: rack B02: allocated draw 38.4 kW (8 power ports) exceeds the 34.4 kW its feed "PF-B02-A" carries continuously (63 A × 415 V three-phase × pf 0.95 × 80 %)',
        '',
      ].join('\n'),
    );
    const text = readFileSync(out, 'utf8');
    expect(text.split('\n')[0]).toMatch(/^# From NetBox \(power feeds: .*power-feeds\.json; panels: .*; site ams1\) under .*upstream\.yaml/);
    const spec = PlantSpecSchema.parse(parse(text));
    expect(spec.racks.map((x) => [x.row, x.racks, x.a, x.b])).toEqual([['A', ['A01', 'A02'], 'PP-A-A', 'PP-A-B'], ['B', ['B01', 'B02'], 'PP-B-A', 'PP-B-B']]);
    expect(firmBudgets(resolvePlant(spec, ams1), ams1).rowKW[1]).toBeCloseTo(54.6, 1);
  });

  it('refuses a port on a device in no rack: one line, exit 2, an existing plant file left as it was', async () => {
    const devices = JSON.parse(readFileSync(fx('devices.json'), 'utf8')) as { results: Array<{ name: string; rack: unknown }> };
    devices.results.find((d) => d.name === 'gpu-b02-3')!.rack = null;
    writeFileSync(tmp.file('devices.json'), JSON.stringify(devices));
    const args = netboxArgs.map((a) => (a === fx('devices.json') ? tmp.file('devices.json') : a));
    const out = tmp.file('kept.yaml');
    writeFileSync(out, 'continuousPct: 80 # the plant in use\n');
    const r = await headroom(...args, '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`headroom: ${fx('power-ports-2.json')}: power port "gpu-b02-3/PSU1" (id 525): device: "gpu-b02-3" (id 217) is in no rack in NetBox\n`);
    expect(readFileSync(out, 'utf8')).toBe('continuousPct: 80 # the plant in use\n');
  });

  it('refuses a paged answer given in part', async () => {
    const out = tmp.file('never-1.yaml');
    const args = netboxArgs.filter((a, i) => a !== fx('power-ports-2.json') && netboxArgs[i + 1] !== fx('power-ports-2.json'));
    expect(refused(await headroom(...args, '--out', out), out)).toBe(`headroom: ${fx('power-ports-1.json')}: power ports: 15 of the 30 NetBox counted: give every page (--ports page1.json --ports page2.json …, or the pages appended to one file)`);
  });
});

describe('headroom plant import yaml (Headroom’s DCIM inventory)', () => {
  it('writes the plant of site-dcim.yaml and prints the budgets', async () => {
    const out = tmp.file('dcim.yaml');
    const r = await headroom('yaml', '--scenario', fx('site.yaml'), '--in', fx('site-dcim.yaml'), '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe(`4 racks under 6 panels, 2 UPS → ${out}\n  row A: 68.8 kW, limited by racks\n  row B: 35 kW, limited by racks\n`);
    const spec = PlantSpecSchema.parse(parse(readFileSync(out, 'utf8')));
    expect(spec.devices.map((d) => d.id)).toEqual(['SWB-1', 'SWB-2', 'PP-A-A', 'PP-A-B', 'BW-B-A', 'BW-B-B']);
  });

  it('refuses a negative rating: one line naming file:line, the object and the field; exit 2; nothing written', async () => {
    const bad = tmp.file('bad-dcim.yaml');
    copyFileSync(fx('site-dcim.yaml'), bad);
    writeFileSync(bad, readFileSync(bad, 'utf8').replace('name: SWB-2, kind: switchboard, from: UPS2, amps: 1600', 'name: SWB-2, kind: switchboard, from: UPS2, amps: -1600'));
    const out = tmp.file('never-2.yaml');
    expect(refused(await headroom('yaml', '--scenario', fx('site.yaml'), '--in', bad, '--out', out), out)).toBe(`headroom: ${bad}:12: switchboard "SWB-2": amps: Too small: expected number to be >0`);
  });

  it('leaves no temporary file when the plant cannot be renamed into place (the output is a folder)', async () => {
    const out = tmp.file('a-folder');
    mkdirSync(out);
    const r = await headroom('yaml', '--scenario', fx('site.yaml'), '--in', fx('site-dcim.yaml'), '--out', out);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(new RegExp(`^headroom: ${out}: cannot write \\((EISDIR|ENOTDIR|EPERM|EEXIST|ENOTEMPTY)\\)\n$`));
    expect(readdirSync(tmp.dir).filter((f) => f.includes('.tmp-'))).toEqual([]);
    expect(statSync(out).isDirectory()).toBe(true);
  });

  it('refuses NetBox options with --in', async () => {
    const out = tmp.file('never-3.yaml');
    expect(refused(await headroom('yaml', '--in', fx('site-dcim.yaml'), '--feeds', fx('power-feeds.json'), '--out', out), out)).toBe('headroom: plant import yaml takes --in, not --feeds');
  });
});

/** The default site (40 racks): NetBox power feeds generated per rack under an upstream plant with one device per panel. */
const site = resolveTopology(defaultTopologySpec(1));
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

describe('headroom plant import netbox (the default site, power feeds only)', () => {
  it('NetBox power feeds become the racks’ A and B PDUs under the upstream plant; budgets follow', async () => {
    writeFileSync(tmp.file('feeds.json'), feeds());
    writeFileSync(tmp.file('upstream.yaml'), upstream);
    const out = tmp.file('plant.yaml');
    const r = await headroom('netbox', '--feeds', tmp.file('feeds.json'), '--upstream', tmp.file('upstream.yaml'), '--out', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/40 racks fed from 8 panels \(1 feeds skipped/);
    const spec = PlantSpecSchema.parse(parse(readFileSync(out, 'utf8')));
    expect(spec.racks[0]).toEqual({ row: 'A', racks: site.racks.slice(0, 10).map((x) => x.id), a: 'PP-A-A', b: 'PP-A-B', pdu: { amps: 63, volts: 415, phases: 3, powerFactor: 0.95, curve: 'C' } });
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
    ['a feed with no amperage', (l: Array<Record<string, unknown>>) => delete l[3]!.amperage, /power feed "PF-A02-B" \(id 4\): amperage: /],
    ['a rack with no primary feed', (l: Array<Record<string, unknown>>) => l.splice(0, 1), /rack A01: no active primary power feed wired to it/],
  ])('refuses %s: one line naming the file, the object and the field; exit 2; nothing written', async (_what, edit, message) => {
    writeFileSync(tmp.file('bad.json'), feeds(edit));
    writeFileSync(tmp.file('upstream.yaml'), upstream);
    const out = tmp.file('never.yaml');
    expect(refused(await headroom('netbox', '--feeds', tmp.file('bad.json'), '--upstream', tmp.file('upstream.yaml'), '--out', out), out)).toMatch(message);
  });
});
