// Hosts N simulated Headroom agents (8 GPUs each) in one process on loopback, for `npm run bench` (bench/agents.ts).
// Usage: node bench/agentFleet.mjs CERT_DIR N INTERVAL_MS — prints one JSON line {host, port} per agent, then "ready".
import { HostAgent } from '../dist/main/agent/agent.js';
import { loadIdentity } from '../dist/main/agent/certs.js';
import { SimBackend } from '../dist/main/agent/simBackend.js';

const [dir, n, intervalMs] = [process.argv[2], Number(process.argv[3]), Number(process.argv[4] ?? 1000)];
const agents = [];
for (let i = 0; i < n; i++) {
  const host = `gpu-b${String(i).padStart(3, '0')}`;
  const agent = await HostAgent.start({
    host,
    backend: new SimBackend({ host, gpus: 8, seed: i }),
    identity: loadIdentity(dir, `agent-${host}`),
    listen: { host: '127.0.0.1', port: 0 },
    metricsListen: null,
    intervalMs,
    safeCap: { pct: 60 },
  });
  agents.push(agent);
  process.stdout.write(JSON.stringify({ host, port: agent.port }) + '\n');
}
process.stdout.write('ready\n');
process.on('SIGTERM', async () => {
  await Promise.all(agents.map((a) => a.stop()));
  process.exit(0);
});
