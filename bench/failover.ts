import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sleep, startControllerRig } from '../test/integration/ha/controllerRig.js';
import { runFencingTrials } from '../test/support/fencingTrials.js';

/**
 * The redundant controller set's figures (issue 17, docs/RELIABILITY.md "Controllers"), all on real processes on
 * loopback (one etcd, two simulated agents, three `serve --controller`) except the 1,000 randomized trials:
 *   - failoverMs: leader SIGKILL → the first command of the new leader accepted by an agent (the time the agent wrote
 *     the new epoch to its epoch.json, its own clock), 5 s etcd lease, per trial; and until every agent has one;
 *   - cleanHandoverMs and leaseLapses: leader SIGTERM → the new leader's first command, and the agents' leases that
 *     lapsed to the safe cap in the 16 s after it (15 s lease);
 *   - frozen: leader SIGSTOP until another leads, then SIGCONT: whether it left (exit 75) and how many of its
 *     commands agents refused as stale;
 *   - trials: 1,000 randomized freeze/resume trials on the agent's real gate and fence (test/support/fencingTrials.ts)
 *     with each guard on and off.
 */
export async function benchFailover(o: { kills?: number; handovers?: number; freezes?: number; log?: (s: string) => void } = {}): Promise<Record<string, unknown>> {
  const log = o.log ?? (() => {});
  const rig = await startControllerRig();
  try {
    const epochAt = (host: string, epoch: number): number | null => {
      const f = join(rig.dir, `state-${host}`, 'epoch.json');
      if (!existsSync(f)) return null;
      const s = JSON.parse(readFileSync(f, 'utf8')) as { epoch: number; atMs: number };
      return s.epoch >= epoch ? s.atMs : null;
    };
    const firstCommand = async (epoch: number, t0: number, ms = 20_000) => {
      const end = Date.now() + ms;
      for (;;) {
        const at = rig.agents.map((a) => epochAt(a.host, epoch));
        if (at.every((x) => x !== null)) return { first: Math.min(...(at)) - t0, all: Math.max(...(at)) - t0 };
        if (Date.now() > end) throw new Error(`no command of epoch ${epoch} at every agent within ${ms} ms`);
        await sleep(25);
      }
    };
    const lapses = async () => (await Promise.all(rig.agents.map((a) => rig.metric(a, 'headroom_agent_lease_lapses_total')))).reduce((s, x) => s + x, 0);
    const stale = async () => (await Promise.all(rig.agents.map((a) => metricLabelled(a.metricsPort!, 'headroom_agent_commands_rejected_total', 'stale-epoch')))).reduce((s, x) => s + x, 0);

    const kills: Array<{ firstMs: number; allMs: number }> = [];
    for (let k = 0; k < (o.kills ?? 8); k++) {
      const old = await rig.leader();
      await firstCommand(old.epoch, 0);
      await sleep(1000 + Math.random() * 1500); // anywhere in the keepalive cycle
      const t0 = Date.now();
      await old.server.kill();
      const next = await rig.leader(20_000, old.id);
      const r = await firstCommand(next.epoch, t0);
      kills.push({ firstMs: r.first, allMs: r.all });
      log(`failover: kill -9 ${old.id} → ${next.id} first command ${r.first} ms, all agents ${r.all} ms`);
      await rig.start(old.id);
    }
    const handovers: Array<{ ms: number; lapses: number }> = [];
    for (let k = 0; k < (o.handovers ?? 3); k++) {
      const old = await rig.leader();
      const before = await lapses();
      const t0 = Date.now();
      await old.server.stop();
      const next = await rig.leader(10_000, old.id);
      const r = await firstCommand(next.epoch, t0);
      await sleep(16_000);
      handovers.push({ ms: r.all, lapses: (await lapses()) - before });
      log(`failover: SIGTERM ${old.id} → ${next.id} in ${r.all} ms, lapses ${handovers.at(-1)!.lapses}`);
      await rig.start(old.id);
    }
    const frozen: Array<{ exitCode: number | null; refusedStale: number; frozenMs: number }> = [];
    for (let k = 0; k < (o.freezes ?? 3); k++) {
      const old = await rig.leader();
      const staleBefore = await stale();
      const pid = old.server.child.pid!;
      const t0 = Date.now();
      process.kill(pid, 'SIGSTOP');
      const next = await rig.leader(20_000, old.id);
      await firstCommand(next.epoch, t0);
      await sleep(Math.random() * 3000);
      const frozenMs = Date.now() - t0;
      const exited = new Promise<number | null>((ok) => old.server.child.once('exit', (c) => ok(c)));
      process.kill(pid, 'SIGCONT');
      const exitCode = await Promise.race([exited, sleep(15_000).then(() => null)]);
      frozen.push({ exitCode, refusedStale: (await stale()) - staleBefore, frozenMs });
      log(`failover: SIGSTOP ${old.id} ${frozenMs} ms → exit ${exitCode}`);
      if (exitCode === null) await old.server.kill();
      await rig.start(old.id);
    }
    const trials = Object.fromEntries(
      (
        [
          ['bothGuards', { agentFence: true, selfFence: true }],
          ['agentFenceOnly', { agentFence: true, selfFence: false }],
          ['selfFenceOnly', { agentFence: false, selfFence: true }],
          ['neither', { agentFence: false, selfFence: false }],
        ] as const
      ).map(([k, g]) => [k, runFencingTrials(1000, g)]),
    );
    const firsts = kills.map((k) => k.firstMs);
    const alls = kills.map((k) => k.allMs);
    return {
      includes:
        'real processes on loopback: one etcd 3.4 (Debian), two `headroom agent --backend sim`, three `serve --controller` (5 s etcd lease, 15 s agent lease); times from the signal to the agents writing the new epoch (their clocks); trials: in-process, the agent gate and fence on virtual time',
      etcdLeaseS: 5,
      failoverMs: { trials: kills.length, firstMedian: median(firsts), firstMax: Math.max(...firsts), allMax: Math.max(...alls), each: kills },
      cleanHandover: { trials: handovers.length, maxMs: Math.max(...handovers.map((h) => h.ms)), leaseLapses: handovers.reduce((s, h) => s + h.lapses, 0) },
      frozen: { trials: frozen.length, exited75: frozen.filter((f) => f.exitCode === 75).length, refusedStale: frozen.reduce((s, f) => s + f.refusedStale, 0), each: frozen },
      trials,
    };
  } finally {
    await rig.close();
  }
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.floor((s.length - 1) / 2)]! : NaN;
}

async function metricLabelled(port: number, name: string, reason: string): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const m = new RegExp(`^${name}\\{[^}]*reason="${reason}"\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}
