import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostAgent } from '../../../main/agent/agent.js';
import { SimBackend, simGpuUuid } from '../../../main/agent/simBackend.js';
import { AgentActuator } from '../../../main/fleet/agentActuator.js';
import { AgentLink } from '../../../main/fleet/agentLink.js';
import { InventorySchema, resolveInventory } from '../../../main/fleet/inventory.js';
import { createCa, issueAgentCert, issueConsoleCert, loadIdentity, type TlsIdentity } from '../../../main/pki/certs.js';
import { tempDir, until } from '../../helpers.js';

/**
 * Fencing end to end over mutual TLS (issue 17): controllers' actuators with their epochs against one real host agent
 * (simulated GPUs) keeping its fence on disk — a deposed leader's setpoints are refused and it is told so, across an
 * agent restart too; a controller that may not act (not leading) sends nothing until it may; a new leader claims the
 * lease in force without changing what it holds.
 */
const HOST = 'gpu-f1';
const tmp = tempDir('headroom-fencing-');
const certs = tmp.file('certs');
const stateDir = tmp.file('state');
const ids: Record<string, TlsIdentity> = {};
let agent: HostAgent;
let backend: SimBackend;
const inventory = resolveInventory(
  InventorySchema.parse({
    site: { id: 'lab', name: 'Fencing lab' },
    rows: [{ id: 'A', budgetKW: 30, coolingKW: 35, gpuModel: 'H100-SXM', racks: [{ id: 'A01', servers: [{ host: HOST, slot: 1, gpus: Array.from({ length: 8 }, (_, g) => simGpuUuid(HOST, g)) }] }] }],
  }),
);
const G = inventory.hosts.get(HOST)!.gpus[0]!;

async function startAgent(): Promise<void> {
  backend = new SimBackend({ host: HOST, gpus: 8 });
  agent = await HostAgent.start({ host: HOST, backend, identity: loadIdentity(certs, `agent-${HOST}`), listen: { host: '127.0.0.1', port: 0 }, metricsListen: null, intervalMs: 100, safeCap: { pct: 60 }, maxLeaseMs: 10_000, stateDir });
}

function controller(name: string, epoch: number, o: { mayAct?: () => boolean; claimLeases?: boolean; leaseMs?: number } = {}) {
  const fenced: string[] = [];
  const actuator = new AgentActuator(inventory, { leaseMs: o.leaseMs ?? 3000, mayAct: o.mayAct, claimLeases: o.claimLeases, onFenced: (_h, e) => fenced.push(e) });
  const link = new AgentLink({ kind: 'agent', id: name, host: HOST, address: '127.0.0.1', port: agent.port }, { identity: ids[name]!, epoch: () => epoch, onHello: (l, h, r) => actuator.onHello(l, h, r) });
  actuator.attach(link);
  link.start({ readings: () => {}, error: () => {} });
  return {
    actuator,
    link,
    fenced,
    async stop() {
      actuator.close();
      await link.stop();
    },
  };
}

beforeAll(async () => {
  await createCa(certs);
  await issueAgentCert(certs, HOST, { ips: ['127.0.0.1'] });
  for (const n of ['a', 'b', 'c', 'd']) {
    await issueConsoleCert(certs, n, 'control');
    ids[n] = loadIdentity(certs, `console-${n}`);
  }
  await startAgent();
}, 30_000);

afterAll(async () => {
  await agent.stop();
  tmp.cleanup();
});

describe('controller epochs at a real agent', () => {
  it('a deposed leader’s setpoints are refused and it is told; the refusal survives an agent restart', async () => {
    const a = controller('a', 5);
    const b = controller('b', 9);
    try {
      await until('both connected', () => a.link.connected && b.link.connected);
      a.actuator.setPowerLimit(G, 380);
      await until('380 W from epoch 5', () => backend.limitOf(0) === 380);
      b.actuator.setPowerLimit(G, 400);
      await until('400 W from epoch 9', () => backend.limitOf(0) === 400 && agent.counters.epoch === 9);
      a.actuator.setPowerLimit(G, 650);
      await until('a is told it was deposed', () => a.fenced.length > 0);
      expect(a.fenced[0]).toMatch(/epoch 5.*epoch 9/);
      expect(backend.limitOf(0)).toBe(400);
      expect(agent.counters.rejected['stale-epoch']).toBeGreaterThan(0);
    } finally {
      await a.stop();
      await b.stop();
    }
    // The agent restarts (its fence read back from epoch.json): the deposed leader is still refused.
    await agent.stop();
    await startAgent();
    expect(agent.counters.epoch).toBe(9);
    const a2 = controller('a', 5);
    try {
      await until('connected', () => a2.link.connected);
      a2.actuator.setPowerLimit(G, 650);
      await until('refused after the restart', () => a2.fenced.length > 0);
      expect(backend.limitOf(0)).not.toBe(650);
    } finally {
      await a2.stop();
    }
  }, 30_000);

  it('a controller that may not act sends nothing; once it may, it sends what it was asked', async () => {
    let may = false;
    const c = controller('c', 20, { mayAct: () => may });
    try {
      await until('connected', () => c.link.connected);
      const before = backend.limitOf(0);
      c.actuator.setPowerLimit(G, 333);
      await new Promise((r) => setTimeout(r, 1500)); // past a renewal (lease/3)
      expect(backend.limitOf(0)).toBe(before);
      expect(agent.counters.epoch).toBeLessThan(20);
      expect(c.actuator.withheld).toBeGreaterThan(0);
      may = true;
      await until('333 W at the first renewal', () => backend.limitOf(0) === 333 && agent.counters.epoch === 20, 5000);
    } finally {
      await c.stop();
    }
  }, 20_000);

  it('a deposed leader’s command that passed the gate but waited in the queue is refused when its turn comes', async () => {
    // The GPU is slow to take 371 W (nvidia-smi under load): what arrives meanwhile waits in the agent's queue.
    const calls: number[] = [];
    const set = backend.setPowerLimit.bind(backend);
    backend.setPowerLimit = async (i: number, w: number) => {
      calls.push(w);
      if (w === 371) await new Promise((r) => setTimeout(r, 800));
      return set(i, w);
    };
    const epoch = agent.counters.epoch!;
    const link = (name: string, e: number) => {
      const l = new AgentLink({ kind: 'agent', id: name, host: HOST, address: '127.0.0.1', port: agent.port }, { identity: ids[name]!, epoch: () => e });
      l.start({ readings: () => {}, error: () => {} });
      return l;
    };
    const a = link('a', epoch);
    const b = link('b', epoch + 1);
    try {
      await until('connected', () => a.connected && b.connected);
      const uuid = simGpuUuid(HOST, 0);
      const a1 = a.send([{ kind: 'setPowerLimit', uuid, watts: 371 }], 5000);
      await new Promise((r) => setTimeout(r, 150));
      const a2 = a.send([{ kind: 'setPowerLimit', uuid, watts: 372 }], 5000); // passes the gate: no newer epoch yet
      await new Promise((r) => setTimeout(r, 150));
      const b1 = b.send([{ kind: 'setPowerLimit', uuid, watts: 373 }], 5000); // a newer leader speaks
      const [r1, r2, r3] = await Promise.all([a1, a2, b1]);
      expect(r1.ok).toBe(true);
      expect(r2).toMatchObject({ ok: false, code: 'stale-epoch' });
      expect(r2.error).toMatch(/while this command .* waited/);
      expect(r3.ok).toBe(true);
      expect(calls.filter((w) => w >= 371 && w <= 373)).toEqual([371, 373]);
    } finally {
      backend.setPowerLimit = set;
      await a.stop();
      await b.stop();
    }
  }, 20_000);

  it('a new leader renews the lease in force at once under its epoch, changing nothing it holds', async () => {
    const c = controller('c', 40);
    try {
      await until('connected', () => c.link.connected);
      c.actuator.setPowerLimit(G, 350);
      await until('350 W leased', () => backend.limitOf(0) === 350 && agent.state().mode === 'leased');
    } finally {
      await c.stop();
    }
    // A 9 s lease: its renewal timer would first fire after 3 s; the claim comes with the agent's hello.
    const d = controller('d', 50, { claimLeases: true, leaseMs: 9000 });
    try {
      await until('connected', () => d.link.connected);
      await until('claimed under epoch 50 at once', () => agent.counters.epoch === 50, 1500);
      expect(agent.state().mode).toBe('leased');
      expect(backend.limitOf(0)).toBe(350);
    } finally {
      await d.stop();
    }
  }, 20_000);
});
