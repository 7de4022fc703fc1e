import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { ControllerStatus } from '../../../shared/domain/controller.js';
import { tempDir } from '../../helpers.js';
import { headroomCli, issueCerts, writeInventory, writeSources } from '../../e2e/support/fleet.js';
import { startHeadroom, type RunningServer } from '../../e2e/support/server.js';
import { startAgentProcess, type AgentProcess } from '../../support/hostAgents.js';
import { EtcdProcess } from './etcdHarness.js';

/**
 * A redundant controller set on loopback (issue 17): one real etcd, `headroom agent --backend sim` hosts with their
 * /metrics on, and `headroom serve --controller` processes sharing the tokens, each with its own console
 * certificate and data folder. Used by test/integration/ha/failover.test.ts, test/e2e/controllers.test.ts and
 * bench/failover.ts.
 */
export interface ControllerRig {
  dir: string;
  etcdUrl: string;
  agents: AgentProcess[];
  controllers: Map<string, RunningServer>;
  token: string;
  /** Start (or restart, same data folder) controller `id`. */
  start(id: string): Promise<RunningServer>;
  health(id: string): Promise<ControllerStatus | null>;
  /** The controller that says it leads (and is the one the others name), within `ms`. */
  leader(ms?: number, except?: string): Promise<{ id: string; epoch: number; server: RunningServer }>;
  /** A gauge or counter of an agent's /metrics (first sample of `name`; with `label`, e.g. 'epoch="7"', of that series, 0 when absent). */
  metric(agent: AgentProcess, name: string, label?: string): Promise<number>;
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export async function startControllerRig(o: { ids?: string[]; hosts?: string[]; etcdLeaseS?: number; agentLeaseMs?: number } = {}): Promise<ControllerRig> {
  const ids = o.ids ?? ['c1', 'c2', 'c3'];
  const hosts = o.hosts ?? ['gpu-h1', 'gpu-h2'];
  const tmp = tempDir('headroom-ha-');
  const certs = join(tmp.dir, 'certs');
  const etcd = new EtcdProcess();
  const controllers = new Map<string, RunningServer>();
  const agents: AgentProcess[] = [];
  const token = 'ha-test-token-0123456789';
  const rig: ControllerRig = {
    dir: tmp.dir,
    etcdUrl: '',
    agents,
    controllers,
    token,
    async start(id) {
      const s = await startHeadroom({
        dbFile: join(tmp.dir, id, 'telemetry.db'),
        token,
        extraArgs: [
          ...['--inventory', join(tmp.dir, 'inventory.yaml'), '--sources', join(tmp.dir, 'sources.yaml'), '--certs', certs, '--cert-name', id],
          ...['--lease-ms', String(o.agentLeaseMs ?? 15_000), '--controller', '--etcd', rig.etcdUrl, '--controller-id', id, '--etcd-lease-s', String(o.etcdLeaseS ?? 5)],
        ],
      });
      controllers.set(id, s);
      return s;
    },
    async health(id) {
      const s = controllers.get(id);
      if (!s) return null;
      const r = await fetch(`${s.origin}/api/health`, { signal: AbortSignal.timeout(1000) }).catch(() => null);
      if (!r?.ok) return null;
      return ((await r.json()) as { controller?: ControllerStatus }).controller ?? null;
    },
    async leader(ms = 20_000, except) {
      const end = Date.now() + ms;
      for (;;) {
        for (const id of controllers.keys()) {
          if (id === except) continue;
          const h = await rig.health(id);
          if (h?.role === 'leader' && h.leader === id && h.epoch !== null) return { id, epoch: h.epoch, server: controllers.get(id)! };
        }
        if (Date.now() > end) throw new Error(`no controller${except ? ` other than ${except}` : ''} led within ${ms} ms`);
        await sleep(50);
      }
    },
    async metric(agent, name, label) {
      const text = await (await fetch(`http://127.0.0.1:${agent.metricsPort}/metrics`, { signal: AbortSignal.timeout(2000) })).text();
      const m = new RegExp(`^${name}\\{[^}]*${label ?? ''}[^}]*\\} (\\S+)$`, 'm').exec(text);
      return m ? Number(m[1]) : label ? 0 : NaN;
    },
    async close() {
      await Promise.all([...controllers.values()].map((c) => c.kill()));
      await Promise.all(agents.map((a) => a.kill()));
      await etcd.end();
      tmp.cleanup();
    },
  };
  try {
    rig.etcdUrl = await etcd.begin();
    await issueCerts(certs, hosts, ids[0]!);
    for (const id of ids.slice(1)) await headroomCli(['certs', 'console', '--dir', certs, '--name', id, '--scope', 'control']);
    const started = await Promise.allSettled(
      hosts.map((h) => startAgentProcess(['--backend', 'sim', '--host', h, '--certs', certs, '--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0', '--safe-cap-pct', '60', '--state-dir', join(tmp.dir, `state-${h}`)])),
    );
    for (const r of started) if (r.status === 'fulfilled') agents.push(r.value);
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    writeInventory(join(tmp.dir, 'inventory.yaml'), hosts);
    writeSources(join(tmp.dir, 'sources.yaml'), agents.map((a) => ({ kind: 'agent', id: a.host, host: a.host, address: '127.0.0.1', port: a.port })));
    for (const id of ids) {
      mkdirSync(join(tmp.dir, id), { recursive: true });
      await rig.start(id);
    }
    return rig;
  } catch (e) {
    await rig.close();
    throw e;
  }
}
