import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_PROTOCOL_VERSION, type AgentReading } from '../../../shared/agentProtocol.js';
import { ClockEvent } from '../../../shared/domain/fleet.js';
import { HostAgent } from '../../../main/agent/agent.js';
import { BackendError } from '../../../main/agent/backend.js';
import { createCa, issueAgentCert, issueConsoleCert, loadIdentity, type TlsIdentity } from '../../../main/pki/certs.js';
import { SimBackend, simGpuUuid } from '../../../main/agent/simBackend.js';
import { AgentLink } from '../../../main/fleet/agentLink.js';
import { tempDir, until } from '../../helpers.js';

/**
 * The agent's lease and safe-cap rules when nvidia-smi fails or the console misbehaves: a brake is on only once its
 * minimum limit is; a safe cap that fails is retried until it holds; a bare renewal cannot revive a lapsed lease; a
 * partly failed command still lapses; stopping the agent leaves the safe cap.
 */
const tmp = tempDir('headroom-lease-');
const certs = tmp.file('certs');
let control: TlsIdentity;

/** A simulated host whose nvidia-smi calls can be made to fail. */
class FlakyBackend extends SimBackend {
  failLock = false;
  failLimit = 0;
  override async lockClocks(i: number, a: number, b: number): Promise<void> {
    if (this.failLock) throw new BackendError('nvidia-smi -lgc: not supported');
    return super.lockClocks(i, a, b);
  }
  override async setPowerLimit(i: number, w: number): Promise<void> {
    if (this.failLimit > 0) {
      this.failLimit--;
      throw new BackendError('nvidia-smi -pl: timed out');
    }
    return super.setPowerLimit(i, w);
  }
}

async function setup(host: string) {
  const backend = new FlakyBackend({ host, gpus: 2 });
  const agent = await HostAgent.start({ host, backend, identity: loadIdentity(certs, `agent-${host}`), listen: { host: '127.0.0.1', port: 0 }, metricsListen: null, intervalMs: 50, safeCap: { pct: 60 } });
  const readings: AgentReading[][] = [];
  const link = new AgentLink({ kind: 'agent', id: host, host, address: '127.0.0.1', port: agent.port }, { identity: control });
  link.start({ readings: (_i, _h, _t, r) => readings.push([...r]), error: () => {} });
  await until('hello', () => link.connected);
  const uuid = (i: number) => simGpuUuid(host, i);
  return { backend, agent, link, readings, uuid };
}

beforeAll(async () => {
  await createCa(certs);
  for (const h of ['gpu-l1', 'gpu-l2', 'gpu-l3', 'gpu-l4']) await issueAgentCert(certs, h);
  await issueConsoleCert(certs, 'desk', 'control');
  control = loadIdentity(certs, 'console-desk');
});
afterAll(() => tmp.cleanup());

describe('agent leases when things fail', () => {
  it('a brake whose clock lock fails is still braked at the minimum limit, reported, and kept through a lapse', async () => {
    const { backend, agent, link, readings, uuid } = await setup('gpu-l1');
    try {
      expect((await link.send([{ kind: 'setPowerLimit', uuid: uuid(0), watts: 700 }], 800)).ok).toBe(true);
      backend.failLock = true;
      const r = await link.send([{ kind: 'brake', uuid: uuid(0), on: true }], 800);
      expect(r).toMatchObject({ ok: false, code: 'backend' });
      expect(backend.limitOf(0)).toBe(200);
      await until('brake reported as hw_power_brake', () => ((readings.at(-1)?.find((x) => x.uuid === uuid(0))?.clockEventMask ?? 0) & ClockEvent.hwPowerBrake) !== 0);
      // The lease lapses: the braked GPU stays at its 200 W minimum; the other goes to the 420 W safe cap.
      await until('lapsed', () => agent.state().mode === 'safe');
      expect([backend.limitOf(0), backend.limitOf(1)]).toEqual([200, 420]);
    } finally {
      await link.stop();
      await agent.stop();
    }
  });

  it('retries a safe cap that nvidia-smi failed to apply until it holds', async () => {
    const { backend, agent, link, uuid } = await setup('gpu-l2');
    try {
      expect((await link.send([{ kind: 'setPowerLimit', uuid: uuid(1), watts: 650 }], 300)).ok).toBe(true);
      backend.failLimit = 3;
      await until('lapsed', () => agent.state().mode === 'safe');
      await until('safe cap finally applied', () => backend.limitOf(1) === 420);
      expect(backend.failLimit).toBe(0);
    } finally {
      await link.stop();
      await agent.stop();
    }
  });

  it('refuses a bare renewal after the lease lapsed, and lapses a partly failed command', async () => {
    const { backend, agent, link, uuid } = await setup('gpu-l3');
    try {
      expect((await link.send([], 2000)).code).toBe('no-lease');
      expect(agent.state().mode).toBe('safe');
      // GPU 0 is raised, then GPU 1's call fails: GPU 0's raise holds only until this command's expiry.
      backend.failLimit = 0;
      const body = { v: AGENT_PROTOCOL_VERSION, host: 'gpu-l3', nonce: 'ab'.repeat(16), issuedMs: Date.now(), expiresMs: Date.now() + 400, actions: [{ kind: 'setPowerLimit' as const, uuid: uuid(0), watts: 690 }, { kind: 'setPowerLimit' as const, uuid: uuid(1), watts: 690 }], auditHead: { seq: 0, hash: '0'.repeat(64) } };
      const orig = backend.setPowerLimit.bind(backend);
      backend.setPowerLimit = async (i, w) => (i === 1 ? Promise.reject(new BackendError('nvidia-smi -pl: GPU is lost')) : orig(i, w));
      const r = await link.sendBody(JSON.stringify(body), body.nonce);
      expect(r).toMatchObject({ ok: false, code: 'backend', state: { mode: 'leased' } });
      expect(backend.limitOf(0)).toBe(690);
      backend.setPowerLimit = orig;
      await until('back at the safe cap after the expiry', () => agent.state().mode === 'safe' && backend.limitOf(0) === 420);
    } finally {
      await link.stop();
      await agent.stop();
    }
  });

  it('leaves the safe cap when stopped, whatever a console had set', async () => {
    const { backend, agent, link, uuid } = await setup('gpu-l4');
    expect((await link.send([{ kind: 'setPowerLimit', uuid: uuid(0), watts: 700 }], 5000)).ok).toBe(true);
    await link.stop();
    await agent.stop();
    expect(backend.limitOf(0)).toBe(420);
  });
});
