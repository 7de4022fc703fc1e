/**
 * A small real fleet for specs: certificates from the CLI (`headroom certs`), simulated host agents as child processes
 * (`headroom agent --backend sim`) on loopback ports, an inventory and a sources file for `headroom serve --inventory`.
 */
import { execFile, spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { simGpuUuid } from '../../../main/agent/simBackend.js';
import { repoRoot, stopChild } from './server.js';

const run = promisify(execFile);
const entry = resolve(repoRoot, 'bin/headroom.js');

/** `node bin/headroom.js …`; throws with its output when it fails. */
export async function headroomCli(args: string[]): Promise<string> {
  try {
    const { stdout } = await run(process.execPath, [entry, ...args], { cwd: repoRoot, timeout: 30_000 });
    return stdout;
  } catch (e) {
    const x = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`headroom ${args.join(' ')} failed: ${x.message}\n${x.stdout ?? ''}${x.stderr ?? ''}`);
  }
}

/** The site CA, an agent certificate per host (valid for 127.0.0.1 too) and a console certificate with control scope. */
export async function issueCerts(dir: string, hosts: readonly string[], consoleName: string): Promise<void> {
  await headroomCli(['certs', 'init', '--dir', dir]);
  for (const h of hosts) await headroomCli(['certs', 'agent', '--dir', dir, '--host', h, '--ip', '127.0.0.1']);
  await headroomCli(['certs', 'console', '--dir', dir, '--name', consoleName, '--scope', 'control']);
}

export interface RunningAgent {
  host: string;
  port: number;
  stop(): Promise<void>;
}

const CONTROL_ON = /control on 127\.0\.0\.1:(\d+)/;

/** `headroom agent --backend sim` on a free loopback port; resolves once it prints `control on 127.0.0.1:PORT`. */
export async function startSimAgent(host: string, certs: string, safeCapPct = 60): Promise<RunningAgent> {
  const args = [entry, 'agent', '--backend', 'sim', '--host', host, '--certs', certs, '--listen', '127.0.0.1:0', '--metrics-listen', 'off', '--safe-cap-pct', String(safeCapPct)];
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const port = await new Promise<number>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`agent ${host} did not start in 20 s:\n${log}`)), 20_000);
    child.stdout.on('data', (d: Buffer) => {
      log += d.toString();
      const m = CONTROL_ON.exec(log);
      if (m) {
        clearTimeout(timer);
        ok(Number(m[1]));
      }
    });
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`agent ${host} exited with ${code}:\n${log}`));
    });
  });
  return { host, port, stop: () => stopChild(child) };
}

/** One row (A, 20 kW budget, 25 kW cooling, H100-SXM) with one rack A01 holding the hosts, 8 GPUs each. */
export function writeInventory(file: string, hosts: readonly string[]): void {
  const inv = {
    site: { id: 'e2e', name: 'E2E lab' },
    rows: [
      {
        id: 'A',
        budgetKW: 20,
        coolingKW: 25,
        gpuModel: 'H100-SXM',
        racks: [{ id: 'A01', servers: hosts.map((host, i) => ({ host, slot: i + 1, gpus: Array.from({ length: 8 }, (_, g) => simGpuUuid(host, g)) })) }],
      },
    ],
  };
  writeFileSync(file, stringify(inv));
}

export function writeSources(file: string, sources: ReadonlyArray<Record<string, unknown>>): void {
  writeFileSync(file, stringify({ sources }));
}

/** A loopback port nothing listens on (bound, then released). */
export async function closedPort(): Promise<number> {
  const srv = createServer();
  await new Promise<void>((ok) => srv.listen(0, '127.0.0.1', ok));
  const port = (srv.address() as { port: number }).port;
  await new Promise<void>((ok) => srv.close(() => ok()));
  return port;
}
