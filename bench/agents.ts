import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { createCa, issueAgentCert, issueConsoleCert } from '../main/pki/certs.js';
import { simGpuUuid } from '../main/agent/simBackend.js';
import { createRuntime } from '../main/app/runtime.js';

/**
 * One console watching N simulated agents (8 GPUs each) at 1 Hz over mutual TLS on loopback: the console's CPU and
 * memory (engine, store worker, control service, alerts and the N TLS links, all in this process) and the sample
 * latency from an agent's reading to the engine tick that ingests it (p50/p99), plus the transport part of it
 * (reading → arrival at the console). The agents run in a child process (`headroom agent --hosts`) so their CPU is
 * not counted.
 */
export async function benchAgents(o: { agents?: number; warmupS?: number; measureS?: number; log?: (m: string) => void } = {}) {
  const n = o.agents ?? 128;
  const log = o.log ?? (() => {});
  const dir = mkdtempSync(join(tmpdir(), 'headroom-bench-agents-'));
  const certs = join(dir, 'certs');
  await createCa(certs);
  const hosts = Array.from({ length: n }, (_, i) => `gpu-b${String(i).padStart(3, '0')}`);
  for (const h of hosts) await issueAgentCert(certs, h, { ips: ['127.0.0.1'] });
  await issueConsoleCert(certs, 'bench', 'control');
  // The agents: `headroom agent --backend sim --hosts …`, one process, as a drill team would run them.
  const bin = new URL('../bin/headroom.js', import.meta.url).pathname;
  const args = [bin, 'agent', '--backend', 'sim', '--hosts', hosts.join(','), '--certs', certs, '--listen', '127.0.0.1:0', '--metrics-listen', 'off', '--safe-cap-pct', '60', '--seed', '0'];
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  // The agents log every start-up and lease change; keep only the tail, for a failure message.
  let agentLog = '';
  child.stderr.on('data', (d) => (agentLog = (agentLog + String(d)).slice(-4000)));
  const ports = new Map<string, number>();
  try {
    await new Promise<void>((resolve, reject) => {
      child.once('exit', (c) => reject(new Error(`headroom agent --hosts exited with ${c}:\n${agentLog}`)));
      createInterface({ input: child.stdout }).on('line', (line) => {
        const m = /^headroom agent (\S+): .*control on 127\.0\.0\.1:(\d+)/.exec(line);
        if (m) ports.set(m[1]!, Number(m[2]));
        if (ports.size === n) resolve();
      });
    });
    // 8 racks of 16 hosts (8 GPUs each): 4 rows.
    const racks = Array.from({ length: Math.ceil(n / 16) }, (_, r) => ({
      id: `R${String(r + 1).padStart(2, '0')}`,
      servers: hosts.slice(r * 16, r * 16 + 16).map((host, s) => ({ host, slot: s + 1, gpus: Array.from({ length: 8 }, (_, g) => simGpuUuid(host, g)) })),
    }));
    const rows = Array.from({ length: Math.ceil(racks.length / 2) }, (_, i) => ({ id: `row${i + 1}`, budgetKW: 180, coolingKW: 200, gpuModel: 'H100-SXM', racks: racks.slice(i * 2, i * 2 + 2) }));
    writeFileSync(join(dir, 'inventory.json'), JSON.stringify({ site: { id: 'bench', name: 'Bench fleet' }, rows }));
    writeFileSync(join(dir, 'sources.json'), JSON.stringify({ sources: hosts.map((host) => ({ kind: 'agent', id: host, host, address: '127.0.0.1', port: ports.get(host) })) }));
    const cpu0 = process.cpuUsage();
    const rt = await createRuntime({
      scenario: 'default',
      db: join(dir, 'telemetry.db'),
      fleet: { inventory: join(dir, 'inventory.json'), sources: join(dir, 'sources.json'), certs, certName: 'bench' },
      log: () => {},
    });
    rt.runner.start();
    const fleet = rt.fleet!;
    log(`  ${n} agents, ${rt.engine.topology.gpuCount} GPUs; warming up…`);
    await new Promise((r) => setTimeout(r, (o.warmupS ?? 5) * 1000));
    const up = fleet.source.health().filter((h) => h.state === 'up').length;
    fleet.source.visibleLatency.reset();
    fleet.source.arrivalLatency.reset();
    const cpuA = process.cpuUsage();
    const tA = performance.now();
    const ticksA = rt.engine.ticks;
    let rssMax = 0;
    const sampler = setInterval(() => (rssMax = Math.max(rssMax, process.memoryUsage().rss)), 250);
    await new Promise((r) => setTimeout(r, (o.measureS ?? 20) * 1000));
    clearInterval(sampler);
    const cpu = process.cpuUsage(cpuA);
    const wallS = (performance.now() - tA) / 1000;
    const mem = process.memoryUsage();
    const v = fleet.source.visibleLatency;
    const a = fleet.source.arrivalLatency;
    const health = fleet.source.health();
    const result = {
      agents: n,
      gpus: rt.engine.topology.gpuCount,
      intervalMs: 1000,
      agentsUpAfterWarmup: up,
      agentsUpAtEnd: health.filter((h) => h.state === 'up').length,
      errors: health.reduce((s, h) => s + h.errors, 0),
      ticks: rt.engine.ticks - ticksA,
      consoleCpuPct: Math.round(((cpu.user + cpu.system) / 1e6 / wallS) * 1000) / 10,
      consoleRssMB: Math.round(mem.rss / 1e6),
      consoleRssMaxMB: Math.round(rssMax / 1e6),
      consoleHeapUsedMB: Math.round(mem.heapUsed / 1e6),
      samples: v.total,
      visibleLatencyP50Ms: Math.round(v.quantile(0.5) * 1000),
      visibleLatencyP99Ms: Math.round(v.quantile(0.99) * 1000),
      arrivalLatencyP50Ms: Math.round(a.quantile(0.5) * 10000) / 10,
      arrivalLatencyP99Ms: Math.round(a.quantile(0.99) * 10000) / 10,
      startupCpuS: Math.round(((cpuA.user + cpuA.system - cpu0.user - cpu0.system) / 1e6) * 10) / 10,
      note: 'latency = agent reading time → the 1 Hz engine tick that ingests it; up to one tick of it is phase (agents and engine are not aligned)',
    };
    await rt.close();
    return result;
  } finally {
    child.kill('SIGTERM');
    await new Promise((r) => setTimeout(r, 300));
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split('/').pop()!)) {
  console.log(JSON.stringify(await benchAgents({ log: (m) => process.stderr.write(m + '\n') }), null, 2));
}
