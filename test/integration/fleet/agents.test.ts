import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createServer as createTlsServer } from 'node:tls';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL_VERSION, type CommandBody } from '../../../shared/agentProtocol.js';
import { SampleFlag } from '../../../shared/domain/fleet.js';
import { AgentActuator } from '../../../main/fleet/agentActuator.js';
import { HostAgent } from '../../../main/agent/agent.js';
import { createCa, issueAgentCert, issueConsoleCert, loadIdentity, type TlsIdentity } from '../../../main/pki/certs.js';
import { SimBackend, simGpuUuid } from '../../../main/agent/simBackend.js';
import { AgentLink } from '../../../main/fleet/agentLink.js';
import { FleetSource } from '../../../main/fleet/fleetSource.js';
import { resolveInventory, InventorySchema } from '../../../main/fleet/inventory.js';
import { tempDir, until } from '../../helpers.js';

/**
 * N host agents (simulated GPUs) and one console over mutual TLS on loopback: readings flow, a cap is applied and read
 * back, a lapsed lease lands on the safe cap, a restarted agent gets its setpoints back, and every forged, stale,
 * replayed, tampered or mis-addressed command or certificate is refused.
 */
const HOSTS = ['gpu-h1', 'gpu-h2', 'gpu-h3', 'gpu-h4', 'gpu-h5'];
/** gpu-h5's clock, shifted by the test to make its lease lapse while the console stays connected. */
let h5OffsetMs = 0;
const SAFE_PCT = 60; // → 420 W on a 700 W H100
const tmp = tempDir('headroom-agents-');
const certs = tmp.file('certs');
const otherCa = tmp.file('other');
let control: TlsIdentity;
let reader: TlsIdentity;
const agents = new Map<string, { agent: HostAgent; backend: SimBackend }>();

const inventory = resolveInventory(
  InventorySchema.parse({
    site: { id: 'lab', name: 'Agent lab' },
    rows: [
      {
        id: 'A',
        budgetKW: 30,
        coolingKW: 35,
        gpuModel: 'H100-SXM',
        racks: [{ id: 'A01', servers: HOSTS.map((host, i) => ({ host, slot: i + 1, gpus: Array.from({ length: 8 }, (_, g) => simGpuUuid(host, g)) })) }],
      },
    ],
  }),
);

async function startAgent(host: string, port = 0): Promise<HostAgent> {
  const backend = new SimBackend({ host, gpus: 8 });
  const agent = await HostAgent.start({
    host,
    backend,
    identity: loadIdentity(certs, `agent-${host}`),
    listen: { host: '127.0.0.1', port },
    metricsListen: null,
    intervalMs: 100,
    safeCap: { pct: SAFE_PCT },
    maxLeaseMs: 5000,
    ...(host === 'gpu-h5' ? { now: () => Date.now() + h5OffsetMs } : {}),
  });
  agents.set(host, { agent, backend });
  return agent;
}

function linkTo(host: string, identity: TlsIdentity, opts: { connectAs?: string; onHello?: ConstructorParameters<typeof AgentLink>[1]['onHello'] } = {}) {
  const errors: string[] = [];
  const readings: Array<{ host: string; n: number }> = [];
  const link = new AgentLink({ kind: 'agent', id: `src-${host}`, host: opts.connectAs ?? host, address: '127.0.0.1', port: agents.get(host)!.agent.port }, { identity, onHello: opts.onHello });
  link.start({ readings: (_id, h, _t, r) => readings.push({ host: h, n: r.length }), error: (_id, m) => errors.push(m) });
  return { link, errors, readings };
}

function body(host: string, over: Partial<CommandBody> = {}): CommandBody {
  const now = Date.now();
  return { v: AGENT_PROTOCOL_VERSION, host, nonce: Math.random().toString(16).slice(2).padEnd(32, '0').slice(0, 32), issuedMs: now, expiresMs: now + 2000, actions: [], auditHead: { seq: 0, hash: '0'.repeat(64) }, ...over };
}

beforeAll(async () => {
  await createCa(certs);
  for (const h of HOSTS) await issueAgentCert(certs, h, { ips: ['127.0.0.1'] });
  await issueConsoleCert(certs, 'desk', 'control');
  await issueConsoleCert(certs, 'wall', 'read');
  await createCa(otherCa);
  await issueConsoleCert(otherCa, 'desk', 'control');
  control = loadIdentity(certs, 'console-desk');
  reader = loadIdentity(certs, 'console-wall');
  for (const h of HOSTS) await startAgent(h);
}, 30_000);

afterAll(async () => {
  for (const { agent } of agents.values()) await agent.stop();
  tmp.cleanup();
});

describe('host agents over mutual TLS', () => {
  it('starts every GPU at the safe cap, never uncapped', () => {
    for (const { backend } of agents.values()) for (let g = 0; g < 8; g++) expect(backend.limitOf(g)).toBe(420);
  });

  it('streams readings into the fleet, applies a cap and reads it back, lapses to the safe cap, re-applies after a restart', async () => {
    const fleet = new FleetSource(inventory);
    const actuator = new AgentActuator(inventory, { leaseMs: 1500 });
    const links = HOSTS.slice(0, 4).map((host) => new AgentLink({ kind: 'agent', id: `agent-${host}`, host, address: '127.0.0.1', port: agents.get(host)!.agent.port }, { identity: control, onHello: (l, h, r) => actuator.onHello(l, h, r) }));
    for (const l of links) {
      actuator.attach(l);
      fleet.addFeed(l);
    }
    try {
      // First contact: the console has asked nothing yet, so it sends nothing — every GPU stays at the agent's safe cap
      // (the control service adopts that from read-back and raises it, if at all, as a staggered release).
      const batch = await until('fresh readings from the 32 GPUs of 4 hosts, at the safe cap', () => {
        const b = fleet.poll();
        const first32 = (a: ArrayLike<number>) => Array.from(a).slice(0, 32);
        return b && first32(b.flags).every((f) => !(f & SampleFlag.stale)) && first32(b.limitW).every((w) => w === 420) ? b : undefined;
      });
      expect(batch.powerW.length).toBe(40);
      expect(fleet.health().map((h) => h.state)).toEqual(['up', 'up', 'up', 'up']);
      expect(actuator.reapplies).toBe(0);

      // A cap on one GPU of gpu-h2 (fleet GPU 8 + 3) reaches the hardware and comes back in the readings.
      const g = inventory.hosts.get('gpu-h2')!.gpus[3]!;
      actuator.setPowerLimit(g, 450);
      await until('450 W read back', () => fleet.poll()?.limitW[g] === 450);
      expect(agents.get('gpu-h2')!.backend.limitOf(3)).toBe(450);
      expect(agents.get('gpu-h2')!.backend.calls).toContain('-i 3 -pl 450.00');

      // The leases are renewed while the console lives: after 2 lease lengths the cap still holds.
      await new Promise((r) => setTimeout(r, 3000));
      expect(agents.get('gpu-h2')!.backend.limitOf(3)).toBe(450);
      expect(agents.get('gpu-h2')!.agent.state().mode).toBe('leased');

      // An agent restart loses the caps (it comes back at the safe cap); the console re-applies them on its hello.
      const port = agents.get('gpu-h2')!.agent.port;
      const reappliesBefore = actuator.reapplies;
      await agents.get('gpu-h2')!.agent.stop();
      await startAgent('gpu-h2', port);
      expect(agents.get('gpu-h2')!.backend.limitOf(3)).toBe(420);
      await until('cap re-applied after restart', () => agents.get('gpu-h2')!.backend.limitOf(3) === 450, 8000);
      expect(actuator.reapplies).toBeGreaterThan(reappliesBefore);

      // The console goes away: within lease + one reading interval every GPU sits at the safe cap.
      actuator.close();
      for (const l of links) await l.stop();
      const lapsedAt = Date.now();
      await until('all GPUs at the safe cap', () => [...agents.values()].slice(0, 4).every(({ backend, agent }) => agent.state().mode === 'safe' && Array.from({ length: 8 }, (_, i) => backend.limitOf(i)).every((w) => w === 420)), 5000);
      // Lease (1.5 s) + one reading interval, with room for a loaded CI machine.
      expect(Date.now() - lapsedAt).toBeLessThanOrEqual(1500 + 100 + 900);
    } finally {
      actuator.close();
      await fleet.close();
    }
  }, 40_000);

  it('re-sends every setpoint when a lease lapsed under a connected console (a stall), instead of reviving it bare', async () => {
    const actuator = new AgentActuator(inventory, { leaseMs: 900 });
    const link = new AgentLink({ kind: 'agent', id: 'h5', host: 'gpu-h5', address: '127.0.0.1', port: agents.get('gpu-h5')!.agent.port }, { identity: control, onHello: (l, h, r) => actuator.onHello(l, h, r) });
    actuator.attach(link);
    link.start({ readings: () => {}, error: () => {} });
    const h5 = agents.get('gpu-h5')!;
    try {
      const g = inventory.hosts.get('gpu-h5')!.gpus[2]!;
      await until('hello', () => link.connected);
      actuator.setPowerLimit(g, 380);
      await until('380 W under a lease', () => h5.backend.limitOf(2) === 380 && h5.agent.state().mode === 'leased');
      // The agent's clock leaps past the lease: it lapses to the safe cap while the link stays up…
      h5OffsetMs = 10_000;
      await until('lapsed to the safe cap', () => h5.agent.state().mode === 'safe' && h5.backend.limitOf(2) === 420);
      h5OffsetMs = 0;
      const before = actuator.reapplies;
      // …and the next renewal sees `safe` and re-sends the 380 W cap (with every other setpoint), not a bare renewal.
      await until('380 W again', () => h5.backend.limitOf(2) === 380 && h5.agent.state().mode === 'leased');
      expect(actuator.reapplies).toBeGreaterThan(before);
    } finally {
      h5OffsetMs = 0;
      actuator.close();
      await link.stop();
    }
  });

  it('a re-apply while the host reads stale loosens nothing: limits stay at the safe cap until its readings are fresh', async () => {
    let fresh = true;
    const actuator = new AgentActuator(inventory, { leaseMs: 900, fresh: () => fresh });
    const link = new AgentLink({ kind: 'agent', id: 'h5b', host: 'gpu-h5', address: '127.0.0.1', port: agents.get('gpu-h5')!.agent.port }, { identity: control, onHello: (l, h, r) => actuator.onHello(l, h, r) });
    actuator.attach(link);
    link.start({ readings: () => {}, error: () => {} });
    const h5 = agents.get('gpu-h5')!;
    try {
      const g = inventory.hosts.get('gpu-h5')!.gpus[1]!;
      await until('hello', () => link.connected);
      // Decided on fresh readings: 600 W, above the agent's 420 W safe cap.
      actuator.setPowerLimit(g, 600);
      await until('600 W under a lease', () => h5.backend.limitOf(1) === 600 && h5.agent.state().mode === 'leased');
      // The lease lapses (the agent's clock leaps) while the console cannot see the host.
      fresh = false;
      h5OffsetMs = 10_000;
      await until('lapsed to the safe cap', () => h5.agent.state().mode === 'safe' && h5.backend.limitOf(1) === 420);
      h5OffsetMs = 0;
      const before = actuator.reapplies;
      // The renewal re-applies under a new lease, but no higher than the safe cap: the 600 W was decided on old data.
      await until('re-leased at the safe cap', () => actuator.reapplies > before && h5.agent.state().mode === 'leased');
      await new Promise((r) => setTimeout(r, 700));
      expect(h5.backend.limitOf(1)).toBe(420);
      expect(h5.backend.calls.filter((c) => c === '-i 1 -pl 600.00')).toHaveLength(1);
      // Fresh again: the first renewal sends the full setpoints.
      fresh = true;
      await until('600 W again once fresh', () => h5.backend.limitOf(1) === 600, 5000);
    } finally {
      h5OffsetMs = 0;
      actuator.close();
      await link.stop();
    }
  });

  it('refuses expired, future, replayed, tampered, mis-addressed and over-long commands', async () => {
    const { link } = linkTo('gpu-h3', control);
    try {
      await until('hello', () => link.connected);
      const send = (b: CommandBody) => link.sendBody(JSON.stringify(b), b.nonce);
      const uuid = simGpuUuid('gpu-h3', 0);

      const ok = body('gpu-h3', { actions: [{ kind: 'setPowerLimit', uuid, watts: 500 }] });
      expect((await send(ok)).ok).toBe(true);
      expect(agents.get('gpu-h3')!.backend.limitOf(0)).toBe(500);

      const replay = await send(ok);
      expect([replay.ok, replay.code]).toEqual([false, 'replay']);

      const expired = await send(body('gpu-h3', { issuedMs: Date.now() - 10_000, expiresMs: Date.now() - 1 }));
      expect(expired.code).toBe('expired');

      const future = await send(body('gpu-h3', { issuedMs: Date.now() + 60_000, expiresMs: Date.now() + 61_000 }));
      expect(future.code).toBe('future');

      const tooLong = await send(body('gpu-h3', { expiresMs: Date.now() + 3_600_000 }));
      expect(tooLong.code).toBe('lease-too-long');

      const elsewhere = await send(body('gpu-h4'));
      expect(elsewhere.code).toBe('host');

      // Signed, then altered in flight: 500 W → 700 W.
      const t = body('gpu-h3', { actions: [{ kind: 'setPowerLimit', uuid, watts: 300 }] });
      const signedText = JSON.stringify(t);
      const { sign } = await import('node:crypto');
      const sig = sign('sha256', Buffer.from(signedText), control.key).toString('base64');
      const tampered = await link.sendBody(signedText.replace('"watts":300', '"watts":700'), t.nonce, 5000, sig);
      expect(tampered.code).toBe('signature');

      const outOfRange = await send(body('gpu-h3', { actions: [{ kind: 'setPowerLimit', uuid, watts: 150 }] }));
      expect(outOfRange.code).toBe('range');
      expect(agents.get('gpu-h3')!.backend.limitOf(0)).toBe(500);

      const unknown = await send(body('gpu-h3', { actions: [{ kind: 'setPowerLimit', uuid: simGpuUuid('gpu-h4', 0), watts: 400 }] }));
      expect(unknown.code).toBe('unknown-gpu');

      const counts = agents.get('gpu-h3')!.agent.counters.rejected;
      for (const code of ['replay', 'expired', 'future', 'lease-too-long', 'host', 'signature', 'range', 'unknown-gpu']) expect(counts[code], code).toBeGreaterThanOrEqual(1);
    } finally {
      await link.stop();
    }
  }, 20_000);

  it('gives a read-scope certificate readings but no control', async () => {
    const { link, readings } = linkTo('gpu-h4', reader);
    try {
      await until('readings', () => readings.length > 0);
      expect(link.hello?.scopes).toEqual(['read']);
      const r = await link.send([{ kind: 'setPowerLimit', uuid: simGpuUuid('gpu-h4', 0), watts: 300 }], 2000);
      expect([r.ok, r.code]).toEqual([false, 'scope']);
      expect(agents.get('gpu-h4')!.backend.limitOf(0)).toBe(420);
    } finally {
      await link.stop();
    }
  });

  it('refuses a console certificate from another CA, and a console refuses a certificate for another host', async () => {
    const foreign: TlsIdentity = { cert: readFileSync(join(otherCa, 'console-desk.crt'), 'utf8'), key: readFileSync(join(otherCa, 'console-desk.key'), 'utf8'), ca: control.ca };
    const before = agents.get('gpu-h1')!.agent.tlsRejected;
    const a = linkTo('gpu-h1', foreign);
    try {
      const msg = await until('a refusal', () => a.errors[0]);
      expect(msg).toMatch(/refused this console's certificate|closed the connection/);
      expect(a.link.connected).toBe(false);
      await until('agent counted the refusal', () => agents.get('gpu-h1')!.agent.tlsRejected > before);
    } finally {
      await a.link.stop();
    }
    // gpu-h1's port answers with gpu-h1's certificate; a console expecting gpu-h2 there must refuse it.
    const b = linkTo('gpu-h1', control, { connectAs: 'gpu-h2' });
    try {
      const msg = await until('a refusal', () => b.errors[0]);
      expect(msg).toMatch(/certificate for another host/);
      expect(b.link.connected).toBe(false);
    } finally {
      await b.link.stop();
    }
    // The Settings → Test button says the same in one line.
    const test = await AgentLink.test({ kind: 'agent', id: 't', host: 'gpu-h2', address: '127.0.0.1', port: agents.get('gpu-h1')!.agent.port }, control);
    expect(test.ok).toBe(false);
    expect(test.message).toMatch(/certificate for another host/);
    const good = await AgentLink.test({ kind: 'agent', id: 't', host: 'gpu-h1', address: '127.0.0.1', port: agents.get('gpu-h1')!.agent.port }, control);
    expect(good).toMatchObject({ ok: true, gpus: 8 });
  });

  it('counts agent messages that fail the schema, and a host or GPU the inventory lacks, without using them', async () => {
    const id = loadIdentity(certs, 'agent-gpu-h1');
    const uuid = simGpuUuid('gpu-h1', 0);
    const stranger = 'GPU-00000000-0000-0000-0000-000000000001';
    const lines = [
      'not json',
      JSON.stringify({ type: 'readings', host: 'gpu-h1', seq: 1, tMs: Date.now(), gpus: [{ uuid, powerW: 'hot' }], state: { mode: 'safe', leaseExpiresMs: null, safeCapW: 420 } }),
      JSON.stringify({ type: 'readings', host: 'gpu-h1', seq: 2, tMs: Date.now(), gpus: [{ uuid: stranger, powerW: 100, limitW: 700, tempC: 40, memTempC: 40, smClockMHz: 1000, utilPct: 50, clockEventMask: 0 }], state: { mode: 'safe', leaseExpiresMs: null, safeCapW: 420 } }),
      JSON.stringify({ type: 'readings', host: 'gpu-h1', seq: 3, tMs: Date.now(), gpus: [{ uuid, powerW: 5000, limitW: 700, tempC: 40, memTempC: 40, smClockMHz: 1000, utilPct: 50, clockEventMask: 0 }], state: { mode: 'safe', leaseExpiresMs: null, safeCapW: 420 } }),
    ];
    const server = createTlsServer({ cert: id.cert, key: id.key, ca: id.ca, requestCert: true, rejectUnauthorized: true }, (s) => {
      s.on('error', () => {});
      s.write(lines.join('\n') + '\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const fleet = new FleetSource(inventory);
    const link = new AgentLink({ kind: 'agent', id: 'fake', host: 'gpu-h1', address: '127.0.0.1', port: (server.address() as AddressInfo).port }, { identity: control });
    fleet.addFeed(link);
    try {
      const h = await until('4 counted errors', () => {
        const x = fleet.health()[0]!;
        return x.errors >= 4 ? x : undefined;
      });
      expect(h.errors).toBe(4);
      const batch = fleet.poll();
      // The impossible 5 kW reading is passed on as read for the engine to flag and replace (power = limit).
      expect(batch?.powerW[0]).toBe(5000);
      expect(h.lastError).toMatch(/powerW 5000 exceeds/);
    } finally {
      await fleet.close();
      await new Promise((r) => server.close(r));
    }
  });
});
