import { describe, expect, it } from 'vitest';
import type { AgentReading } from '../../../shared/agentProtocol.js';
import { simGpuUuid } from '../../../main/agent/simBackend.js';
import { FleetSource } from '../../../main/fleet/fleetSource.js';
import { InventorySchema, resolveInventory } from '../../../main/fleet/inventory.js';
import type { Feed, FeedSink } from '../../../main/core/source.js';

const uuids = (host: string) => Array.from({ length: 4 }, (_, i) => simGpuUuid(host, i));
/** Row A: racks A01 (h1) and A02 (h2), 4 H100 each; rack max = 4 × 700 W + 1.5 + 2 kW of server = 6.3 kW. */
const inv = resolveInventory(
  InventorySchema.parse({
    site: { id: 'lab', name: 'Lab' },
    rows: [{ id: 'A', budgetKW: 10, coolingKW: 12, gpuModel: 'H100-SXM', racks: ['A01', 'A02'].map((id, i) => ({ id, servers: [{ host: `h${i + 1}`, gpus: uuids(`h${i + 1}`) }] })) }],
  }),
);
const reading = (uuid: string): AgentReading => ({ uuid, powerW: 300, limitW: 700, tempC: 50, memTempC: 55, smClockMHz: 1800, utilPct: 80, clockEventMask: 0 });

function rig() {
  let wall = 1_000_000;
  const fleet = new FleetSource(inv, { now: () => wall, staleAfterMs: 5000 });
  const feed: Feed & { sink: FeedSink | null } = { id: 'prom', kind: 'prometheus', sink: null, start(s) { this.sink = s; }, async stop() {}, detail: () => 'manual', intervalMs: () => 1000 };
  fleet.addFeed(feed);
  const gpus = () => {
    feed.sink!.readings('prom', 'h1', wall, uuids('h1').map(reading));
    feed.sink!.readings('prom', 'h2', wall, uuids('h2').map(reading));
  };
  return { fleet, feed, gpus, advance: (ms: number) => (wall += ms), now: () => wall };
}

describe('FleetSource meters', () => {
  it('carries no meter columns until a meter reading arrives; then per rack and row, NaN where none', () => {
    const r = rig();
    r.gpus();
    const before = r.fleet.poll()!;
    expect('rackMeteredKW' in before).toBe(false);
    r.feed.sink!.meters!('prom', { racks: [{ id: 'A01', kW: 5.2, tMs: r.now() }], rows: [{ id: 'A', kW: 9.5, tMs: r.now() }] });
    r.gpus();
    const b = r.fleet.poll()!;
    expect(Array.from(b.rackMeteredKW!)).toEqual([5.2, NaN]);
    expect(Array.from(b.rowMeteredKW!)).toEqual([9.5]);
    expect(r.fleet.health()[0]!.errors).toBe(0);
  });

  it('a meter goes stale with its feed (after max(5 s, 2.5 intervals)) and comes back', () => {
    const r = rig();
    r.feed.sink!.meters!('prom', { racks: [{ id: 'A01', kW: 5.2, tMs: r.now() }], rows: [] });
    r.advance(5000);
    r.gpus();
    expect(r.fleet.poll()!.rackMeteredKW![0]).toBe(5.2);
    r.advance(1);
    r.gpus();
    expect(r.fleet.poll()!.rackMeteredKW![0]).toBeNaN();
    r.feed.sink!.meters!('prom', { racks: [{ id: 'A01', kW: 5.4, tMs: r.now() }], rows: [] });
    r.gpus();
    expect(r.fleet.poll()!.rackMeteredKW![0]).toBe(5.4);
  });

  it('reports racks and rows the inventory does not list once, counts them, and keeps going', () => {
    const r = rig();
    const round = () => r.feed.sink!.meters!('prom', { racks: [{ id: 'A01', kW: 5, tMs: r.now() }, { id: 'Z99', kW: 5, tMs: r.now() }], rows: [{ id: 'Q', kW: 1, tMs: r.now() }] });
    round();
    round();
    round();
    const h = r.fleet.health()[0]!;
    expect(h.errors).toBe(1);
    expect(h.lastError).toBe('meter readings name rack "Z99", row "Q", not in the inventory: ignored (reported once; 2 such readings so far)');
    expect(r.fleet.meters.unknownCount('prom')).toBe(6);
    r.gpus();
    expect(Array.from(r.fleet.poll()!.rackMeteredKW!)).toEqual([5, NaN]);
  });

  it('refuses a reading above twice what the rack could draw (a W meter read as kW), counting it', () => {
    const r = rig();
    r.feed.sink!.meters!('prom', { racks: [{ id: 'A01', kW: 5200, tMs: r.now() }, { id: 'A02', kW: 12.6, tMs: r.now() }], rows: [] });
    r.gpus();
    expect(Array.from(r.fleet.poll()!.rackMeteredKW!)).toEqual([NaN, 12.6]);
    const h = r.fleet.health()[0]!;
    expect(h.errors).toBe(1);
    expect(h.lastError).toBe('rack A01: meter reads 5200.0 kW, more than 2× the 6.3 kW it could draw (unit or multiplier wrong?): ignored');
  });
});
