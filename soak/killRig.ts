import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { SourceHealth } from '../shared/domain/fleet.js';
import { tempDir } from '../test/helpers.js';
import { closedPort, issueCerts, writeInventory, writeSources } from '../test/e2e/support/fleet.js';
import { startHeadroom, type RunningServer } from '../test/e2e/support/server.js';
import { FAKE_NVIDIA_SMI, powerLimitCall, readSmiLog, readSmiState, startAgentProcess, writeHostCapture, type AgentProcess, type SmiCall } from '../test/support/hostAgents.js';

/**
 * The rig of the process-kill soak (soak/agentKills.ts) and its test (test/integration/agent/killRecovery.test.ts):
 * certificates, two `headroom agent` processes on the stand-in nvidia-smi, `headroom serve --inventory` leasing them,
 * and the readings of the stand-in's state file and call log the measurements use.
 */
export const HOSTS = ['gpu-k1', 'gpu-k2'] as const;
export const GPUS = 8;
/** Watts per GPU when no lease holds (`--safe-cap-w`); the H100 capture's limits are 200–700 W, default 700 W. */
export const SAFE_CAP_W = 400;
/** Where the console puts the GPUs: the capture's default limit (POLCA leaves them there, the budget allowing). */
export const RAISED_W = 700;
/** What the driver holds when the rig starts: a limit an earlier run left (the driver keeps limits across agent runs). */
export const LEFT_OVER_W = 550;
/** The console's lease (`--lease-ms`) and the agents' reading interval (`--interval-ms`). */
export const LEASE_MS = 5000;
export const INTERVAL_MS = 1000;
/** systemd's RestartSec in the documented unit (docs/AGENTS.md). */
export const RESTART_SEC_MS = 1000;
/**
 * One nvidia-smi call as budgeted here: on the shared 2-core VM the stand-in is a Node process, 0.3–0.85 s a call at
 * load averages 3–9 (a real `nvidia-smi -pl` took 33–36 ms on the H200, docs/AGENTS.md). Node and the CLI: 0.7–2.8 s.
 */
export const CALL_BUDGET_MS = 1000;
export const LOAD_BUDGET_MS = 2000;
/**
 * The agent's start-up: Node and the CLI, discovery (2 + G nvidia-smi calls: the query, the default limits, one
 * supported-clocks query per GPU) and the safe cap (G `-pl` calls, one per GPU), all in a row.
 */
export const START_UP_BUDGET_MS = LOAD_BUDGET_MS + (2 + 2 * GPUS) * CALL_BUDGET_MS;
/** One safe-cap batch: G `-pl` calls in a row. */
export const SAFE_CAP_BATCH_BUDGET_MS = GPUS * CALL_BUDGET_MS;

/** A repetition starts only after this long without a `-pl` call on any host. */
export const QUIET_MS = 2000;
/** How long an agent may take to print "control on" before the rig gives up (a loaded VM, slow nvidia-smi). */
export const AGENT_READY_TIMEOUT_MS = 60_000;

export const BOUNDS = {
  /** A: SIGKILL → every GPU of the host at ≤ the safe cap. */
  agentRecoveryMs: RESTART_SEC_MS + START_UP_BUDGET_MS,
  /** B: SIGKILL of the console → every GPU of every agent at ≤ the safe cap. */
  consoleLapseMs: LEASE_MS + INTERVAL_MS + SAFE_CAP_BATCH_BUDGET_MS,
  /** B: … of which the lapse itself (SIGKILL → the agent's lease lapsing, as its /metrics reports). */
  lapseDecisionMs: LEASE_MS + INTERVAL_MS,
};

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, Math.max(0, ms)));

export interface HostRig {
  host: string;
  uuids: string[];
  /** FAKE_SMI_STATE and FAKE_SMI_LOG. */
  stateFile: string;
  logFile: string;
  args: string[];
  env: Record<string, string>;
  agent: AgentProcess | null;
}

export interface KillRig {
  dir: string;
  hosts: HostRig[];
  console: RunningServer | null;
  /** Starts (or restarts, same data folder and token) the console. */
  startConsole(): Promise<RunningServer>;
  log: (line: string) => void;
  close(): Promise<void>;
}

/** Certificates (`headroom certs`), two agents on fixed loopback ports, the console; waits for the steady state. */
export async function startKillRig(log: (line: string) => void = () => {}): Promise<KillRig> {
  const tmp = tempDir('headroom-kills-');
  const certs = join(tmp.dir, 'certs');
  const hosts: HostRig[] = [];
  const token = randomBytes(16).toString('hex');
  const inventory = join(tmp.dir, 'inventory.yaml');
  const sources = join(tmp.dir, 'sources.yaml');
  const dataDir = join(tmp.dir, 'data');
  const rig: KillRig = {
    dir: tmp.dir,
    hosts,
    console: null,
    async startConsole() {
      rig.console = await startHeadroom({
        dbFile: join(dataDir, 'telemetry.db'),
        token,
        extraArgs: ['--inventory', inventory, '--sources', sources, '--certs', certs, '--lease-ms', String(LEASE_MS)],
      });
      return rig.console;
    },
    log,
    async close() {
      await rig.console?.kill();
      await Promise.all(hosts.map((h) => h.agent?.kill()));
      tmp.cleanup();
    },
  };
  const t0 = Date.now();
  const since = () => `${((Date.now() - t0) / 1000).toFixed(1)} s`;
  try {
    await issueCerts(certs, HOSTS, 'console');
    log(`certificates (headroom certs): ${since()}`);
    mkdirSync(dataDir, { recursive: true });
    for (const [k, host] of HOSTS.entries()) {
      const uuids = Array.from({ length: GPUS }, (_, g) => `GPU-${(k + 1).toString(16).padStart(8, '0')}-0000-4000-8000-${g.toString(16).padStart(12, '0')}`);
      const capture = writeHostCapture(tmp.dir, host, uuids);
      const port = await closedPort();
      const stateFile = join(tmp.dir, `${host}.state.json`);
      const logFile = join(tmp.dir, `${host}.smi.jsonl`);
      writeFileSync(stateFile, JSON.stringify({ gpus: uuids.map(() => ({ limitW: LEFT_OVER_W, clocks: null })) }));
      hosts.push({
        host,
        uuids,
        stateFile,
        logFile,
        args: ['--host', host, '--certs', certs, '--nvidia-smi', FAKE_NVIDIA_SMI, '--listen', `127.0.0.1:${port}`, '--metrics-listen', '127.0.0.1:0', '--safe-cap-w', String(SAFE_CAP_W), '--interval-ms', String(INTERVAL_MS)],
        env: { FAKE_SMI_CAPTURE: capture, FAKE_SMI_STATE: stateFile, FAKE_SMI_LOG: logFile, FAKE_SMI_GPUS: String(GPUS) },
        agent: null,
      });
    }
    // Every start settles before a failure is thrown, so that close() finds every agent that did start.
    const started = await Promise.allSettled(hosts.map(async (h) => (h.agent = await startAgentProcess(h.args, h.env, AGENT_READY_TIMEOUT_MS))));
    for (const r of started) if (r.status === 'rejected') throw r.reason;
    log(`agents listening: ${since()}`);
    // 16 H100s under load draw ~10 kW: a 60 kW row leaves POLCA nothing to cap, so the console releases the agents'
    // safe cap to the default limit (700 W) — the GPUs sit above the safe cap under the console's lease.
    writeInventory(inventory, HOSTS, { gpus: (host) => hosts.find((h) => h.host === host)!.uuids, budgetKW: 60 });
    writeSources(sources, hosts.map((h) => ({ kind: 'agent', id: h.host, host: h.host, address: '127.0.0.1', port: Number(h.args[h.args.indexOf('--listen') + 1]!.split(':')[1]) })));
    await rig.startConsole();
    log(`console serving: ${since()}`);
    await steady(rig);
    log(`rig up in ${since()} (${tmp.dir}): ${HOSTS.length} agents × ${GPUS} GPUs above the ${SAFE_CAP_W} W safe cap, leased by the console`);
    return rig;
  } catch (e) {
    await rig.close();
    throw e;
  }
}

// ---------------------------------------------------------------- observing

/** Limits per GPU (by the host's UUID order) from the state file. */
export function limits(h: HostRig): number[] {
  const s = readSmiState(h.stateFile);
  return h.uuids.map((_, i) => s?.gpus[i]?.limitW ?? NaN);
}

/**
 * Replay the successful `-pl` calls that ended after `fromMs` on the limits held at `fromMs`: the first call after
 * which every GPU satisfies `ok`, or null. (The stand-in writes its state before it logs the call's end.)
 */
export function firstAll(calls: readonly SmiCall[], uuids: readonly string[], start: readonly number[], fromMs: number, ok: (w: number) => boolean): SmiCall | null {
  const w = [...start];
  if (w.every(ok)) return null;
  for (const c of [...calls].filter((x) => x.code === 0 && x.endMs >= fromMs).sort((a, b) => a.endMs - b.endMs)) {
    const pl = powerLimitCall(c);
    if (!pl) continue;
    const i = uuids.findIndex((u) => u.toLowerCase() === pl.uuid.toLowerCase());
    if (i < 0) continue;
    w[i] = pl.watts;
    if (w.every(ok)) return c;
  }
  return null;
}

export const plCalls = (calls: readonly SmiCall[], fromMs: number, f: (w: number) => boolean) =>
  calls.filter((c) => c.code === 0 && c.startMs >= fromMs && powerLimitCall(c) !== null && f(powerLimitCall(c)!.watts));

export async function sourceHealth(c: RunningServer): Promise<Map<string, SourceHealth & { atMs: number }>> {
  const v = await c.invoke('sources:list', {});
  const atMs = Date.now();
  return new Map(v.sources.map((s) => [s.health.id, { ...s.health, atMs }]));
}

/**
 * Poll until `f` returns a value or the deadline passes (then undefined). The figures come from the call log's and the
 * console's own timestamps, not from when a poll saw them: polling often would only load the machine being measured.
 */
export async function poll<T>(f: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs: number, everyMs = 100): Promise<T | undefined> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) return undefined;
    await sleep(everyMs);
  }
}

/** The time (epoch ms) the agent's /metrics first reports `headroom_agent_lease_active … 0` (polled every 50 ms). */
export function leaseLapse(h: HostRig, timeoutMs: number): Promise<number | undefined> {
  const url = `http://127.0.0.1:${h.agent!.metricsPort}/metrics`;
  return poll(async () => {
    const text = await fetch(url).then((r) => r.text(), () => '');
    return /^headroom_agent_lease_active\{[^}]*\} 0$/m.test(text) ? Date.now() : undefined;
  }, timeoutMs, 50);
}

/**
 * The state every repetition starts from: every GPU at the console's 700 W (above the safe cap), every host up and
 * leased by the console, and no `-pl` call for QUIET_MS on any host (no batch of setpoints still running).
 */
export async function steady(rig: KillRig, timeoutMs = 60_000): Promise<void> {
  const ok = await poll(async () => {
    if (!rig.hosts.every((h) => limits(h).every((w) => w === RAISED_W))) return false;
    const lastPl = Math.max(0, ...rig.hosts.flatMap((h) => readSmiLog(h.logFile).filter((c) => powerLimitCall(c) !== null).map((c) => c.endMs)));
    if (Date.now() - lastPl < QUIET_MS) return false;
    const health = await sourceHealth(rig.console!);
    return rig.hosts.every((h) => health.get(h.host)?.state === 'up' && /lease leased/.test(health.get(h.host)?.detail ?? ''));
  }, timeoutMs, 250);
  if (!ok) {
    const what = rig.hosts.map((h) => `${h.host}: ${limits(h).join(' ')} W`).join('; ');
    throw new Error(`no steady state (every GPU at ${RAISED_W} W, both hosts leased, no -pl for ${QUIET_MS} ms) within ${timeoutMs} ms: ${what}\nconsole:\n${rig.console?.output().slice(-3000)}`);
  }
}

// ---------------------------------------------------------------- A. agent SIGKILL
