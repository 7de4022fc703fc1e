import { describe, expect, it } from 'vitest';
import { writeFileSync } from 'node:fs';
import type { AgentReading } from '../../../shared/agentProtocol.js';
import { SampleFlag } from '../../../shared/domain/fleet.js';
import { renderMetrics } from '../../../main/agent/metrics.js';
import { SimBackend, simGpuUuid } from '../../../main/agent/simBackend.js';
import { FleetSource } from '../../../main/fleet/fleetSource.js';
import { type Feed, type FeedSink } from '../../../main/core/source.js';
import { InventorySchema, loadInventoryFile, resolveInventory } from '../../../main/fleet/inventory.js';
import { parseDcgmExporter } from '../../../main/sources/parsers/dcgm.js';
import { tempDir } from '../../helpers.js';

const uuids = (host: string, n = 2) => Array.from({ length: n }, (_, i) => simGpuUuid(host, i));
const spec = {
  site: { id: 'lab', name: 'Lab' },
  rows: [
    { id: 'A', budgetKW: 10, coolingKW: 12, gpuModel: 'H100-SXM', racks: [{ id: 'A01', servers: [{ host: 'h1', gpus: uuids('h1') }, { host: 'h2', slot: 4, priority: 'high', gpus: uuids('h2') }] }] },
    { id: 'B', budgetKW: 8, coolingKW: 9, gpuModel: 'A100-SXM', racks: [{ id: 'B01', budgetKW: 8, servers: [{ host: 'h3', gpus: uuids('h3', 4) }] }] },
  ],
};
const inv = resolveInventory(InventorySchema.parse(spec));
const reading = (uuid: string, over: Partial<AgentReading> = {}): AgentReading => ({ uuid, powerW: 300, limitW: 700, tempC: 50, memTempC: 55, smClockMHz: 1800, utilPct: 80, clockEventMask: 0, ...over });

/** A feed that does nothing by itself: the test pushes readings through its sink. */
function manualFeed(id: string): Feed & { sink: FeedSink | null } {
  return { id, kind: 'agent', sink: null, start(s) { this.sink = s; }, async stop() {}, detail: () => 'manual' };
}

describe('inventory', () => {
  it('resolves hosts and UUIDs into rows, racks and servers', () => {
    expect(inv.topology.gpuCount).toBe(8);
    expect(inv.topology.racks.map((r) => [r.id, r.budgetKW])).toEqual([['A01', 10], ['B01', 8]]);
    expect(inv.topology.models.map((m) => m.id)).toEqual(['H100-SXM', 'A100-SXM']);
    expect(inv.gpuIndex('h2', uuids('h2')[1]!.toUpperCase())).toBe(3);
    expect(inv.gpuIndex('h1', uuids('h2')[1]!)).toBeUndefined();
    expect(inv.hosts.get('h2')).toMatchObject({ rack: 'A01', row: 'A', slot: 4, priority: 'high', gpus: [2, 3] });
    expect([inv.hostOf(6), inv.uuidOf(6)]).toEqual(['h3', uuids('h3', 4)[2]]);
  });

  it('names the file, line and field of a mistake', () => {
    const t = tempDir();
    try {
      const file = t.file('inv.yaml');
      writeFileSync(file, `site: { id: lab, name: Lab }\nrows:\n  - id: A\n    budgetKW: 10\n    coolingKW: 12\n    gpuModel: H100-SXM\n    racks:\n      - id: A01\n        servers:\n          - host: h1\n            gpus: [GPU-1234]\n`);
      expect(() => loadInventoryFile(file)).toThrow(new RegExp(`${file}:11: rows\\[0\\]\\.racks\\[0\\]\\.servers\\[0\\]\\.gpus\\[0\\]: an NVIDIA GPU UUID`));
      const dup = { ...spec, rows: [spec.rows[0]!, { ...spec.rows[1]!, racks: [{ id: 'B01', servers: [{ host: 'h1', gpus: uuids('h9') }] }] }] };
      expect(InventorySchema.safeParse(dup).error?.issues[0]?.message).toMatch(/host "h1" is listed twice/);
      expect(InventorySchema.safeParse({ ...spec, rows: [{ ...spec.rows[0]!, gpuModel: 'B300' }] }).error?.issues[0]?.message).toMatch(/unknown GPU model "B300"/);
    } finally {
      t.cleanup();
    }
  });
});

describe('FleetSource', () => {
  it('maps readings through the inventory, counts strangers, and keeps per-GPU staleness', () => {
    let now = 1_000_000;
    const fleet = new FleetSource(inv, { now: () => now, staleAfterMs: 3000 });
    const f = manualFeed('f');
    fleet.addFeed(f);
    expect(fleet.poll()).toBeNull();
    f.sink!.readings('f', 'h2', now - 40, [reading(uuids('h2')[0]!, { powerW: 250 }), reading(uuids('h2')[1]!, { powerW: null, clockEventMask: 4 })]);
    f.sink!.readings('f', 'h2', now, [reading('GPU-00000000-0000-0000-0000-00000000dead')]);
    f.sink!.readings('f', 'nowhere', now, [reading(uuids('h1')[0]!)]);
    now += 60;
    const b = fleet.poll()!;
    expect(b.powerW[2]).toBe(250);
    expect(Number.isNaN(b.powerW[3])).toBe(true); // missing power: the engine flags it and counts it at the limit
    expect(b.flags[3]).toBe(4);
    // Never heard: worst case, flagged stale.
    expect([b.powerW[0], b.util[0], b.flags[0]! & SampleFlag.stale]).toEqual([700, 1, SampleFlag.stale]);
    const h = fleet.health()[0]!;
    // The unknown UUID and the unknown host; the missing power is the feed's to count (and the engine's).
    expect(h.errors).toBe(2);
    expect(h.lastError).toMatch(/host "nowhere" is not in the inventory/);
    expect(fleet.visibleLatency.quantile(0.5)).toBeGreaterThanOrEqual(0.06);
    // Silent past staleAfterMs: h2's GPUs fall back to their limit too.
    now += 5000;
    f.sink!.readings('f', 'h1', now, [reading(uuids('h1')[0]!)]);
    const c = fleet.poll()!;
    expect([c.powerW[2], c.flags[2]! & SampleFlag.stale]).toEqual([700, SampleFlag.stale]);
    expect(c.powerW[0]).toBe(300);
  });

  it('keeps the newer of two readings for one GPU, whichever feed sent it', () => {
    const now = 5_000_000;
    const fleet = new FleetSource(inv, { now: () => now });
    const a = manualFeed('a');
    const b = manualFeed('b');
    fleet.addFeed(a);
    fleet.addFeed(b);
    a.sink!.readings('a', 'h1', now - 100, [reading(uuids('h1')[0]!, { powerW: 111 })]);
    b.sink!.readings('b', 'h1', now - 500, [reading(uuids('h1')[0]!, { powerW: 222 })]);
    expect(fleet.poll()!.powerW[0]).toBe(111);
    expect(() => fleet.addFeed(manualFeed('a'))).toThrow(/already exists/);
  });
});

describe('agent /metrics', () => {
  it('round-trips through the dcgm-exporter parser with the same values', async () => {
    const backend = new SimBackend({ host: 'gpu-m1', gpus: 4, now: () => 1000 });
    const gpus = await backend.discover();
    await backend.setPowerLimit(1, 350);
    const { readings } = await backend.read();
    const text = renderMetrics('gpu-m1', gpus, readings, { mode: 'leased', leaseExpiresMs: 2000, safeCapW: 420 }, { commandsAccepted: 3, rejected: { replay: 2 }, readErrors: 0, consoles: 1 });
    const parsed = parseDcgmExporter(text);
    if (!parsed.ok) throw new Error(parsed.error.message);
    expect(parsed.invalidReadings).toBe(0);
    expect(parsed.schemas).toEqual(['legacy']);
    for (const r of readings) {
      const p = parsed.readings.find((x) => x.uuid === r.uuid)!;
      expect(p).toMatchObject({ hostname: 'gpu-m1', powerW: r.powerW, tempC: r.tempC, smClockMHz: r.smClockMHz, utilPct: r.utilPct, limitW: r.limitW });
    }
    expect(parsed.readings[1]!.limitW).toBe(350);
    expect(text).toContain('headroom_agent_commands_rejected_total{Hostname="gpu-m1",reason="replay"} 2');
    expect(text).toContain('headroom_agent_lease_active{Hostname="gpu-m1"} 1');
  });
});
