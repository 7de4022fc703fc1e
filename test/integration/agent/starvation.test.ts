import { execFileSync, spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HostAgent } from '../../../main/agent/agent.js';
import { DEFAULT_ADMISSION, type AdmissionLimits } from '../../../main/agent/admission.js';
import { SimBackend, simGpuUuid } from '../../../main/agent/simBackend.js';
import { AgentLink } from '../../../main/fleet/agentLink.js';
import { createCa, issueAgentCert, issueConsoleCert, loadIdentity } from '../../../main/pki/certs.js';
import { captureClientHello, loopbackSources, Swarm, type SwarmStats } from './attackers.js';
import { tempDir, until } from '../../helpers.js';

/**
 * Issue 11, item 1: idle, silent-after-ClientHello and trickling connections must not keep a console off an agent.
 * A real HostAgent (sim backend) on loopback, a swarm of up to 1,000 such sockets from other loopback addresses that
 * re-opens every socket the agent closes, and a real console (AgentLink) that must connect and cap a GPU within 2 s.
 */
const HOST = 'gpu-dos';
const tmp = tempDir('headroom-starve-');
const certs = tmp.file('certs');
let hello: Buffer;
const running: HostAgent[] = [];

/** The soft limit on open files (a shell, like the swarm's process, inherits this process's): one per socket end. */
const NOFILE = Number(execFileSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).trim()) || 1024;
const WANTED = 1000;
const SWARM = Math.min(WANTED, NOFILE - 256);

/** A swarm in a child process (swarmMain.ts); `stats()` is its latest report. */
function childSwarm(port: number, n: number, sources: number, reconnectMs: number) {
  const child = spawn(process.execPath, ['--import', 'tsx', 'test/integration/agent/swarmMain.ts', String(port), String(n), String(sources), String(reconnectMs), HOST], { stdio: ['pipe', 'pipe', 'inherit'] });
  let last: SwarmStats = { opened: 0, closedByAgent: 0, live: 0, maxLive: 0, errors: 0 };
  let buf = '';
  child.stdout.on('data', (d) => {
    buf += String(d);
    const lines = buf.split('\n');
    buf = lines.pop()!;
    if (lines.length) last = JSON.parse(lines.at(-1)!) as SwarmStats;
  });
  return { stats: () => last, stop: () => new Promise<void>((r) => (child.once('exit', () => r()), child.stdin.end())) };
}

async function startAgent(limits: Partial<AdmissionLimits> = {}): Promise<{ agent: HostAgent; backend: SimBackend; log: string[] }> {
  const backend = new SimBackend({ host: HOST, gpus: 8 });
  const log: string[] = [];
  const agent = await HostAgent.start({
    host: HOST,
    backend,
    identity: loadIdentity(certs, `agent-${HOST}`),
    listen: { host: '127.0.0.1', port: 0 },
    metricsListen: null,
    intervalMs: 200,
    safeCap: { pct: 60 },
    limits,
    log: (l) => log.push(l),
  });
  running.push(agent);
  return { agent, backend, log };
}

function consoleLink(agent: HostAgent, name = 'desk') {
  const errors: string[] = [];
  let hellos = 0;
  const link = new AgentLink(
    { kind: 'agent', id: `src-${name}`, host: HOST, address: '127.0.0.1', port: agent.port },
    { identity: loadIdentity(certs, `console-${name}`), onHello: () => hellos++ },
  );
  let readings = 0;
  link.start({ readings: () => readings++, error: (_id, m) => errors.push(m) });
  return { link, errors, hellos: () => hellos, readings: () => readings };
}

beforeAll(async () => {
  await createCa(certs);
  await issueAgentCert(certs, HOST, { ips: ['127.0.0.1'] });
  await issueConsoleCert(certs, 'desk', 'control');
  await issueConsoleCert(certs, 'wall', 'read');
  hello = await captureClientHello(HOST);
}, 30_000);

afterAll(async () => {
  for (const a of running) await a.stop();
  tmp.cleanup();
});

describe('an agent under a connection flood', () => {
  it('defaults: 5 s to authenticate, unauthenticated sockets capped per source and in all, below the total', () => {
    expect(DEFAULT_ADMISSION).toEqual({ handshakeTimeoutMs: 5000, maxPending: 128, maxPendingPerSource: 8, maxConsoles: 32 });
    expect(DEFAULT_ADMISSION.maxPending).toBeLessThan(DEFAULT_ADMISSION.maxPending + DEFAULT_ADMISSION.maxConsoles);
  });

  it(`lets a console connect and cap a GPU within 2 s while ${SWARM} idle, stalled and trickling sockets are held`, async () => {
    console.log(`open files: soft limit ${NOFILE} → swarm of ${SWARM} sockets${SWARM < WANTED ? ` (fewer than ${WANTED}: the limit allows no more)` : ''}`);
    const { agent, backend } = await startAgent();
    // 125 attacking addresses × 8 sockets (every address at its per-source cap; 8× the global cap in all), from
    // another process, as an attacker would be.
    const swarm = childSwarm(agent.port, SWARM, 125, 100);
    let peak = 0;
    const sampler = setInterval(() => (peak = Math.max(peak, agent.connectionStats().pending)), 5);
    try {
      // The swarm tries to hold SWARM sockets; the agent keeps at most maxPending of them and closes the rest, which
      // the swarm re-opens 100 ms later. The console arrives into a flood that is on (each socket re-opened at least
      // once): the first second of a flood from fresh addresses, when the agent must still tell who is noisy, is
      // slower (see docs/AGENTS.md).
      await until(`the swarm's ${SWARM} sockets each re-opened`, () => swarm.stats().opened >= 2 * SWARM && swarm.stats().closedByAgent >= 2 * SWARM, 30_000, () => JSON.stringify(swarm.stats()));
      const before = { ...swarm.stats() };

      const t0 = performance.now();
      const c = consoleLink(agent);
      await until('the console connected', () => c.link.connected, 2000, () => c.errors.join('\n'));
      const connectedMs = performance.now() - t0;
      const uuid = simGpuUuid(HOST, 0);
      const r = await c.link.send([{ kind: 'setPowerLimit', uuid, watts: 500 }], 10_000, 2000);
      expect(r, JSON.stringify(r)).toMatchObject({ ok: true });
      expect(backend.limitOf(0)).toBe(500);
      const cappedMs = performance.now() - t0;
      console.log(`console under ${SWARM} sockets: connected in ${connectedMs.toFixed(0)} ms, cap applied in ${cappedMs.toFixed(0)} ms`);
      expect(cappedMs).toBeLessThan(2000);

      // Held: the console stays connected and keeps getting readings while the flood goes on (consoles' slots are
      // not the unauthenticated sockets' slots, and a console is never the one dropped).
      const readingsBefore = c.readings();
      await new Promise((r) => setTimeout(r, 1500));
      expect(c.link.connected).toBe(true);
      expect(c.hellos()).toBe(1);
      expect(c.readings()).toBeGreaterThan(readingsBefore + 3);
      const s = agent.connectionStats();
      console.log(
        `agent: peak ${s.peakPending} unauthenticated (cap ${DEFAULT_ADMISSION.maxPending}), dropped ${JSON.stringify(s.dropped)}; ` +
          `swarm: ${swarm.stats().opened} opened (${swarm.stats().opened - before.opened} while the console connected and held), ${swarm.stats().closedByAgent} closed by the agent, ` +
          `most open at once (client side) ${swarm.stats().maxLive}`,
      );
      expect(s.peakPending).toBeLessThanOrEqual(DEFAULT_ADMISSION.maxPending);
      expect(peak).toBeLessThanOrEqual(DEFAULT_ADMISSION.maxPending);
      expect(s.consoles).toBe(1);
      expect(s.dropped['per-source'] + s.dropped.global).toBeGreaterThan(SWARM - DEFAULT_ADMISSION.maxPending);
      await c.link.stop();
    } finally {
      clearInterval(sampler);
      await swarm.stop();
    }
  }, 60_000);

  it('closes idle, stalled and trickling sockets when the handshake deadline passes, not before', async () => {
    const { agent } = await startAgent({ handshakeTimeoutMs: 1500 });
    // 6 sources × 3 kinds: under every cap, so only the deadline can close them.
    const t0 = Date.now();
    const swarm = new Swarm({ port: agent.port, n: 18, addresses: loopbackSources(6), hello, reconnectMs: null, trickleMs: 100 });
    try {
      await until('18 sockets open', () => swarm.stats.maxLive === 18);
      await new Promise((r) => setTimeout(r, 1000));
      expect(swarm.stats.closedByAgent).toBe(0);
      await until('the agent closed every one', () => swarm.stats.closedByAgent === 18, 4000);
      const ages = swarm.closures.map((c) => c.closedMs - c.openedMs);
      console.log(`deadline 1500 ms: sockets closed after ${Math.min(...ages)}–${Math.max(...ages)} ms (${Date.now() - t0} ms in all)`);
      for (const c of swarm.closures) expect(c.closedMs - c.openedMs, c.kind).toBeGreaterThanOrEqual(1400);
      expect(new Set(swarm.closures.map((c) => c.kind))).toEqual(new Set(['idle', 'hello-stall', 'trickle']));
      expect(agent.connectionStats()).toMatchObject({ pending: 0, dropped: { timeout: 18, 'per-source': 0, global: 0 } });
    } finally {
      swarm.stop();
    }
  }, 20_000);

  it('per source: a source over its cap loses its own oldest socket; a console slot is never given to a second console beyond the cap', async () => {
    const { agent, log } = await startAgent({ handshakeTimeoutMs: 3000, maxPending: 6, maxPendingPerSource: 3, maxConsoles: 1 });
    const one = loopbackSources(1);
    const swarm = new Swarm({ port: agent.port, n: 3, addresses: one, hello, kinds: ['idle'], reconnectMs: null });
    try {
      await until('3 sockets open', () => swarm.stats.maxLive === 3);
      const late = new Swarm({ port: agent.port, n: 1, addresses: one, hello, kinds: ['idle'], reconnectMs: null });
      await until('one socket of that source closed', () => swarm.stats.closedByAgent + late.stats.closedByAgent === 1, 1000);
      expect(swarm.stats.closedByAgent).toBe(1); // the oldest, not the newcomer
      expect(agent.connectionStats()).toMatchObject({ pending: 3, dropped: { 'per-source': 1 } });
      late.stop();

      const first = consoleLink(agent, 'desk');
      await until('the first console connected', () => first.link.connected);
      const second = consoleLink(agent, 'wall');
      await until('the second console refused', () => agent.connectionStats().dropped['consoles-full'] >= 1);
      expect(second.link.connected).toBe(false);
      expect(log.some((l) => /all 1 console slots are taken/.test(l))).toBe(true);
      expect(first.link.connected).toBe(true);
      await Promise.all([first.link.stop(), second.link.stop()]);
    } finally {
      swarm.stop();
    }
  }, 20_000);
});
