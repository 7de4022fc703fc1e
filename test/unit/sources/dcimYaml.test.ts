import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { firmBudgets, resolvePlant } from '../../../main/core/plant.js';
import { loadScenario } from '../../../main/sim/config.js';
import { DcimError } from '../../../main/sources/dcimJson.js';
import { dcimYamlPlant, DcimYamlSchema } from '../../../main/sources/dcimYaml.js';
import { PlantSpecSchema } from '../../../shared/domain/plant.js';

/** Headroom's DCIM YAML → a plant spec, on AMS1 hall 1 (test/fixtures/netbox/site.yaml: racks A01, A02, B01, B02). */
const dir = 'test/fixtures/netbox';
const text = readFileSync(`${dir}/site-dcim.yaml`, 'utf8');
const site = loadScenario(`${dir}/site.yaml`).topology;
/** The fixture with one line replaced (the line must be there). */
const edit = (from: string, to: string): string => {
  expect(text).toContain(from);
  return text.replace(from, to);
};
const refusal = (yaml: string): string => {
  try {
    dcimYamlPlant(yaml, 'site-dcim.yaml', site);
  } catch (e) {
    expect(e).toBeInstanceOf(DcimError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('dcimYamlPlant', () => {
  it('converts feeds, UPS, panels and racks into a plant spec that resolves on the site', () => {
    const { spec, site: name } = dcimYamlPlant(text, 'site-dcim.yaml', site);
    expect(name).toBe('AMS1 hall 1');
    expect(spec.ups[0]).toEqual({ id: 'UPS1', feed: 'U1', modules: 4, moduleKW: 250, redundantModules: 1, rideThroughS: 300 });
    expect(spec.devices?.map((d) => [d.id, d.kind, d.from])).toEqual([
      ['SWB-1', 'switchboard', 'UPS1'], ['SWB-2', 'switchboard', 'UPS2'], ['PP-A-A', 'pdu', 'SWB-1'], ['PP-A-B', 'pdu', 'SWB-2'], ['BW-B-A', 'busway', 'SWB-1'], ['BW-B-B', 'busway', 'SWB-2'],
    ]);
    expect(spec.devices?.[4]).toMatchObject({ amps: 100, volts: 415, curve: 'none' });
    expect(spec.racks).toEqual([
      { row: 'A', racks: ['A01', 'A02'], a: 'PP-A-A', b: 'PP-A-B', pdu: { amps: 63, volts: 415, phases: 3, curve: 'C' } },
      { row: 'B', racks: ['B01', 'B02'], a: 'BW-B-A', b: 'BW-B-B', pdu: { amps: 32, volts: 415 } },
    ]);
    // Row A: two 63 A rack PDUs (43.0 kW, 34.4 kW continuous); row B: two 32 A ones (21.8 kW, 17.5 kW continuous).
    const b = firmBudgets(resolvePlant(PlantSpecSchema.parse(spec), site), site);
    expect(b.rowKW[0]).toBeCloseTo(68.8, 1);
    expect(b.rowKW[1]).toBeCloseTo(35.0, 1);
  });

  it('gives a rack its own PDU rating over rackPdu, and splits a row where the racks differ', () => {
    const { spec } = dcimYamlPlant(edit('  - { name: A02, a: PP-A-A, b: PP-A-B }', '  - { name: A02, a: PP-A-A, b: PP-A-B, pdu: { kW: 30 } }'), 'site-dcim.yaml', site);
    expect(spec.racks.slice(0, 2)).toEqual([
      { row: 'A', racks: ['A01'], a: 'PP-A-A', b: 'PP-A-B', pdu: { amps: 63, volts: 415, phases: 3, curve: 'C' } },
      { row: 'A', racks: ['A02'], a: 'PP-A-A', b: 'PP-A-B', pdu: { ratedKW: 30 } },
    ]);
  });

  it('accepts the README’s example', () => {
    const readme = readFileSync('README.md', 'utf8');
    const block = /\*\*Plant import\.\*\*[\s\S]*?```yaml\n([\s\S]*?)```/.exec(readme)![1]!;
    const r = DcimYamlSchema.safeParse(parse(block));
    expect(r.error?.issues ?? []).toEqual([]);
    expect(r.data?.racks.flatMap((x) => x.names ?? [x.name])).toEqual(['A01', 'A02', 'A03']);
  });

  it.each([
    ['negative amps', edit('name: PP-A-B, kind: panel, from: SWB-2, amps: 400', 'name: PP-A-B, kind: panel, from: SWB-2, amps: -400'), 'site-dcim.yaml:14: panel "PP-A-B": amps: Too small: expected number to be >0'],
    ['a string where a number is expected', edit('{ name: U2, kW: 1000 }', '{ name: U2, kW: "1 MW" }'), 'site-dcim.yaml:6: feed "U2": kW: Invalid input: expected number, received string'],
    ['an unknown field', edit('moduleKW: 250 }', 'moduleKW: 250, modlues: 5 }'), 'site-dcim.yaml:9: UPS "UPS2": modlues: not a field here (a typo?)'],
    ['a panel with no rating', edit(', amps: 100, volts: 415, curve: none }\n  - { name: BW-B-B', ', curve: none }\n  - { name: BW-B-B'), 'site-dcim.yaml:15: busway "BW-B-A": (entry): no rating: give kW, or amps and volts'],
    ['duplicate names', edit('{ name: SWB-2, kind: switchboard', '{ name: UPS2, kind: switchboard'), 'site-dcim.yaml:12: switchboard "UPS2": name: duplicate: also the name of UPS [1] under ups:'],
    ['a UPS on a feed the file lacks', edit('{ name: UPS2, feed: U2', '{ name: UPS2, feed: U3'), 'site-dcim.yaml:9: UPS "UPS2": feed: "U3" is not a feed of the file (feeds: U1, U2)'],
    ['a panel on a panel the file lacks', edit('{ name: PP-A-B, kind: panel, from: SWB-2', '{ name: PP-A-B, kind: panel, from: SWB-3'), 'site-dcim.yaml:14: panel "PP-A-B": from: "SWB-3" is not a UPS or panel of the file'],
    ['a panel straight on a utility feed', edit('{ name: SWB-1, kind: switchboard, from: UPS1', '{ name: SWB-1, kind: switchboard, from: U1'), 'site-dcim.yaml:11: switchboard "SWB-1": from: "U1" is not a UPS or panel of the file (put a UPS between a utility feed and a panel)'],
    ['a supply loop', edit('{ name: SWB-1, kind: switchboard, from: UPS1', '{ name: SWB-1, kind: switchboard, from: PP-A-A'), 'site-dcim.yaml:11: switchboard "SWB-1": from: its supply loops back to itself (SWB-1 → PP-A-A → SWB-1)'],
    ['a rack on a panel the file lacks', edit('{ name: A02, a: PP-A-A, b: PP-A-B }', '{ name: A02, a: PP-A-A, b: PP-A-C }'), 'site-dcim.yaml:21: rack "A02": b: "PP-A-C" is not a UPS or panel of the file'],
    ['a rack the topology lacks', edit('names: [B01, B02]', 'names: [B01, B02, B03]'), 'site-dcim.yaml:22: rack "B01, B02, B03": names: "B03" is not a rack of the site (racks: A01, A02, B01, B02)'],
    ['a rack in another row', edit('{ name: A02, a: PP-A-A', '{ name: A02, row: B, a: PP-A-A'), 'site-dcim.yaml:21: rack "A02": row: the site has rack A02 in row A'],
    ['a rack listed twice', edit('{ name: A02, a: PP-A-A', '{ names: [A02, A01], a: PP-A-A'), 'site-dcim.yaml:21: rack "A02, A01": names: rack A01 is listed twice (also racks [0])'],
    ['a rack of the site left out', edit('  - { name: A02, a: PP-A-A, b: PP-A-B }\n', ''), 'site-dcim.yaml:20: racks: the site\'s rack A02 (row A) is not listed: give its A panel (and B)'],
    ['a rack with no PDU rating', edit('rackPdu: { amps: 63, volts: 415, phases: 3, curve: C }\n', ''), 'site-dcim.yaml:19: rack "A01": pdu: no rack PDU rating (give pdu: here, or rackPdu: for every rack)'],
    ['not YAML', edit('racks:\n', 'racks: [\n'), 'site-dcim.yaml:20: not YAML (Block collections are not allowed within flow collections)'],
  ])('refuses %s: one line naming the file and line, the object and the field', (_what, yaml, message) => {
    expect(refusal(yaml)).toBe(message);
  });
});
