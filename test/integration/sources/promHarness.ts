import type { ChildProcess } from 'node:child_process';
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
 * Poll `f` every 100 ms until it gives a value (not undefined or false), failing after `timeoutMs` or as soon as the
 * watched process (Prometheus) exits — with the tail of its log either way.
 */
export async function until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number, watched: () => { proc: ChildProcess | null; log: string }): Promise<T> {
  const t0 = Date.now();
  for (;;) {
    const v = await f();
    if (v !== undefined && v !== false) return v;
    const { proc, log } = watched();
    if (proc && proc.exitCode !== null) throw new Error(`prometheus exited (code ${proc.exitCode}) while waiting for ${what}:\n${log.slice(-2000)}`);
    if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; prometheus said:\n${log.slice(-2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Stop a child (SIGTERM, then SIGKILL after 5 s); resolves once it has exited. */
export function stopProcess(p: ChildProcess | null): Promise<void> {
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
