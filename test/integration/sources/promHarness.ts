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

/** The real Prometheus server for a test: started on a loopback port, polled until ready, its log kept for failures. */
export class PrometheusProcess {
  proc: ChildProcess | null = null;
  log = '';

  /** Spawn `bin` with `config` and a TSDB folder on 127.0.0.1:`port`; resolves once `/-/ready` answers. */
  async start(bin: string, config: string, tsdb: string, port: number): Promise<void> {
    const proc = spawn(bin, [`--config.file=${config}`, `--storage.tsdb.path=${tsdb}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    const keep = (d: Buffer) => void (this.log = (this.log + d.toString()).slice(-20_000));
    proc.stdout.on('data', keep);
    proc.stderr.on('data', keep);
    proc.on('error', (e) => void (this.log += `\nspawn failed: ${e.message}`));
    await this.until('Prometheus /-/ready', async () => (await fetch(`http://127.0.0.1:${port}/-/ready`, { signal: AbortSignal.timeout(1000) }).catch(() => null))?.ok, 30_000);
  }

  /**
   * Poll `f` every 100 ms until it gives a value (not undefined or false), failing after `timeoutMs` or as soon as
   * Prometheus exits — with the tail of its log either way.
   */
  async until<T>(what: string, f: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs: number): Promise<T> {
    const t0 = Date.now();
    for (;;) {
      const v = await f();
      if (v !== undefined && v !== false) return v;
      if (this.proc && this.proc.exitCode !== null) throw new Error(`prometheus exited (code ${this.proc.exitCode}) while waiting for ${what}:\n${this.log.slice(-2000)}`);
      if (Date.now() - t0 > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}; prometheus said:\n${this.log.slice(-2000)}`);
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
