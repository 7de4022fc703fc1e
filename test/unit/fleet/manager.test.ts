import { describe, expect, it } from 'vitest';
import { SourceManager } from '../../../main/fleet/manager.js';
import type { FleetSource } from '../../../main/fleet/fleetSource.js';
import type { AgentActuator } from '../../../main/fleet/agentActuator.js';
import type { AuditSink } from '../../../main/core/ports.js';
import { AuditTrail } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { savedSources, sourcesState } from '../../../main/store/sources.js';

/** Settings → Sources: the stored source and its audit record are one transaction (never one without the other). */
const operator = { user: 'ana', role: 'admin' as const };
const dcgm = { kind: 'dcgm' as const, id: 'dcgm-a', url: 'http://127.0.0.1:9/metrics', intervalS: 10 };

function rig(failAudit: () => boolean) {
  const db = openControlDb(':memory:');
  const trail = new AuditTrail(db);
  const audit: AuditSink = {
    append: (entry, simMs) => {
      if (failAudit()) throw new Error('audit write failed');
      return trail.append(entry, simMs);
    },
  };
  const feeds: string[] = [];
  const fleet = {
    inventory: { hosts: new Map(), topology: { gpuCount: 0 } },
    health: () => [],
    addFeed: (f: { id: string }) => void feeds.push(f.id),
    removeFeed: async (id: string) => void feeds.splice(feeds.indexOf(id), 1),
    close: async () => {},
  } as unknown as FleetSource;
  const actuator = { attach: () => {}, detach: () => {}, onHello: () => {} } as unknown as AgentActuator;
  const m = new SourceManager({ fleet, actuator, identity: { error: 'none' }, inventoryFile: 'inventory.yaml', store: sourcesState(db), audit, now: () => 1000 });
  return { db, trail, m, feeds };
}

describe('SourceManager: stored and audited together', () => {
  it('an add whose audit record fails is not stored and does not start', () => {
    const { db, trail, m, feeds } = rig(() => true);
    expect(() => m.add(dcgm, 'new exporter', operator)).toThrow(/audit write failed/);
    expect(savedSources(db)).toEqual([]);
    expect(trail.count()).toBe(0);
    expect(feeds).toEqual([]);
    db.close();
  });

  it('a remove whose audit record fails keeps the source stored and running', async () => {
    let fail = false;
    const { db, trail, m, feeds } = rig(() => fail);
    m.add(dcgm, 'new exporter', operator);
    expect(savedSources(db).map((s) => s.id)).toEqual(['dcgm-a']);
    fail = true;
    await expect(m.remove('dcgm-a', 'decommissioned', operator)).rejects.toThrow(/audit write failed/);
    expect(savedSources(db).map((s) => s.id)).toEqual(['dcgm-a']);
    expect(trail.count()).toBe(1);
    expect(feeds).toEqual(['dcgm-a']);
    fail = false;
    await m.remove('dcgm-a', 'decommissioned', operator);
    expect(savedSources(db)).toEqual([]);
    expect(trail.list({ kind: 'source' } as never).map((r) => r.reason)).toEqual(['decommissioned', 'new exporter']);
    db.close();
  });
});
