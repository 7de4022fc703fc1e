/** Starts the real headless server (`node bin/headroom.js serve`) as a child process for a spec file. */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { RequestChannel, RequestPayload, ResponseOf } from '../../../shared/contract.js';
import type { Role } from '../../../shared/domain/control.js';

export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export interface ServerOptions {
  speed?: number;
  scenario?: string;
  scale?: number;
  seed?: number;
  /** 'memory' (default): no storage; 'temp': a telemetry.db in a fresh temp dir, removed on stop. */
  db?: 'memory' | 'temp';
  /** A telemetry.db path the caller owns (wins over `db`): kept on stop, e.g. to restart on the same data folder. */
  dbFile?: string;
  /** Fixed port and token, e.g. to restart a server where a page is still connected. */
  port?: number;
  /** Admin token (`--token`); the operator and viewer tokens are derived from it unless given. */
  token?: string;
  operatorToken?: string;
  viewerToken?: string;
  /** More `serve` arguments, appended as given (e.g. `['--inventory', file, '--certs', dir]` for a real fleet). */
  extraArgs?: string[];
}

export interface RunningServer {
  /** Page URL with the admin token, exactly as printed. */
  url: string;
  /** Page URL per role, as printed (`  operator: …`, `  viewer:   …`). */
  urls: Record<Role, string>;
  origin: string;
  port: number;
  token: string;
  tokens: Record<Role, string>;
  /** Calls the contract over `POST /api/invoke/<channel>` as `role` (default admin), for test setup and assertions. */
  invoke<C extends RequestChannel>(channel: C, payload: RequestPayload<C>, role?: Role): Promise<ResponseOf<C>>;
  /** Like `invoke`, but returns a refusal as data: `{ ok: false, status, error }`. */
  tryInvoke<C extends RequestChannel>(channel: C, payload: unknown, role?: Role): Promise<{ ok: true; result: ResponseOf<C> } | { ok: false; status: number; error: string }>;
  stop(): Promise<void>;
  /** Everything it printed so far (stdout and stderr). */
  output(): string;
  /** SIGKILL (a crash: no clean close, the data folder's lock left behind); resolves when it has exited. */
  kill(): Promise<void>;
  /** The process itself (fault injection: SIGSTOP/SIGCONT, its exit code). */
  child: ChildProcess;
}

const READY = /Headroom serving on (https?:\/\/\S+)/;
const ROLE_URL = (role: 'operator' | 'viewer') => new RegExp(`^\\s+${role}:\\s+(https?:\\/\\/\\S+)`, 'm');

export async function startHeadroom(opts: ServerOptions = {}): Promise<RunningServer> {
  const entry = resolve(repoRoot, 'bin/headroom.js');
  if (!existsSync(resolve(repoRoot, 'dist/renderer/index.html'))) throw new Error('dist/renderer is missing: run `npm run build` first');
  const token = opts.token ?? randomBytes(16).toString('hex');
  const tokens: Record<Role, string> = { admin: token, operator: opts.operatorToken ?? `${token}-op`, viewer: opts.viewerToken ?? `${token}-view` };
  const dbDir = opts.dbFile === undefined && opts.db === 'temp' ? mkdtempSync(resolve(tmpdir(), 'headroom-e2e-')) : null;
  const db = opts.dbFile ?? (dbDir ? resolve(dbDir, 'telemetry.db') : ':memory:');
  const args = [entry, 'serve', '--port', String(opts.port ?? 0), '--host', '127.0.0.1', '--token', token, '--operator-token', tokens.operator, '--viewer-token', tokens.viewer, '--db', db, '--speed', String(opts.speed ?? 10)];
  if (opts.scenario) args.push('--scenario', opts.scenario);
  if (opts.scale) args.push('--scale', String(opts.scale));
  if (opts.seed !== undefined) args.push('--seed', String(opts.seed));
  if (opts.extraArgs) args.push(...opts.extraArgs);
  const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
  let log = '';
  const url = await new Promise<string>((ok, fail) => {
    const timer = setTimeout(() => fail(new Error(`headroom serve did not become ready in 30 s:\n${log}`)), 30_000);
    child.stdout.on('data', (d: Buffer) => {
      log += d.toString();
      const m = READY.exec(log);
      // The role URLs follow the admin one; wait for all three lines.
      if (m && ROLE_URL('operator').test(log) && ROLE_URL('viewer').test(log)) {
        clearTimeout(timer);
        ok(m[1]!);
      }
    });
    child.stderr.on('data', (d: Buffer) => (log += d.toString()));
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`headroom serve exited with ${code}:\n${log}`));
    });
  });
  const origin = new URL(url).origin;
  const urls: Record<Role, string> = { admin: url, operator: ROLE_URL('operator').exec(log)![1]!, viewer: ROLE_URL('viewer').exec(log)![1]! };
  const post = (channel: string, payload: unknown, role: Role) =>
    fetch(`${origin}/api/invoke/${channel}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens[role]}`, 'content-type': 'application/json' },
      body: JSON.stringify(payload),
    });
  return {
    url,
    urls,
    origin,
    port: Number(new URL(url).port),
    token,
    tokens,
    async invoke(channel, payload, role = 'admin') {
      const res = await post(channel, payload, role);
      if (!res.ok) throw new Error(`${channel}: HTTP ${res.status} ${await res.text()}`);
      return (await res.json()) as never;
    },
    async tryInvoke(channel, payload, role = 'admin') {
      const res = await post(channel, payload, role);
      const body = (await res.json().catch(() => ({}))) as { error?: string };
      return res.ok ? { ok: true, result: body as never } : { ok: false, status: res.status, error: body.error ?? '' };
    },
    stop: async () => {
      await stopChild(child);
      if (dbDir) rmSync(dbDir, { recursive: true, force: true });
    },
    output: () => log,
    child,
    kill: () => {
      if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
      const gone = new Promise<void>((done) => child.once('exit', () => done()));
      child.kill('SIGKILL');
      return gone;
    },
  };
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the child has exited. */
export function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}
