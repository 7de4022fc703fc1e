/**
 * The host agent against a REAL nvidia-smi (run on a GPU machine; see docs/AGENTS.md "Checked on real GPUs").
 * Bundled with esbuild into one file so it needs only a node binary there:
 *   npx esbuild scripts/device-check.ts --bundle --platform=node --format=esm --outfile=.dev/check.mjs \
 *     --banner:js="import{createRequire}from'module';const require=createRequire(import.meta.url);"
 * Prints one JSON document: what the agent discovered and read, what a leased cap and a clock lock did on the GPU
 * (read back through nvidia-smi and through the agent), the refusals, the lapse to the safe cap, and timings.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AgentReading } from '../shared/agentProtocol.js';
import { HostAgent } from '../main/agent/agent.js';
import { NvidiaSmiBackend } from '../main/agent/nvidiaSmiBackend.js';
import { createCa, issueAgentCert, issueConsoleCert, loadIdentity } from '../main/pki/certs.js';
import { AgentLink } from '../main/fleet/agentLink.js';

const out: Record<string, unknown> = {};
const log: string[] = [];
const smi = (...args: string[]): { rc: number; text: string } => {
  try {
    return { rc: 0, text: execFileSync('nvidia-smi', args, { encoding: 'utf8', timeout: 20_000, stdio: ['ignore', 'pipe', 'pipe'] }) };
  } catch (e) {
    const x = e as { status?: number; stdout?: string; stderr?: string };
    return { rc: x.status ?? -1, text: `${x.stdout ?? ''}${x.stderr ?? ''}` };
  }
};
const until = async (what: string, f: () => boolean, ms = 20_000): Promise<number> => {
  const t0 = Date.now();
  while (!f()) {
    if (Date.now() - t0 > ms) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return Date.now() - t0;
};

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hr-dev-'));
  await createCa(dir);
  await issueAgentCert(dir, 'gpu-real');
  await issueConsoleCert(dir, 'desk', 'control');
  const backend = new NvidiaSmiBackend({ timeoutMs: 20_000 });
  const agent = await HostAgent.start({ host: 'gpu-real', backend, identity: loadIdentity(dir, 'agent-gpu-real'), listen: { host: '127.0.0.1', port: 0 }, metricsListen: { host: '127.0.0.1', port: 0 }, intervalMs: 500, safeCap: { pct: 80 }, maxLeaseMs: 60_000, log: (l) => log.push(l) });
  const gpus = agent.gpuInfo;
  out.discovered = gpus;
  const g = gpus[0];
  if (!g) throw new Error('no GPU');
  out.afterStart = smi('-i', g.uuid, '--query-gpu=power.limit,enforced.power.limit,power.default_limit,power.min_limit,power.max_limit,clocks.sm,clocks.max.sm', '--format=csv');
  const readings: AgentReading[] = [];
  /** The latest reading of each GPU. */
  const latest = new Map<string, AgentReading>();
  const link = new AgentLink({ kind: 'agent', id: 'real', host: 'gpu-real', address: '127.0.0.1', port: agent.port }, { identity: loadIdentity(dir, 'console-desk') });
  link.start({
    readings: (_i, _h, _t, r) => {
      readings.push(...r);
      for (const x of r) latest.set(x.uuid, x);
    },
    error: (_i, m) => log.push(`link error: ${m}`),
  });
  await until('hello', () => link.connected);
  await until('readings', () => readings.length > 0);
  out.firstReading = latest.get(g.uuid);
  const metrics = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`)).text();
  out.metricsHead = metrics.split('\n').filter((l) => /^DCGM_FI_DEV_(POWER_USAGE|POWER_MGMT_LIMIT|SM_CLOCK|GPU_TEMP)\{/.test(l)).slice(0, 4);
  const target = Math.round((g.minLimitW + g.maxLimitW) / 2);
  const read = () => latest.get(g.uuid);
  let t0 = Date.now();
  out.capCommand = await link.send([{ kind: 'setPowerLimit', uuid: g.uuid, watts: target }], 4_000, 30_000);
  out.capCommandMs = Date.now() - t0;
  out.capReadBackMs = await until('cap read back', () => Math.abs((read()?.limitW ?? 0) - target) < 1).catch((e: Error) => e.message);
  out.capSmi = smi('-i', g.uuid, '--query-gpu=power.limit,enforced.power.limit', '--format=csv');
  // The lowest SM clock nvidia-smi lists for this GPU, and a lock there.
  const supported = smi('-i', g.uuid, '--query-supported-clocks=graphics', '--format=csv,noheader,nounits');
  const clocks = supported.text.split('\n').map(Number).filter((x) => x > 0);
  out.supportedClocks = { rc: supported.rc, count: clocks.length, min: clocks.length ? Math.min(...clocks) : null, max: clocks.length ? Math.max(...clocks) : null, firstLine: supported.text.split('\n')[0] };
  const lockAt = clocks.length ? Math.min(...clocks) : 345;
  t0 = Date.now();
  out.lockCommand = await link.send([{ kind: 'lockClocks', uuid: g.uuid, minMHz: Math.max(lockAt, g.minClockMHz), maxMHz: Math.max(lockAt, g.minClockMHz) }], 4_000, 30_000);
  out.lockCommandMs = Date.now() - t0;
  out.lockSmi = smi('-i', g.uuid, '--query-gpu=clocks.sm,clocks_event_reasons.active', '--format=csv');
  out.resetCommand = await link.send([{ kind: 'resetClocks', uuid: g.uuid }], 4_000, 30_000);
  out.outOfRange = await link.send([{ kind: 'setPowerLimit', uuid: g.uuid, watts: g.maxLimitW + 100 }], 4_000, 30_000);
  // nvidia-smi's own words for refusals the agent never sends (the agent checks ranges first).
  out.smiOutOfRangePl = smi('-i', g.uuid, '-pl', String(Math.max(1, g.minLimitW - 50)));
  out.smiBadLgc = smi('-i', g.uuid, '-lgc', '1,2');
  out.smiBelowMinLgc = smi('-i', g.uuid, '-lgc', '100,100');
  out.smiRgc = smi('-i', g.uuid, '-rgc');
  // Let the lease lapse (every command above held 4 s): the GPU must go to the safe cap (80 % of max).
  const leaseEnd = agent.state().leaseExpiresMs ?? Date.now();
  out.shortLease = { leaseEndsInMs: leaseEnd - Date.now() };
  const safe = Math.round(0.8 * g.maxLimitW);
  await until('safe cap after lapse', () => agent.state().mode === 'safe' && Math.abs((read()?.limitW ?? 0) - safe) < 1, 30_000).catch((e: Error) => log.push(e.message));
  out.safeCapReadBackAfterLeaseEndMs = Date.now() - leaseEnd;
  out.safeSmi = smi('-i', g.uuid, '--query-gpu=power.limit,enforced.power.limit', '--format=csv');
  await link.stop();
  await agent.stop();
  // Leave the GPU as found: default limit, clocks reset.
  out.restoreDefault = smi('-i', g.uuid, '-pl', String(Math.round(Number(/(\d+(?:\.\d+)?)/.exec(smi('-i', g.uuid, '--query-gpu=power.default_limit', '--format=csv,noheader,nounits').text)?.[1] ?? g.maxLimitW))));
  out.agentLog = log;
}

main()
  .catch((e: Error) => {
    out.error = e.stack ?? e.message;
  })
  .finally(() => {
    console.log(JSON.stringify(out, null, 2));
    process.exit(0);
  });
