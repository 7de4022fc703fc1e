import { z } from 'zod';
import type { PlantSpecInput } from '../../shared/domain/plant.js';
import type { Topology } from '../../shared/domain/topology.js';

/**
 * NetBox → the plant's rack feeds. NetBox models what is wired to each rack: power feeds (`/api/dcim/power-feeds/`)
 * from a power panel to a rack, with voltage, amperage, phase, type (primary / redundant) and max utilisation. It does
 * not model what is above a power panel (UPS, switchboards) nor a panel's rating, so those come from an "upstream"
 * plant file (feeds, UPS, and one device per power panel). Pure: JSON text in, plant spec out; every problem names
 * the file, the NetBox object and the field.
 */

export class NetboxError extends Error {
  override readonly name = 'NetboxError';
}

const Ref = z.object({ id: z.number().int().optional(), name: z.string().min(1) }).passthrough();
const Choice = z.union([z.object({ value: z.string() }).passthrough(), z.string()]);
const choice = (c: z.infer<typeof Choice> | null | undefined): string | null => (c == null ? null : typeof c === 'string' ? c : c.value);

const PowerFeedSchema = z
  .object({
    id: z.number().int(),
    name: z.string().min(1),
    power_panel: Ref,
    rack: Ref.nullable(),
    status: Choice.optional(),
    type: Choice.optional(),
    phase: Choice.optional(),
    voltage: z.number().positive(),
    amperage: z.number().positive(),
    max_utilization: z.number().min(1).max(100).default(80),
  })
  .passthrough();
type PowerFeed = z.infer<typeof PowerFeedSchema>;

/** A NetBox list answer (`{ count, results: [...] }`) or a bare array (an export). */
function items(text: string, file: string): unknown[] {
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new NetboxError(`${file}: not JSON (${(e as Error).message})`);
  }
  if (Array.isArray(data)) return data;
  if (data && typeof data === 'object' && Array.isArray((data as { results?: unknown }).results)) return (data as { results: unknown[] }).results;
  throw new NetboxError(`${file}: neither a NetBox list answer ({ results: [...] }) nor an array`);
}

/**
 * The rack PDUs of `topology`'s racks from NetBox power feeds: for each rack its primary feed becomes the A side, its
 * redundant feed the B side, hanging from the device named like the power panel (which the upstream plant must
 * define). Feeds that are not active, or not wired to a rack, are left out (and counted).
 */
export function netboxRackFeeds(
  text: string,
  file: string,
  topology: Topology,
  upstreamDevices: ReadonlySet<string>,
): { racks: PlantSpecInput['racks']; continuousPct: number; skipped: number } {
  const list = items(text, file);
  const rackIds = new Map(topology.racks.map((r) => [r.id, r]));
  const byRack = new Map<string, { a?: PowerFeed; b?: PowerFeed }>();
  let skipped = 0;
  let minUtil = 100;
  list.forEach((raw, i) => {
    const r = PowerFeedSchema.safeParse(raw);
    const label = raw && typeof raw === 'object' && 'name' in raw ? `power feed "${String((raw).name)}"` : `power feed [${i}]`;
    if (!r.success) {
      const issue = r.error.issues[0]!;
      throw new NetboxError(`${file}: ${label}: ${issue.path.join('.') || '(object)'}: ${issue.message}`);
    }
    const f = r.data;
    const status = choice(f.status) ?? 'active';
    if (status !== 'active' || f.rack === null) {
      skipped++;
      return;
    }
    const where = `${file}: power feed "${f.name}" (id ${f.id})`;
    if (!rackIds.has(f.rack.name)) throw new NetboxError(`${where}: rack: "${f.rack.name}" is not a rack of the site (racks: ${topology.racks.slice(0, 5).map((x) => x.id).join(', ')}${topology.racks.length > 5 ? ' …' : ''})`);
    if (!upstreamDevices.has(f.power_panel.name)) throw new NetboxError(`${where}: power_panel: "${f.power_panel.name}" is not in the upstream plant (add it under devices: with from: and a rating)`);
    const phase = choice(f.phase) ?? 'single-phase';
    if (phase !== 'single-phase' && phase !== 'three-phase') throw new NetboxError(`${where}: phase: "${phase}" (single-phase or three-phase)`);
    const side = (choice(f.type) ?? 'primary') === 'redundant' ? 'b' : 'a';
    const slot = byRack.get(f.rack.name) ?? {};
    if (slot[side]) throw new NetboxError(`${where}: type: rack ${f.rack.name} already has a ${side === 'a' ? 'primary' : 'redundant'} feed ("${slot[side].name}")`);
    slot[side] = f;
    byRack.set(f.rack.name, slot);
    minUtil = Math.min(minUtil, f.max_utilization);
  });
  const racks: PlantSpecInput['racks'] = [];
  for (const rack of topology.racks) {
    const slot = byRack.get(rack.id);
    if (!slot?.a) throw new NetboxError(`${file}: rack ${rack.id}: no active primary power feed wired to it`);
    const a = slot.a;
    const pdu = (f: PowerFeed) => ({ amps: f.amperage, volts: f.voltage, phases: choice(f.phase) === 'three-phase' ? (3 as const) : (1 as const) });
    if (slot.b && (slot.b.amperage !== a.amperage || slot.b.voltage !== a.voltage || choice(slot.b.phase) !== choice(a.phase))) {
      throw new NetboxError(`${file}: rack ${rack.id}: its primary ("${a.name}") and redundant ("${slot.b.name}") feeds differ in rating; Headroom models a rack's two PDUs alike`);
    }
    racks.push({ row: topology.rows[rack.row]!.id, racks: [rack.id], a: a.power_panel.name, ...(slot.b ? { b: slot.b.power_panel.name } : {}), pdu: pdu(a) });
  }
  return { racks, continuousPct: minUtil, skipped };
}
