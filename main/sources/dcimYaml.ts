import { isNode, LineCounter, parseDocument, type Document } from 'yaml';
import { z } from 'zod';
import { CoolingSpecSchema, TripCurveSchema, type PlantSpecInput } from '../../shared/domain/plant.js';
import type { Topology } from '../../shared/domain/topology.js';
import { DcimError } from './dcimJson.js';

/**
 * Headroom's own DCIM inventory (`headroom plant import yaml --in site-dcim.yaml`): a site's electrical chain as a
 * person writes it down — utility feeds, UPS, the panels / switchboards / busways below them with their rating and
 * breaker curve, and each rack with the panels its A and B PDUs hang from — converted into a plant spec. Pure: YAML
 * text in, plant spec out; every problem is one line naming the file and line, the object and the field.
 */

const Name = z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, "_", "." or "-" (at most 64)');
const Rating = {
  /** Rating in kW at the device, or amps and volts (three-phase unless phases: 1) at a power factor. */
  kW: z.number().positive().optional(),
  amps: z.number().positive().optional(),
  volts: z.number().positive().optional(),
  phases: z.union([z.literal(1), z.literal(3)]).optional(),
  powerFactor: z.number().min(0.5).max(1).optional(),
  curve: TripCurveSchema.optional(),
};
type RatingIn = { kW?: number; amps?: number; volts?: number; phases?: 1 | 3; powerFactor?: number; curve?: z.output<typeof TripCurveSchema> };
const rated = (r: RatingIn) => r.kW !== undefined || (r.amps !== undefined && r.volts !== undefined);
const RATED = { message: 'no rating: give kW, or amps and volts' };

/** Kinds of distribution a panel entry may be; `panel` is a power panel (Headroom's `pdu` device). */
const PANEL_KINDS = { panel: 'pdu', pdu: 'pdu', switchboard: 'switchboard', busway: 'busway', breaker: 'breaker' } as const;

export const DcimYamlSchema = z.strictObject({
  /** What the file describes (free text; the topology is the scenario's). */
  site: z.string().optional(),
  /** Share of a breaker's rating it may carry continuously (NEC: 80 %). */
  continuousPct: z.number().min(50).max(100).default(80),
  feeds: z.array(z.strictObject({ name: Name, kW: z.number().positive() })).min(1),
  ups: z
    .array(
      z.strictObject({
        name: Name,
        feed: Name,
        modules: z.number().int().min(1).max(64),
        moduleKW: z.number().positive(),
        redundant: z.number().int().min(0).max(8).default(1),
        rideThroughS: z.number().min(0).max(3600).default(300),
      }),
    )
    .min(1),
  panels: z.array(z.strictObject({ name: Name, kind: z.enum(Object.keys(PANEL_KINDS) as [keyof typeof PANEL_KINDS]).default('panel'), from: Name, ...Rating }).refine(rated, RATED)).default([]),
  /** The rack PDU of every rack that does not give its own `pdu:`. */
  rackPdu: z.strictObject(Rating).refine(rated, RATED).optional(),
  racks: z
    .array(
      z
        .strictObject({ name: Name.optional(), names: z.array(Name).min(1).optional(), row: Name.optional(), a: Name, b: Name.optional(), pdu: z.strictObject(Rating).refine(rated, RATED).optional() })
        .refine((r) => (r.name === undefined) !== (r.names === undefined), { message: 'give name (one rack) or names (several), not both' }),
    )
    .min(1),
  cooling: CoolingSpecSchema.optional(),
});

const KINDS: Record<string, string> = { feeds: 'feed', ups: 'UPS', panels: 'panel', racks: 'rack' };

/** Where a field is: its line (or its nearest enclosing node's), and the object it belongs to. */
function locate(doc: Document, lc: LineCounter, data: unknown, path: ReadonlyArray<PropertyKey>): { line: number | null; object: string; field: string } {
  let line: number | null = null;
  for (let k = path.length; k >= 0 && line === null; k--) {
    const node: unknown = k === 0 ? doc.contents : doc.getIn(path.slice(0, k) as unknown[], true);
    if (isNode(node) && node.range) line = lc.linePos(node.range[0]).line;
  }
  const [list, index, ...rest] = path;
  const kind = typeof list === 'string' ? KINDS[list] : undefined;
  if (kind === undefined || typeof index !== 'number') return { line, object: '', field: path.map(String).join('.') || '(document)' };
  const entry = (data as Record<string, unknown[]>)[list as string]?.[index] as Record<string, unknown> | undefined;
  const name = entry?.name ?? (Array.isArray(entry?.names) ? entry.names.join(', ') : undefined);
  const shown = list === 'panels' && typeof entry?.kind === 'string' && entry.kind in PANEL_KINDS ? entry.kind : kind;
  return { line, object: name !== undefined ? `${shown} "${String(name)}"` : `${shown} [${index}]`, field: rest.map(String).join('.') || '(entry)' };
}

/**
 * The plant spec of `text` (Headroom's DCIM YAML) on `topology`'s racks. Every reference is checked here (a UPS's
 * feed, a panel's supply, a rack's A and B panels, racks of the site, each rack listed once, no supply loop), so the
 * spec it returns resolves; the first problem is a DcimError: `file:line: panel "PP-A": amps: …`.
 */
export function dcimYamlPlant(text: string, file: string, topology: Topology): { spec: PlantSpecInput; site: string | undefined } {
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false });
  if (doc.errors.length > 0) {
    const e = doc.errors[0]!;
    throw new DcimError(`${file}:${lc.linePos(e.pos[0]).line}: not YAML (${e.message.split('\n')[0]})`);
  }
  const data: unknown = doc.toJS();
  const fail = (path: ReadonlyArray<PropertyKey>, reason: string): never => {
    const at = locate(doc, lc, data, path);
    throw new DcimError(`${file}${at.line ? `:${at.line}` : ''}: ${at.object ? `${at.object}: ` : ''}${at.field}: ${reason}`);
  };
  const r = DcimYamlSchema.safeParse(data);
  if (!r.success) {
    const issue = r.error.issues[0]!;
    fail(issue.code === 'unrecognized_keys' ? [...issue.path, issue.keys[0]!] : issue.path, issue.code === 'unrecognized_keys' ? 'not a field here (a typo?)' : issue.message);
  }
  const d = r.data!;

  const devices = new Map<string, { list: string; i: number; kind: 'feed' | 'ups' | 'panel' }>();
  const declare = (list: string, i: number, name: string, kind: 'feed' | 'ups' | 'panel') => {
    const twin = devices.get(name);
    if (twin) fail([list, i, 'name'], `duplicate: also the name of ${KINDS[twin.list]} [${twin.i}]${twin.list === list ? '' : ` under ${twin.list}:`}`);
    devices.set(name, { list, i, kind });
  };
  d.feeds.forEach((f, i) => declare('feeds', i, f.name, 'feed'));
  d.ups.forEach((u, i) => declare('ups', i, u.name, 'ups'));
  d.panels.forEach((p, i) => declare('panels', i, p.name, 'panel'));
  const supply = (name: string) => devices.get(name)?.kind;
  d.ups.forEach((u, i) => {
    if (supply(u.feed) !== 'feed') fail(['ups', i, 'feed'], `"${u.feed}" is not a feed of the file (feeds: ${d.feeds.map((f) => f.name).join(', ')})`);
    if (u.redundant >= u.modules) fail(['ups', i, 'redundant'], `${u.redundant} redundant of ${u.modules} modules leaves none to carry load`);
  });
  const from = new Map(d.panels.map((p) => [p.name, p.from]));
  d.panels.forEach((p, i) => {
    const k = supply(p.from);
    if (k !== 'ups' && k !== 'panel') fail(['panels', i, 'from'], `"${p.from}" is not a UPS or panel of the file${k === 'feed' ? ' (put a UPS between a utility feed and a panel)' : ''}`);
    const chain = [p.name];
    for (let up = p.from; from.has(up); up = from.get(up)!) {
      chain.push(up);
      if (up === p.name) fail(['panels', i, 'from'], `its supply loops back to itself (${chain.join(' → ')})`);
      if (chain.length > d.panels.length + 1) break;
    }
  });

  const where = new Map(topology.racks.map((t) => [t.id, topology.rows[t.row]!.id]));
  const listed = new Map<string, { a: string; b?: string; pdu: RatingIn; i: number }>();
  d.racks.forEach((rack, i) => {
    const names = rack.names ?? [rack.name!];
    const field = rack.names ? 'names' : 'name';
    for (const name of names) {
      const row = where.get(name);
      if (row === undefined) fail(['racks', i, field], `"${name}" is not a rack of the site (racks: ${topology.racks.slice(0, 5).map((x) => x.id).join(', ')}${topology.racks.length > 5 ? ' …' : ''})`);
      if (rack.row !== undefined && rack.row !== row) fail(['racks', i, 'row'], `the site has rack ${name} in row ${row}`);
      const twin = listed.get(name);
      if (twin) fail(['racks', i, field], `rack ${name} is listed twice (also racks [${twin.i}])`);
      for (const side of ['a', 'b'] as const) {
        const panel = rack[side];
        const k = panel === undefined ? 'panel' : supply(panel);
        if (k !== 'ups' && k !== 'panel') fail(['racks', i, side], `"${panel}" is not a UPS or panel of the file`);
      }
      const pdu = rack.pdu ?? d.rackPdu;
      if (!pdu) fail(['racks', i, 'pdu'], 'no rack PDU rating (give pdu: here, or rackPdu: for every rack)');
      listed.set(name, { a: rack.a, ...(rack.b ? { b: rack.b } : {}), pdu: pdu!, i });
    }
  });
  const absent = topology.racks.find((t) => !listed.has(t.id));
  if (absent) fail(['racks'], `the site's rack ${absent.id} (row ${where.get(absent.id)}) is not listed: give its A panel (and B)`);

  const rating = (x: RatingIn) => ({
    ...(x.kW !== undefined ? { ratedKW: x.kW } : {}),
    ...(x.amps !== undefined ? { amps: x.amps, volts: x.volts } : {}),
    ...(x.phases !== undefined ? { phases: x.phases } : {}),
    ...(x.powerFactor !== undefined ? { powerFactor: x.powerFactor } : {}),
    ...(x.curve !== undefined ? { curve: x.curve } : {}),
  });
  const racks: PlantSpecInput['racks'] = [];
  for (const t of topology.racks) {
    const x = listed.get(t.id)!;
    const row = where.get(t.id)!;
    const pdu = rating(x.pdu);
    const last = racks[racks.length - 1];
    if (last && last.row === row && last.a === x.a && last.b === x.b && JSON.stringify(last.pdu) === JSON.stringify(pdu)) last.racks!.push(t.id);
    else racks.push({ row, racks: [t.id], a: x.a, ...(x.b ? { b: x.b } : {}), pdu });
  }
  const spec: PlantSpecInput = {
    continuousPct: d.continuousPct,
    feeds: d.feeds.map((f) => ({ id: f.name, ratedKW: f.kW })),
    ups: d.ups.map((u) => ({ id: u.name, feed: u.feed, modules: u.modules, moduleKW: u.moduleKW, redundantModules: u.redundant, rideThroughS: u.rideThroughS })),
    devices: d.panels.map((p) => ({ id: p.name, kind: PANEL_KINDS[p.kind], from: p.from, ...rating(p) })),
    racks,
    ...(d.cooling ? { cooling: d.cooling } : {}),
  };
  return { spec, site: d.site };
}
