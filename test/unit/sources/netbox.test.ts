import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { firmBudgets, resolvePlant } from '../../../main/core/plant.js';
import { loadScenario } from '../../../main/sim/config.js';
import { DcimError, readList, type DcimText } from '../../../main/sources/dcimJson.js';
import { netboxPlant, type NetboxInputs } from '../../../main/sources/netbox.js';
import { PlantSpecSchema } from '../../../shared/domain/plant.js';

/** NetBox → rack feeds on AMS1 hall 1 (test/fixtures/netbox: four racks, and one rack at FRA1 in the same NetBox). */
const dir = 'test/fixtures/netbox';
const fx = (name: string): DcimText => ({ file: name, text: readFileSync(`${dir}/${name}`, 'utf8') });
const site = loadScenario(`${dir}/site.yaml`).topology;
const upstream = new Set(['PP-A-A', 'PP-A-B', 'PP-B-A', 'PP-B-B']);

type Obj = Record<string, unknown> & { id: number; name: string };
/** A fixture's objects (its pages joined, whatever their count), edited, as a plain array (a NetBox export). */
const edited = (name: string, edit: (list: Obj[]) => void): DcimText => {
  const list = readList('objects', '--x', [{ file: name, text: fx(name).text.replace(/"count":\d+,/g, '') }]).map((i) => i.raw as Obj);
  edit(list);
  return { file: name, text: JSON.stringify(list) };
};
const byName = (list: Obj[], name: string) => list.find((o) => o.name === name)!;
const port = (list: Obj[], device: string, name: string) => list.find((o) => (o.device as Obj).name === device && o.name === name)!;

const all = (): NetboxInputs => ({
  feeds: [fx('power-feeds.json')],
  panels: [fx('power-panels.json')],
  racks: [fx('racks.json')],
  devices: [fx('devices.json')],
  ports: [fx('power-ports-1.json'), fx('power-ports-2.json')],
  site: 'ams1',
});
const run = (over: Partial<NetboxInputs> = {}, devices: ReadonlySet<string> = upstream) => netboxPlant({ ...all(), ...over }, site, devices, 'upstream.yaml');
/** The one line a refusal prints. */
const refusal = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(DcimError);
    expect((e as Error).message).not.toContain('\n');
    return (e as Error).message;
  }
  throw new Error('expected a refusal');
};

describe('NetBox lists: pages, files, exports', () => {
  it('joins two pages appended to one file, pages given as two files, and a plain array alike', () => {
    expect(readList('power feeds', '--feeds', [fx('power-feeds.json')]).map((i) => (i.raw as Obj).id)).toEqual([101, 102, 103, 104, 105, 106, 107, 108, 109, 110]);
    const ports = readList('power ports', '--ports', [fx('power-ports-1.json'), fx('power-ports-2.json')]);
    expect(ports).toHaveLength(30);
    expect(ports[15]).toMatchObject({ file: 'power-ports-2.json', index: 0 });
    expect(readList('racks', '--racks', [fx('racks.json')]).map((i) => (i.raw as Obj).name)).toEqual(['A01', 'A02', 'B01', 'B02', 'A01']);
  });

  it('refuses an incomplete paged answer, a page given twice, and text that is not JSON', () => {
    expect(refusal(() => readList('power ports', '--ports', [fx('power-ports-1.json')]))).toBe(
      'power-ports-1.json: power ports: 15 of the 30 NetBox counted: give every page (--ports page1.json --ports page2.json …, or the pages appended to one file)',
    );
    expect(refusal(() => readList('power ports', '--ports', [fx('power-ports-1.json'), fx('power-ports-1.json')]))).toBe(
      'power-ports-1.json: power ports "Input" (id 501): id: given twice (also power-ports-1.json [0]): overlapping pages?',
    );
    expect(refusal(() => readList('power feeds', '--feeds', [{ file: 'f.json', text: '{"count":1,"results":[\n{"id":1,,}\n]}' }]))).toMatch(/^f\.json:1: not JSON \(/);
    expect(refusal(() => readList('power feeds', '--feeds', [{ file: 'f.json', text: '{"detail":"Invalid token."}' }]))).toBe(
      'f.json: document 1: neither a NetBox list answer ({ count, results: [...] }) nor a JSON array of power feeds',
    );
  });
});

describe('netboxPlant', () => {
  it('turns AMS1’s feeds, panels, racks, devices and power ports into rack PDUs, draws and one warning', () => {
    const nb = run();
    expect(nb.racks).toEqual([
      { row: 'A', racks: ['A01', 'A02'], a: 'PP-A-A', b: 'PP-A-B', pdu: { amps: 63, volts: 415, phases: 3 } },
      { row: 'B', racks: ['B01', 'B02'], a: 'PP-B-A', b: 'PP-B-B', pdu: { amps: 63, volts: 415, phases: 3 } },
    ]);
    expect(nb).toMatchObject({ continuousPct: 80, panels: ['PP-A-A', 'PP-A-B', 'PP-B-A', 'PP-B-B'], skipped: 2, portsSkipped: 10 });
    // Two servers × two PSUs at 2,200 W allocated (3,000 W max); B02: four servers × two PSUs at 4,800 (5,000) W.
    expect(Object.fromEntries(nb.draws)).toEqual({
      A01: { allocatedW: 8800, nameplateW: 12000, ports: 4 },
      A02: { allocatedW: 8800, nameplateW: 12000, ports: 4 },
      B01: { allocatedW: 8800, nameplateW: 12000, ports: 4 },
      B02: { allocatedW: 38400, nameplateW: 40000, ports: 8 },
    });
    // 63 A × 415 V × √3 × 0.95 × 80 % = 34.4 kW: only B02 is allocated more.
    expect(nb.warnings).toEqual(['rack B02: allocated draw 38.4 kW (8 power ports) exceeds the 34.4 kW its feed "PF-B02-A" carries continuously (63 A × 415 V three-phase × pf 0.95 × 80 %)']);
    const spec = PlantSpecSchema.parse({ feeds: [{ id: 'U1', ratedKW: 1000 }], ups: [{ id: 'UPS1', feed: 'U1', modules: 4, moduleKW: 250 }], devices: [...upstream].map((id) => ({ id, kind: 'pdu', from: 'UPS1', ratedKW: 300 })), racks: nb.racks });
    expect(firmBudgets(resolvePlant(spec, site), site).rowKW[0]).toBeCloseTo(68.8, 1);
  });

  it('needs only the power feeds (names from their brief objects); a feed at another site then collides', () => {
    const onlyAms = edited('power-feeds.json', (l) => l.splice(l.findIndex((f) => f.name === 'PF-FRA-A01-A'), 1));
    expect(run({ feeds: [onlyAms], panels: [], racks: [], devices: [], ports: [], site: undefined }).racks).toEqual(run().racks);
    expect(refusal(() => run({ panels: [], racks: [], devices: [], ports: [], site: undefined }))).toBe(
      'power-feeds.json: power feed "PF-FRA-A01-A" (id 110): type: rack A01 already has a primary feed ("PF-A01-A") (two racks of one name at different sites? give --racks and --site)',
    );
    expect(refusal(() => run({ site: undefined }))).toBe('racks.json: racks at 2 sites (ams1, fra1): import one site at a time (--site ams1)');
  });

  it('reports the panels that feed none of the site’s racks', () => {
    const idle = edited('power-panels.json', (l) => l.push({ ...byName(l, 'PP-A-A'), id: 6, name: 'PP-C-A' }));
    expect(run({ panels: [idle] }).warnings).toContain('power panels that feed none of the site\'s racks (left out): PP-C-A');
  });

  it('takes a port’s rack from the feed it plugs into when no device list says where it stands', () => {
    const inlets = edited('power-ports-1.json', (l) => {
      l.splice(0, l.length, ...l.filter((p) => p.link_peers_type === 'dcim.powerfeed'));
      for (const p of l) Object.assign(p, { maximum_draw: 20000, allocated_draw: 9000 });
    });
    const nb = run({ ports: [inlets], devices: [] });
    expect(Object.fromEntries([...nb.draws].map(([r, d]) => [r, d.allocatedW]))).toEqual({ A01: 18000, A02: 18000, B01: 18000 });
  });

  it.each<[string, () => ReturnType<typeof run>, string]>([
    ['a feed at a panel the upstream plant lacks', () => run({}, new Set(['PP-A-A', 'PP-A-B', 'PP-B-A'])), 'power-feeds.json: power feed "PF-B01-B" (id 106): power_panel: "PP-B-B" is not in the upstream plant upstream.yaml (add it under devices: with from: and a rating)'],
    ['feeds at two panels it lacks', () => run({}, new Set(['PP-A-A', 'PP-A-B'])), 'power-feeds.json: power feed "PF-B01-A" (id 105): power_panel: "PP-B-A" is not in the upstream plant upstream.yaml (add each of PP-B-A, PP-B-B under devices: with from: and a rating)'],
    ['a feed at a panel NetBox’s panels lack', () => run({ panels: [edited('power-panels.json', (l) => l.splice(3, 1))] }), 'power-feeds.json: power feed "PF-B01-B" (id 106): power_panel: "PP-B-B" (id 4) is not in power-panels.json'],
    ['a feed to a rack the topology lacks', () => run({ racks: [], site: undefined, feeds: [edited('power-feeds.json', (l) => ((byName(l, 'PF-FRA-A01-A').rack as Obj).name = 'C07'))] }), 'power-feeds.json: power feed "PF-FRA-A01-A" (id 110): rack: "C07" is not a rack of the site (racks: A01, A02, B01, B02)'],
    ['a feed to a rack NetBox’s racks lack', () => run({ feeds: [edited('power-feeds.json', (l) => ((byName(l, 'PF-A01-A').rack as Obj).id = 99))] }), 'power-feeds.json: power feed "PF-A01-A" (id 101): rack: rack "A01" (id 99) is not in racks.json'],
    ['a rack of the site NetBox does not have', () => run({ racks: [edited('racks.json', (l) => (byName(l, 'B02').name = 'B03'))] }), 'racks.json: rack B02: the site\'s rack is not in NetBox at site ams1'],
    ['a negative amperage', () => run({ feeds: [edited('power-feeds.json', (l) => (l[0]!.amperage = -63))] }), 'power-feeds.json: power feed "PF-A01-A" (id 101): amperage: Too small: expected number to be >0'],
    ['two panels of one name at one site', () => run({ panels: [edited('power-panels.json', (l) => (l[1]!.name = 'PP-A-A'))] }), 'power-panels.json: power panel "PP-A-A" (id 2): name: duplicate at site AMS1 (also id 1)'],
    ['two racks of one name at one site', () => run({ racks: [edited('racks.json', (l) => (l[1]!.name = 'A01'))] }), 'racks.json: rack "A01" (id 12): name: duplicate at site AMS1 (also id 11)'],
    ['a string where a draw (W) is expected', () => run({ ports: [edited('power-ports-1.json', (l) => (port(l, 'gpu-a01-1', 'PSU1').allocated_draw = '2200 W'))] }), 'power-ports-1.json: power port "gpu-a01-1/PSU1" (id 503): allocated_draw: Invalid input: expected number, received string'],
    ['an allocation above the nameplate', () => run({ ports: [edited('power-ports-1.json', (l) => (port(l, 'gpu-a01-1', 'PSU2').allocated_draw = 3500))] }), 'power-ports-1.json: power port "gpu-a01-1/PSU2" (id 504): allocated_draw: 3500 W exceeds its maximum_draw 3000 W'],
    ['a port on a device in no rack', () => run({ devices: [edited('devices.json', (l) => (byName(l, 'gpu-b02-1').rack = null))] }), 'power-ports-2.json: power port "gpu-b02-1/PSU1" (id 521): device: "gpu-b02-1" (id 215) is in no rack in NetBox'],
    ['a port whose device’s rack is unknown', () => run({ devices: [] }), 'power-ports-1.json: power port "gpu-a01-1/PSU1" (id 503): device: "gpu-a01-1" (id 203) has no rack here (give --devices with /api/dcim/devices/, whose devices name their rack)'],
    ['a port on a device in a rack the topology lacks', () => run({ racks: [], site: undefined, feeds: [edited('power-feeds.json', (l) => l.pop())], devices: [edited('devices.json', (l) => ((byName(l, 'gpu-a02-2').rack as Obj).name = 'C07'))] }), 'power-ports-1.json: power port "gpu-a02-2/PSU1" (id 511): device.rack: "C07" is not a rack of the site (racks: A01, A02, B01, B02)'],
    ['a rack PDU whose inlet plugs into another rack’s feed', () => run({ ports: [edited('power-ports-1.json', (l) => Object.assign(port(l, 'pdu-a01-a', 'Input'), { allocated_draw: 9000, connected_endpoints: [{ id: 105 }] })), fx('power-ports-2.json')] }), 'power-ports-1.json: power port "pdu-a01-a/Input" (id 501): connected_endpoints: plugs into power feed id 105 of rack B01, but its device "pdu-a01-a" stands in rack A01'],
    ['a port plugged into a feed NetBox’s feeds lack', () => run({ devices: [], ports: [edited('power-ports-1.json', (l) => l.splice(0, l.length, Object.assign(port(l, 'pdu-a01-a', 'Input'), { allocated_draw: 9000, link_peers: [{ id: 199 }], connected_endpoints: null, connected_endpoints_type: null })))] }), 'power-ports-1.json: power port "pdu-a01-a/Input" (id 501): link_peers: power feed id 199 is not among the power feeds'],
    ['--site without the racks', () => run({ racks: [] }), '--site ams1: needs the racks (--racks racks.json) to know which site each rack is at'],
    ['a site no rack is at', () => run({ site: 'ams2' }), '--site ams2: no rack of racks.json is there (sites: ams1, fra1)'],
  ])('refuses %s: one line naming the file, the object and the field', (_what, f, message) => {
    expect(refusal(f)).toBe(message);
  });
});
