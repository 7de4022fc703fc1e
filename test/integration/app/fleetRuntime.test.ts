import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Actor } from '../../../shared/domain/control.js';
import type { SourcesView } from '../../../shared/domain/sources.js';
import { SampleFlag } from '../../../shared/domain/fleet.js';
import { HostAgent } from '../../../main/agent/agent.js';
import { createCa, issueAgentCert, issueConsoleCert, loadIdentity } from '../../../main/pki/certs.js';
import { SimBackend, simGpuUuid } from '../../../main/agent/simBackend.js';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { RefusalError } from '../../../main/core/ports.js';
import { tempDir, until } from '../../helpers.js';

/**
 * The console on a real fleet, end to end in one process: inventory + sources file + certificates → createRuntime →
 * engine ticking in real time on readings from host agents over mutual TLS; an operator's override caps real GPUs
 * through the agents; Settings → Sources adds and removes agents (audited, kept in control.db); a dead agent turns
 * its source stale, raises the source alert with the reason, and its GPUs count at their limit.
 */
const HOSTS = ['gpu-f1', 'gpu-f2', 'gpu-f3'];
const tmp = tempDir('headroom-fleet-');
const certs = tmp.file('certs');
const agents = new Map<string, { agent: HostAgent; backend: SimBackend }>();
const admin: Actor = { user: 'ada', role: 'admin' };
let rt: Runtime;

const source = (host: string, id = `agent-${host}`) => ({ kind: 'agent' as const, id, host, address: '127.0.0.1', port: agents.get(host)!.agent.port });

async function open(withSourcesFile: boolean): Promise<Runtime> {
  const r = await createRuntime({
    scenario: 'default',
    db: tmp.file('data/telemetry.db'),
    fleet: { inventory: tmp.file('inventory.yaml'), sources: withSourcesFile ? tmp.file('sources.yaml') : undefined, certs, certName: 'desk', leaseMs: 3000 },
    log: () => {},
  });
  r.runner.start();
  return r;
}

beforeAll(async () => {
  await createCa(certs);
  for (const h of HOSTS) await issueAgentCert(certs, h);
  await issueConsoleCert(certs, 'desk', 'control');
  for (const host of HOSTS) {
    const backend = new SimBackend({ host, gpus: 8 });
    const agent = await HostAgent.start({ host, backend, identity: loadIdentity(certs, `agent-${host}`), listen: { host: '127.0.0.1', port: 0 }, metricsListen: null, intervalMs: 250, safeCap: { pct: 60 } });
    agents.set(host, { agent, backend });
  }
  writeFileSync(
    tmp.file('inventory.yaml'),
    stringify({
      site: { id: 'lab', name: 'Fleet lab' },
      rows: [{ id: 'A', budgetKW: 25, coolingKW: 30, gpuModel: 'H100-SXM', racks: [{ id: 'A01', servers: HOSTS.map((host, i) => ({ host, slot: i + 1, gpus: Array.from({ length: 8 }, (_, g) => simGpuUuid(host, g)) })) }] }],
    }),
  );
  writeFileSync(tmp.file('sources.yaml'), stringify({ sources: [source('gpu-f1'), source('gpu-f2')] }));
  rt = await open(true);
}, 30_000);

afterAll(async () => {
  await rt?.close();
  for (const { agent } of agents.values()) await agent.stop();
  tmp.cleanup();
});

describe('a console on a real fleet (agents over mutual TLS)', () => {
  it('places the inventory, ingests the agents, and refuses what only the simulator can do', async () => {
    expect(rt.engine.topology.gpuCount).toBe(24);
    expect(rt.engine.topology.servers.map((s) => s.id)).toEqual(HOSTS);
    const view = await until('two sources up and leased', () => {
      const v = rt.handlers['sources:list']({}, admin) as SourcesView;
      // Up, and holding this console's lease: the agents start at their safe cap, the control service adopts it and
      // raises it (a staggered release within one change interval), which leases the host.
      return v.sources.filter((s) => s.health.state === 'up' && /lease leased/.test(s.health.detail ?? '')).length === 2 ? v : undefined;
    }, 15_000);
    expect(view).toMatchObject({ mode: 'fleet', inventory: { hosts: 3, gpus: 24 }, identity: { scopes: ['read', 'control'] } });
    // The agents' safe cap was adopted as the starting point, not flagged as a cap nobody asked for.
    expect(rt.control.gpus(Array.from({ length: 16 }, (_, g) => g)).filter((c) => c.alarm !== null)).toEqual([]);
    expect(view.sources[0]!.health.detail).toMatch(/8 GPUs · sim · scopes read\+control · lease leased/);
    // The first 16 GPUs report live; gpu-f3's 8 (no source yet) count at their limit, flagged stale.
    const ticks = rt.engine.ticks;
    await until('an engine tick with the readings', () => rt.engine.ticks > ticks + 1);
    const live = rt.engine.live;
    expect(Array.from(live.flags.subarray(0, 16)).every((f) => !(f & SampleFlag.stale))).toBe(true);
    expect(Array.from(live.flags.subarray(16)).every((f) => f & SampleFlag.stale)).toBe(true);
    expect(Array.from(live.powerW.subarray(16)).every((w) => w === 700)).toBe(true);
    expect(() => rt.handlers['sim:inject']({ event: { kind: 'loadSpike', row: 'A', factor: 1.5, durationS: 60 }, reason: 'drill' } as never, admin)).toThrow(/real fleet/);
    expect(() => rt.handlers['sim:control']({ action: 'speed', speed: 10 }, admin)).toThrow(RefusalError);
    expect(() => rt.handlers['sim:control']({ action: 'pause' }, admin)).toThrow(/cannot be paused/);
  }, 15_000);

  it('carries an operator override to the GPUs through their agents and reads it back', async () => {
    const g = rt.fleet!.source.inventory.hosts.get('gpu-f2')!.gpus[5]!;
    await rt.handlers['override:set']({ target: { kind: 'gpus', ids: [g] }, action: { kind: 'powerCap', watts: 480 }, reason: 'agent cap test', expiresInS: 600 }, admin);
    await until('480 W on the GPU', () => agents.get('gpu-f2')!.backend.limitOf(5) === 480, 10_000);
    await until('480 W read back by the engine', () => rt.engine.live.limitW[g] === 480, 5000);
  }, 20_000);

  it('adds and removes sources from Settings, audited and kept in control.db', async () => {
    expect(() => rt.handlers['sources:add']({ source: { kind: 'agent', id: 'x', host: 'gpu-zz', port: 1 }, reason: 'typo' } as never, admin)).toThrow(/not in the inventory/);
    expect(() => rt.handlers['sources:add']({ source: source('gpu-f1', 'again'), reason: 'dup' }, admin)).toThrow(/already has agent source/);
    const test = await rt.handlers['sources:test']({ source: source('gpu-f3') }, admin);
    expect(test).toMatchObject({ ok: true, gpus: 8 });
    rt.handlers['sources:add']({ source: source('gpu-f3'), reason: 'rack A01 slot 3 online' }, admin);
    await until('gpu-f3 live', () => !(rt.engine.live.flags[16]! & SampleFlag.stale));
    const records = rt.audit.list({ kind: 'source' } as never);
    expect(records.map((r) => [r.kind, r.target, r.reason])).toContainEqual(['source', 'source agent-gpu-f3', 'rack A01 slot 3 online']);

    // Restart the console without the sources file: the added source comes back from control.db.
    await rt.close();
    rt = await open(false);
    await until('gpu-f3 back after restart', () => (rt.handlers['sources:list']({}, admin) as { sources: Array<{ config: { id: string } | null; health: { state: string } }> }).sources.some((s) => s.config?.id === 'agent-gpu-f3' && s.health.state === 'up'));
    await rt.handlers['sources:remove']({ id: 'agent-gpu-f3', reason: 'decommissioned' }, admin);
    expect((rt.handlers['sources:list']({}, admin) as { sources: unknown[] }).sources).toHaveLength(0);
    expect(rt.audit.list({ kind: 'source' } as never).some((r) => r.oldValue.includes('gpu-f3') && r.reason === 'decommissioned')).toBe(true);
  }, 30_000);

  it('marks a dead agent stale, raises the source alert with the reason, and counts its GPUs at their limit', async () => {
    rt.handlers['sources:add']({ source: source('gpu-f1'), reason: 'back on desk' }, admin);
    await until('gpu-f1 up', () => rt.fleet!.source.health().find((h) => h.id === 'agent-gpu-f1')?.state === 'up');
    await agents.get('gpu-f1')!.agent.stop();
    const alert = await until('source alert', () => rt.engine.activeAlerts().find((a) => a.subject.kind === 'source' && a.subject.id === 'agent-gpu-f1' && a.state === 'firing'), 15_000);
    expect(alert.summary).toMatch(/last error: .*(lost|refused)/);
    const h = rt.fleet!.source.health().find((x) => x.id === 'agent-gpu-f1')!;
    expect(h.state).not.toBe('up');
    expect(h.errors).toBeGreaterThan(0);
    const gpus = rt.fleet!.source.inventory.hosts.get('gpu-f1')!.gpus;
    // Worst case: what an H100 may draw uncapped, whatever limit was last reported.
    for (const g of gpus) expect(rt.engine.live.powerW[g]).toBe(700);
  }, 30_000);
});
