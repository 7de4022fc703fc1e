import { z } from 'zod';
import type { PlantSpecInput } from '../../shared/domain/plant.js';
import type { Topology } from '../../shared/domain/topology.js';
import { Brief, Choice, choice, DcimError, labelOf, parseItem, readList, type DcimItem, type DcimText } from './dcimJson.js';
import { rackDraws, type RackDraw } from './dcimPorts.js';

/**
 * NetBox → the plant's rack feeds. NetBox models what is wired to each rack: power feeds (`/api/dcim/power-feeds/`)
 * from a power panel (`/api/dcim/power-panels/`) to a rack (`/api/dcim/racks/`), with voltage, amperage, phase, type
 * (primary / redundant) and max utilisation, and what each device draws through its power ports
 * (`/api/dcim/power-ports/`: allocated and maximum draw, W). It does not model what is above a power panel (UPS,
 * switchboards) nor a panel's rating, so those come from an "upstream" plant file (feeds, UPS, and one device per
 * power panel). Pure: JSON text in, plant spec out; every problem names the file, the NetBox object and the field.
 */

const SiteBrief = Brief.extend({ slug: z.string().optional() });

const PowerFeedSchema = z.looseObject({
  id: z.number().int(),
  name: z.string().min(1),
  power_panel: Brief,
  rack: Brief.nullable(),
  status: Choice.optional(),
  type: Choice.optional(),
  supply: Choice.optional(),
  phase: Choice.optional(),
  voltage: z.number().positive(),
  amperage: z.number().positive(),
  max_utilization: z.number().min(1).max(100).default(80),
});
type PowerFeed = z.infer<typeof PowerFeedSchema>;

const PowerPanelSchema = z.looseObject({ id: z.number().int(), name: z.string().min(1), site: SiteBrief });
const RackSchema = z.looseObject({ id: z.number().int(), name: z.string().min(1), site: SiteBrief, status: Choice.optional() });

/** What the CLI read from NetBox (each kind: one or more files of pages); only the power feeds are required. */
export interface NetboxInputs {
  feeds: readonly DcimText[];
  panels?: readonly DcimText[];
  racks?: readonly DcimText[];
  ports?: readonly DcimText[];
  devices?: readonly DcimText[];
  /** Import only this NetBox site (slug or name): needs `racks` to know where each rack stands. */
  site?: string;
}

export interface NetboxImport {
  racks: PlantSpecInput['racks'];
  /** The lowest max_utilization of the feeds used (NetBox's continuous share). */
  continuousPct: number;
  /** Power panels the racks hang from (device ids the upstream plant places). */
  panels: string[];
  /** Feeds not imported: not active, not wired to a rack, or at another site. */
  skipped: number;
  /** Per rack, what its devices' power ports draw (empty without `ports`). */
  draws: Map<string, RackDraw>;
  /** Power ports left out: no draw recorded (a rack PDU's own inlet), or at another site. */
  portsSkipped: number;
  /** Lines for the operator that do not stop the import (a rack allocated more than its feed carries). */
  warnings: string[];
}

function inSite(site: z.infer<typeof SiteBrief>, want: string | undefined): boolean {
  return want === undefined || site.name === want || site.slug === want;
}

/** NetBox objects with a site, by id; two of one name at one site is refused (they would become one device). */
function byId<T extends { id: number; name: string; site: z.infer<typeof SiteBrief> }>(kind: string, items: DcimItem[], schema: z.ZodType<T>): Map<number, { obj: T; item: DcimItem }> {
  const out = new Map<number, { obj: T; item: DcimItem }>();
  const names = new Map<string, T>();
  for (const item of items) {
    const obj = parseItem(schema, item, labelOf(kind, item.raw, item.index));
    const key = `${obj.site.id ?? obj.site.name}\u0000${obj.name}`;
    const twin = names.get(key);
    if (twin) throw new DcimError(`${item.file}: ${labelOf(kind, item.raw, item.index)}: name: duplicate at site ${obj.site.name} (also id ${twin.id})`);
    names.set(key, obj);
    out.set(obj.id, { obj, item });
  }
  return out;
}

/** A rack's primary feed as the cross-check sees it. */
interface FeedRating {
  name: string;
  amps: number;
  volts: number;
  threePhase: boolean;
  maxUtilPct: number;
}

/** Continuous power of a feed, W: amps × volts (× √3 three-phase) × power factor × its max utilisation. */
function feedContinuousW(f: FeedRating, powerFactor = 0.95): number {
  return f.amps * f.volts * (f.threePhase ? Math.sqrt(3) : 1) * powerFactor * (f.maxUtilPct / 100);
}

/**
 * The rack PDUs of `topology`'s racks from NetBox: for each rack its primary feed becomes the A side, its redundant
 * feed the B side, hanging from the device named like the power panel (which the upstream plant must define). Feeds
 * that are not active, not wired to a rack, or at another site are left out (and counted). With power ports, each
 * rack's allocated draw is summed and checked against what its feed carries continuously (a warning, not an error:
 * NetBox's allocations are plans).
 */
export function netboxPlant(inputs: NetboxInputs, topology: Topology, upstreamDevices: ReadonlySet<string>, upstreamFile: string): NetboxImport {
  if (inputs.site !== undefined && !inputs.racks?.length) throw new DcimError(`--site ${inputs.site}: needs the racks (--racks racks.json) to know which site each rack is at`);
  const panels = inputs.panels?.length ? byId('power panel', readList('power panels', '--panels', inputs.panels), PowerPanelSchema) : null;
  const racks = inputs.racks?.length ? byId('rack', readList('racks', '--racks', inputs.racks), RackSchema) : null;
  const rackIds = new Map(topology.racks.map((r) => [r.id, r]));
  const rackFile = inputs.racks?.map((t) => t.file).join(', ');
  if (racks && inputs.site === undefined) {
    const sites = [...new Set([...racks.values()].map((r) => r.obj.site.slug ?? r.obj.site.name))];
    if (sites.length > 1) throw new DcimError(`${rackFile}: racks at ${sites.length} sites (${sites.join(', ')}): import one site at a time (--site ${sites[0]})`);
  }
  if (racks) {
    const here = new Set([...racks.values()].filter((r) => inSite(r.obj.site, inputs.site)).map((r) => r.obj.name));
    if (here.size === 0) throw new DcimError(`--site ${inputs.site}: no rack of ${rackFile} is there (sites: ${[...new Set([...racks.values()].map((r) => r.obj.site.slug ?? r.obj.site.name))].join(', ')})`);
    const absent = topology.racks.find((r) => !here.has(r.id));
    if (absent) throw new DcimError(`${rackFile}: rack ${absent.id}: the site's rack is not in NetBox${inputs.site ? ` at site ${inputs.site}` : ''}`);
  }
  /** A NetBox rack (brief) → its name, or null when it stands at another site; refused when the racks lack it. */
  const rackName = (ref: z.infer<typeof Brief>, where: string, field: string): string | null => {
    if (!racks) return ref.name;
    const r = ref.id === undefined ? undefined : racks.get(ref.id);
    if (!r) throw new DcimError(`${where}: ${field}: rack "${ref.name}" (id ${ref.id ?? '?'}) is not in ${rackFile}`);
    return inSite(r.obj.site, inputs.site) ? r.obj.name : null;
  };
  const known = (name: string, where: string, field: string): void => {
    if (!rackIds.has(name)) throw new DcimError(`${where}: ${field}: "${name}" is not a rack of the site (racks: ${topology.racks.slice(0, 5).map((x) => x.id).join(', ')}${topology.racks.length > 5 ? ' …' : ''})`);
  };

  const byRack = new Map<string, { a?: PowerFeed; b?: PowerFeed }>();
  const feedRack = new Map<number, string | null>();
  const missing: Array<{ panel: string; where: string }> = [];
  let skipped = 0;
  let minUtil = 100;
  for (const item of readList('power feeds', '--feeds', inputs.feeds)) {
    const f = parseItem(PowerFeedSchema, item, labelOf('power feed', item.raw, item.index));
    const where = `${item.file}: power feed "${f.name}" (id ${f.id})`;
    const rack = f.rack === null ? null : rackName(f.rack, where, 'rack');
    feedRack.set(f.id, rack);
    if ((choice(f.status) ?? 'active') !== 'active' || rack === null) {
      skipped++;
      continue;
    }
    known(rack, where, 'rack');
    if ((choice(f.supply) ?? 'ac') !== 'ac') throw new DcimError(`${where}: supply: "${choice(f.supply)}" (Headroom models AC feeds)`);
    const phase = choice(f.phase) ?? 'single-phase';
    if (phase !== 'single-phase' && phase !== 'three-phase') throw new DcimError(`${where}: phase: "${phase}" (single-phase or three-phase)`);
    if (panels) {
      const p = f.power_panel.id === undefined ? undefined : panels.get(f.power_panel.id);
      if (!p) throw new DcimError(`${where}: power_panel: "${f.power_panel.name}" (id ${f.power_panel.id ?? '?'}) is not in ${inputs.panels!.map((t) => t.file).join(', ')}`);
      f.power_panel = p.obj;
    }
    if (!upstreamDevices.has(f.power_panel.name)) missing.push({ panel: f.power_panel.name, where });
    const side = (choice(f.type) ?? 'primary') === 'redundant' ? 'b' : 'a';
    const slot = byRack.get(rack) ?? {};
    if (slot[side]) {
      const hint = racks ? '' : ' (two racks of one name at different sites? give --racks and --site)';
      throw new DcimError(`${where}: type: rack ${rack} already has a ${side === 'a' ? 'primary' : 'redundant'} feed ("${slot[side].name}")${hint}`);
    }
    slot[side] = f;
    byRack.set(rack, slot);
    minUtil = Math.min(minUtil, f.max_utilization);
  }
  if (missing.length > 0) {
    const all = [...new Set(missing.map((m) => m.panel))];
    throw new DcimError(`${missing[0]!.where}: power_panel: "${missing[0]!.panel}" is not in the upstream plant ${upstreamFile} (add ${all.length > 1 ? `each of ${all.join(', ')}` : 'it'} under devices: with from: and a rating)`);
  }

  const out: PlantSpecInput['racks'] = [];
  const primary = new Map<string, FeedRating>();
  for (const rack of topology.racks) {
    const slot = byRack.get(rack.id);
    if (!slot?.a) throw new DcimError(`${inputs.feeds.map((t) => t.file).join(', ')}: rack ${rack.id}: no active primary power feed wired to it`);
    const a = slot.a;
    if (slot.b && (slot.b.amperage !== a.amperage || slot.b.voltage !== a.voltage || choice(slot.b.phase) !== choice(a.phase))) {
      throw new DcimError(`${inputs.feeds.map((t) => t.file).join(', ')}: rack ${rack.id}: its primary ("${a.name}") and redundant ("${slot.b.name}") feeds differ in rating; Headroom models a rack's two PDUs alike`);
    }
    const threePhase = choice(a.phase) === 'three-phase';
    primary.set(rack.id, { name: a.name, amps: a.amperage, volts: a.voltage, threePhase, maxUtilPct: a.max_utilization });
    out.push({ row: topology.rows[rack.row]!.id, racks: [rack.id], a: a.power_panel.name, ...(slot.b ? { b: slot.b.power_panel.name } : {}), pdu: { amps: a.amperage, volts: a.voltage, phases: threePhase ? 3 : 1 } });
  }

  const warnings: string[] = [];
  let draws = new Map<string, RackDraw>();
  let portsSkipped = 0;
  if (inputs.ports?.length) {
    const devices = inputs.devices?.length ? readList('devices', '--devices', inputs.devices) : [];
    ({ draws, skipped: portsSkipped } = rackDraws({ ports: readList('power ports', '--ports', inputs.ports), devices, feedRack, rackName, known }));
    for (const [rack, d] of draws) {
      const f = primary.get(rack)!;
      const capW = feedContinuousW(f);
      if (d.allocatedW > capW) {
        const kw = (w: number) => (w / 1000).toFixed(1);
        warnings.push(`rack ${rack}: allocated draw ${kw(d.allocatedW)} kW (${d.ports} power ports) exceeds the ${kw(capW)} kW its feed "${f.name}" carries continuously (${f.amps} A × ${f.volts} V${f.threePhase ? ' three-phase' : ''} × pf 0.95 × ${f.maxUtilPct} %)`);
      }
    }
  }
  const used = [...new Set(out.flatMap((r) => [r.a, ...(r.b ? [r.b] : [])]))];
  if (panels) {
    const idle = [...panels.values()].filter((p) => inSite(p.obj.site, inputs.site) && !used.includes(p.obj.name)).map((p) => p.obj.name);
    if (idle.length) warnings.push(`power panels that feed none of the site's racks (left out): ${idle.join(', ')}`);
  }
  return { racks: mergeRows(out), continuousPct: minUtil, panels: used, skipped, draws, portsSkipped, warnings };
}

/** Consecutive racks of a row with the same panels and rating become one entry (a readable plant file). */
function mergeRows(racks: PlantSpecInput['racks']): PlantSpecInput['racks'] {
  const out: PlantSpecInput['racks'] = [];
  for (const r of racks) {
    const last = out[out.length - 1];
    if (last && last.row === r.row && last.a === r.a && last.b === r.b && JSON.stringify(last.pdu) === JSON.stringify(r.pdu)) last.racks!.push(...r.racks!);
    else out.push({ ...r, racks: [...r.racks!] });
  }
  return out;
}
