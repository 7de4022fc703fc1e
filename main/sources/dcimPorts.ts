import { z } from 'zod';
import { Brief, DcimError, labelOf, parseItem, type DcimItem } from './dcimJson.js';

/**
 * NetBox power ports (`/api/dcim/power-ports/`) → what each rack draws. A power port is a device's power inlet (a
 * PSU) with `allocated_draw` (what it is planned to draw) and `maximum_draw` (nameplate), in W. The rack of a port is
 * its device's: `device.rack` when the export carries it, else the device's rack in `/api/dcim/devices/`, else the
 * rack of the power feed it plugs into (`connected_endpoints` / `link_peers` of type `dcim.powerfeed`). Ports with no
 * draw recorded (a rack PDU's own inlet: NetBox sums the ports downstream instead) are left out.
 */

/** What a rack's devices draw, W, summed over their power ports (both sides). */
export interface RackDraw {
  /** Allocated draw (a port without one counts its maximum). */
  allocatedW: number;
  /** Maximum draw, nameplate (a port without one counts its allocation). */
  nameplateW: number;
  ports: number;
}

const Draw = z.number().positive().nullable().optional();
const Peer = z.looseObject({ id: z.number().int() });

const PowerPortSchema = z.looseObject({
  id: z.number().int(),
  name: z.string().min(1),
  device: z.looseObject({ id: z.number().int(), name: z.string().nullable().optional(), display: z.string().optional(), rack: Brief.nullable().optional() }),
  maximum_draw: Draw,
  allocated_draw: Draw,
  link_peers: z.array(Peer).nullable().optional(),
  link_peers_type: z.string().nullable().optional(),
  connected_endpoints: z.array(Peer).nullable().optional(),
  connected_endpoints_type: z.string().nullable().optional(),
});
const DeviceSchema = z.looseObject({ id: z.number().int(), name: z.string().nullable().optional(), rack: Brief.nullable().optional() });

type RackRef = z.infer<typeof Brief>;

export interface PortInputs {
  ports: DcimItem[];
  devices: DcimItem[];
  /** Power feed id → its rack (null: at another site or not wired to a rack). */
  feedRack: ReadonlyMap<number, string | null>;
  /** A NetBox rack reference → its name, or null when it stands at another site (refuses one the racks lack). */
  rackName: (ref: RackRef, where: string, field: string) => string | null;
  /** Refuses a rack the site's topology does not have. */
  known: (rack: string, where: string, field: string) => void;
}

/** The feeds a port plugs into: its far end when NetBox traced the path, else the cable's other end. */
function feedsOf(p: z.infer<typeof PowerPortSchema>): { ids: number[]; field: string } {
  if (p.connected_endpoints_type === 'dcim.powerfeed' && p.connected_endpoints?.length) return { ids: p.connected_endpoints.map((e) => e.id), field: 'connected_endpoints' };
  if (p.link_peers_type === 'dcim.powerfeed' && p.link_peers?.length) return { ids: p.link_peers.map((e) => e.id), field: 'link_peers' };
  return { ids: [], field: '' };
}

/** `power port "gpu-a01-1/PSU1" (id 503)`: a port's name alone (PSU1) says little. */
function portLabel(item: DcimItem): string {
  const o = (item.raw && typeof item.raw === 'object' ? item.raw : {}) as { name?: unknown; device?: { name?: unknown; display?: unknown } | null };
  const device = o.device?.name ?? o.device?.display;
  return labelOf('power port', typeof device === 'string' && typeof o.name === 'string' ? { ...o, name: `${device}/${o.name}` } : o, item.index);
}

/** Per rack of the site, what its devices' power ports draw; ports left out are counted. */
export function rackDraws(inp: PortInputs): { draws: Map<string, RackDraw>; skipped: number } {
  const deviceRack = new Map<number, RackRef | null>();
  for (const item of inp.devices) {
    const d = parseItem(DeviceSchema, item, labelOf('device', item.raw, item.index));
    deviceRack.set(d.id, d.rack ?? null);
  }
  const draws = new Map<string, RackDraw>();
  let skipped = 0;
  for (const item of inp.ports) {
    const p = parseItem(PowerPortSchema, item, portLabel(item));
    const device = p.device.name ?? p.device.display ?? `device ${p.device.id}`;
    const where = `${item.file}: ${portLabel(item)}`;
    const allocated = p.allocated_draw ?? null;
    const maximum = p.maximum_draw ?? null;
    if (allocated !== null && maximum !== null && allocated > maximum) throw new DcimError(`${where}: allocated_draw: ${allocated} W exceeds its maximum_draw ${maximum} W`);
    if (allocated === null && maximum === null) {
      skipped++;
      continue;
    }
    const ref = p.device.rack !== undefined ? p.device.rack : deviceRack.get(p.device.id);
    const fromDevice = ref ? inp.rackName(ref, where, 'device.rack') : undefined;
    let fromFeed: string | null | undefined;
    const feeds = feedsOf(p);
    for (const id of feeds.ids) {
      if (!inp.feedRack.has(id)) throw new DcimError(`${where}: ${feeds.field}: power feed id ${id} is not among the power feeds`);
      fromFeed = inp.feedRack.get(id)!;
      if (fromDevice && fromFeed && fromDevice !== fromFeed) throw new DcimError(`${where}: ${feeds.field}: plugs into power feed id ${id} of rack ${fromFeed}, but its device "${device}" stands in rack ${fromDevice}`);
    }
    const rack = fromDevice !== undefined ? fromDevice : fromFeed;
    if (rack === undefined) {
      const why = ref === null ? 'is in no rack in NetBox' : 'has no rack here (give --devices with /api/dcim/devices/, whose devices name their rack)';
      throw new DcimError(`${where}: device: "${device}" (id ${p.device.id}) ${why}`);
    }
    if (rack === null) {
      skipped++;
      continue;
    }
    inp.known(rack, where, fromDevice !== undefined ? 'device.rack' : feeds.field);
    const d = draws.get(rack) ?? { allocatedW: 0, nameplateW: 0, ports: 0 };
    d.allocatedW += allocated ?? maximum!;
    d.nameplateW += maximum ?? allocated!;
    d.ports++;
    draws.set(rack, d);
  }
  return { draws, skipped };
}
