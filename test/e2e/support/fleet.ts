/**
 * A small real fleet for specs: certificates from the CLI (`headroom certs`), simulated host agents as child processes
 * (`headroom agent --backend sim`, started by test/support/hostAgents.ts) on loopback ports, an inventory and a
 * sources file for `headroom serve --inventory`.
 */
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { stringify } from 'yaml';
import { simGpuUuid } from '../../../main/agent/simBackend.js';
import { startAgentProcess, type AgentProcess } from '../../support/hostAgents.js';
import { repoRoot } from './server.js';

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

export type RunningAgent = Pick<AgentProcess, 'host' | 'port' | 'stop'>;

/** `headroom agent --backend sim` on a free loopback port; resolves once it prints `control on 127.0.0.1:PORT`. */
export function startSimAgent(host: string, certs: string, safeCapPct = 60): Promise<RunningAgent> {
  return startAgentProcess(['--backend', 'sim', '--host', host, '--certs', certs, '--listen', '127.0.0.1:0', '--metrics-listen', 'off', '--safe-cap-pct', String(safeCapPct)]);
}

/**
 * One row (A, 20 kW budget, 25 kW cooling, H100-SXM) with one rack A01 holding the hosts, 8 GPUs each: the simulated
 * agents' UUIDs unless `gpus` names them (a stand-in nvidia-smi's).
 */
export function writeInventory(file: string, hosts: readonly string[], o: { gpus?: (host: string) => string[]; budgetKW?: number } = {}): void {
  const gpus = o.gpus ?? ((host: string) => Array.from({ length: 8 }, (_, g) => simGpuUuid(host, g)));
  const budgetKW = o.budgetKW ?? 20;
  const inv = {
    site: { id: 'e2e', name: 'E2E lab' },
    rows: [
      {
        id: 'A',
        budgetKW,
        coolingKW: budgetKW + 5,
        gpuModel: 'H100-SXM',
        racks: [{ id: 'A01', servers: hosts.map((host, i) => ({ host, slot: i + 1, gpus: gpus(host) })) }],
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
