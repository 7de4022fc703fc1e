import { writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stringify } from 'yaml';
import type { Actor } from '../../../shared/domain/control.js';
import type { Alert } from '../../../shared/domain/fleet.js';
import { HostAgent } from '../../../main/agent/agent.js';
import { createCa, issueAgentCert, issueConsoleCert, loadIdentity } from '../../../main/pki/certs.js';
import { SimBackend, simGpuUuid } from '../../../main/agent/simBackend.js';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { tempDir, until } from '../../helpers.js';

/**
 * Configuration sanity on a real fleet: two agents whose hellos show what the inventory got wrong. gpu-c1 runs with a
 * safe cap of 100 % (700 W per H100); gpu-c2 has A100 boards (400 W max) that the inventory lists as H100-SXM. Row
 * C's budget (14 kW) is below what the fallback would let it draw (8 × 700 + 8 × 400 + 2 × 3.5 kW servers = 15.8 kW).
 * Both show as a warning line in the log and as configSanity alerts.
 */
const tmp = tempDir('headroom-sanity-');
const certs = tmp.file('certs');
const agents: HostAgent[] = [];
const log: string[] = [];
const viewer: Actor = { user: 'v', role: 'viewer' };
let rt: Runtime;

beforeAll(async () => {
  await createCa(certs);
  for (const h of ['gpu-c1', 'gpu-c2']) await issueAgentCert(certs, h);
  await issueConsoleCert(certs, 'desk', 'control');
  for (const [host, model, pct] of [['gpu-c1', 'H100-SXM', 100], ['gpu-c2', 'A100-SXM', 100]] as const) {
    const backend = new SimBackend({ host, gpus: 8, model });
    agents.push(await HostAgent.start({ host, backend, identity: loadIdentity(certs, `agent-${host}`), listen: { host: '127.0.0.1', port: 0 }, metricsListen: null, intervalMs: 250, safeCap: { pct } }));
  }
  writeFileSync(
    tmp.file('inventory.yaml'),
    stringify({
      site: { id: 'lab', name: 'Sanity lab' },
      rows: [{ id: 'C', budgetKW: 14, coolingKW: 30, gpuModel: 'H100-SXM', racks: [{ id: 'C01', servers: ['gpu-c1', 'gpu-c2'].map((host, i) => ({ host, slot: i + 1, gpus: Array.from({ length: 8 }, (_, g) => simGpuUuid(host, g)) })) }] }],
    }),
  );
  writeFileSync(tmp.file('sources.yaml'), stringify({ sources: agents.map((a, i) => ({ kind: 'agent', id: `agent-c${i + 1}`, host: `gpu-c${i + 1}`, address: '127.0.0.1', port: a.port })) }));
  rt = await createRuntime({
    scenario: 'default',
    db: tmp.file('data/telemetry.db'),
    fleet: { inventory: tmp.file('inventory.yaml'), sources: tmp.file('sources.yaml'), certs, certName: 'desk', leaseMs: 3000 },
    log: (l) => log.push(l),
  });
  rt.runner.start();
}, 30_000);

afterAll(async () => {
  await rt?.close();
  for (const a of agents) await a.stop();
  tmp.cleanup();
});

describe('configuration sanity on a real fleet', () => {
  it('a row whose safe caps exceed its budget, and GPUs whose limits disagree with the inventory: a warning and an alert each', async () => {
    const alerts = await until('both configSanity alerts', () => {
      const list = (rt.handlers['alerts:list']({ includeResolved: false }, viewer) as Alert[]).filter((a) => a.rule === 'configSanity');
      return list.length === 2 ? list : undefined;
    }, 15_000);
    const row = alerts.find((a) => a.subject.kind === 'row')!;
    expect(row).toMatchObject({ id: 'configSanity:C', severity: 'warning', row: 'C', state: 'firing' });
    expect(row.summary).toBe(
      "Row C: its agents' safe caps plus server power add up to 15.8 kW, above its 14.0 kW budget: if the console goes away, the fallback does not protect it. Lower the agents' --safe-cap-w / --safe-cap-pct.",
    );
    const server = alerts.find((a) => a.subject.kind === 'server')!;
    expect(server).toMatchObject({ id: 'configSanity:gpu-c2', row: 'C', value: 8 });
    expect(server.summary).toMatch(/^Server gpu-c2: GPUs 0, 1, 2, 3, 4, 5, 6, 7 \(".*A100.*"\) report max limit 400 W \(model 700 W\), min limit 100 W \(model 200 W\), default limit 400 W \(model 700 W\); the inventory says H100-SXM\./);
    // The same two, once each, as warnings in the log (not repeated at every hello).
    expect(log.filter((l) => l.startsWith('warning: ')).sort()).toEqual([`warning: ${row.summary}`, `warning: ${server.summary}`].sort());
  }, 30_000);
});
