/**
 * `headroom agent` as a child process, as operators (and systemd) run it, and the stand-in nvidia-smi it drives
 * (test/fixtures/gpu/fake-nvidia-smi.mjs). Shared by the CLI test (test/integration/cli/agent.test.ts), the e2e fleet
 * (test/e2e/support/fleet.ts), the process-kill test (test/integration/agent/killRecovery.test.ts) and the soak
 * (soak/agentKills.ts). No vitest here: the soak imports it too.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The `headroom` command the children run: bin/headroom.js (the built CLI in dist/). HEADROOM_BIN runs another build
 * instead, e.g. a patched copy of dist/ to show that a test fails when a guarantee is broken.
 */
export const HEADROOM_BIN = process.env.HEADROOM_BIN || fileURLToPath(new URL('../../bin/headroom.js', import.meta.url));
export const FAKE_NVIDIA_SMI = fileURLToPath(new URL('../fixtures/gpu/fake-nvidia-smi.mjs', import.meta.url));
/** A real H100 under gpu-burn: 631.95 W drawn, limits 200–700 W, default 700 W. */
export const H100_LOAD_CAPTURE = fileURLToPath(new URL('../fixtures/gpu/h100-load.query.csv', import.meta.url));

/** The stand-in's synthetic UUID for GPU i of a capture with masked UUIDs (the agent targets GPUs by UUID). */
export const fakeUuid = (i: number) => `GPU-00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;

/** One invocation of the stand-in, as FAKE_SMI_LOG records it (epoch ms: when it started running, when it ended). */
export interface SmiCall {
  argv: string[];
  code: number | null;
  out: string;
  startMs: number;
  endMs: number;
}

export function readSmiLog(file: string): SmiCall[] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as SmiCall);
}

/** A `-pl` call's GPU and watts; null for any other call. */
export function powerLimitCall(c: SmiCall): { uuid: string; watts: number } | null {
  const pl = c.argv.indexOf('-pl');
  const id = c.argv.indexOf('-i');
  if (pl < 0 || id < 0) return null;
  return { uuid: c.argv[id + 1]!, watts: Number(c.argv[pl + 1]) };
}

/** The stand-in's state file (FAKE_SMI_STATE): each GPU's power limit and clock lock, by index. */
export function readSmiState(file: string): { gpus: Array<{ limitW: number; clocks: [number, number] | null }> } | null {
  return existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as { gpus: Array<{ limitW: number; clocks: [number, number] | null }> }) : null;
}

/**
 * A host of its own for the stand-in: the capture's first row once per GPU, each with the given UUID (the captures mask
 * UUIDs, and two hosts serving the same synthetic ones cannot share one inventory), beside a copy of the full capture
 * the stand-in takes the other fields from. Returns the `*.query.csv` path to pass as FAKE_SMI_CAPTURE.
 */
export function writeHostCapture(dir: string, name: string, uuids: readonly string[], capture = H100_LOAD_CAPTURE): string {
  const row = readFileSync(capture, 'utf8').split('\n')[0]!.split(',').map((c) => c.trim());
  const file = join(dir, `${name}.query.csv`);
  writeFileSync(file, uuids.map((uuid, i) => [String(i), uuid, ...row.slice(2)].join(', ')).join('\n') + '\n');
  const full = capture.replace(/\.query\.csv$/, '.capture-query-gpu.txt');
  if (existsSync(full)) copyFileSync(full, join(dir, `${name}.capture-query-gpu.txt`));
  return file;
}

export interface AgentProcess {
  host: string;
  child: ChildProcess;
  /** The control port it listens on. */
  port: number;
  metricsPort: number | null;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** Resolves when the process has exited, with the time it was seen to (epoch ms). */
  exited: Promise<number>;
  /** SIGKILL to its whole process group (the agent and any nvidia-smi it runs), as a crash or systemd's final kill. */
  kill(): Promise<number>;
  /** SIGTERM (the agent leaves its GPUs at the safe cap), SIGKILL to the group after `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

const READY = /^headroom agent (\S+): .*control on \S+:(\d+) .*?(?:metrics on http:\/\/[^/]+:(\d+)\/metrics|metrics off)/m;

/**
 * `headroom agent ARGS…` (give --host, --certs, --listen and the backend's options) in a process group of its own;
 * resolves once it prints its "control on" line, rejects with its output if it exits or stays silent.
 */
export async function startAgentProcess(args: readonly string[], env: Record<string, string> = {}, readyTimeoutMs = 20_000): Promise<AgentProcess> {
  const child = spawn(process.execPath, [HEADROOM_BIN, 'agent', ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number>((ok) => child.once('exit', () => ok(Date.now())));
  const group = (signal: NodeJS.Signals) => {
    try {
      process.kill(-child.pid!, signal);
    } catch {
      // Already gone, group and all.
    }
  };
  const kill = () => {
    group('SIGKILL');
    return exited;
  };
  const stop = async (graceMs = 10_000) => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    const timer = setTimeout(() => group('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
    // Anything it left running (an nvidia-smi it was waiting for).
    group('SIGKILL');
  };
  const name = basename(HEADROOM_BIN);
  const m = await new Promise<RegExpExecArray>((ok, fail) => {
    const timer = setInterval(() => {
      const r = READY.exec(out);
      if (r) done(() => ok(r));
      else if (child.exitCode !== null || child.signalCode !== null) done(() => fail(new Error(`${name} agent ${args.join(' ')} exited (${child.exitCode ?? child.signalCode}):\n${out}`)));
    }, 10);
    const deadline = setTimeout(() => done(() => fail(new Error(`${name} agent ${args.join(' ')} did not start in ${readyTimeoutMs} ms:\n${out}`))), readyTimeoutMs);
    function done(f: () => void) {
      clearInterval(timer);
      clearTimeout(deadline);
      f();
    }
  }).catch(async (e: unknown) => {
    await kill();
    throw e;
  });
  return { host: m[1]!, child, port: Number(m[2]), metricsPort: m[3] ? Number(m[3]) : null, output: () => out, exited, kill, stop };
}
