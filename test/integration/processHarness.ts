import { spawn, type ChildProcess } from 'node:child_process';
import { createServer, type AddressInfo } from 'node:net';

/** A free loopback port (listen on 0, read it, close). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as AddressInfo).port;
      s.close(() => resolve(port));
    });
  });
}

/**
 * A real server program for a test (Prometheus, Alertmanager): spawned, polled until its readiness URL answers, its
 * log kept for failures, stopped with SIGTERM (SIGKILL after 5 s).
 */
export class ServerProcess {
  proc: ChildProcess | null = null;
  log = '';

  /** `name` is how failures call it ("prometheus", "alertmanager"). */
  constructor(readonly name: string) {}

  /** Spawn `bin` with `args`; resolves once `readyUrl` answers 2xx (within 30 s). */
  async spawnReady(bin: string, args: string[], readyUrl: string): Promise<void> {
    this.spawnOnly(bin, args);
    await this.until(`${this.name} ${new URL(readyUrl).pathname}`, async () => (await fetch(readyUrl, { signal: AbortSignal.timeout(1000) }).catch(() => null))?.ok, 30_000);
  }

  /** Spawn `bin` with `args`, its output kept for failures (the caller polls for readiness). */
  spawnOnly(bin: string, args: string[]): void {
    const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const keep = (d: Buffer) => void (this.log = (this.log + d.toString()).slice(-20_000));
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    proc.on('error', (e) => void (this.log += `\nspawn failed: ${e.message}`));
  }

  /**
   * Poll `f` every 100 ms until it gives a value (not undefined or false), failing after `timeoutMs` or as soon as
   * the program exits — with the tail of its log either way.
   */
  async until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number): Promise<T> {
    const t0 = Date.now();
    for (;;) {
      const v = await f();
      if (v !== undefined && v !== false) return v;
      if (this.proc && this.proc.exitCode !== null) throw new Error(`${this.name} exited (code ${this.proc.exitCode}) while waiting for ${what}:\n${this.log.slice(-2000)}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; ${this.name} said:\n${this.log.slice(-2000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** SIGTERM, then SIGKILL after 5 s; resolves once it has exited. */
  stop(): Promise<void> {
    const p = this.proc;
    if (!p || p.exitCode !== null || p.signalCode !== null) return Promise.resolve();
    return new Promise((resolve) => {
      const kill = setTimeout(() => p.kill('SIGKILL'), 5000);
      p.once('exit', () => {
        clearTimeout(kill);
        resolve();
      });
      p.kill('SIGTERM');
    });
  }
}
