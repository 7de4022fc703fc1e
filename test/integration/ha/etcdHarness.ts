import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get as httpsGet } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, ServerProcess } from '../processHarness.js';

/** Debian's etcd-server (`.ci/run` installs it). */
export const ETCD_BIN = '/usr/bin/etcd';

/** A real single-member etcd for a test: loopback client and peer ports, a temporary data folder, polled until healthy. */
export class EtcdProcess extends ServerProcess {
  url = '';
  private dir = '';

  constructor() {
    super('etcd');
  }

  /**
   * Start it; with `tls`, clients must come over TLS with a certificate of `tls.ca` (etcd's --client-cert-auth), and
   * readiness is polled with that client certificate.
   */
  async begin(tls?: { ca: string; cert: string; key: string; clientCert: string; clientKey: string }): Promise<string> {
    const [client, peer] = [await freePort(), await freePort()];
    this.dir = mkdtempSync(join(tmpdir(), 'headroom-etcd-'));
    this.url = `${tls ? 'https' : 'http'}://127.0.0.1:${client}`;
    const tlsArgs = tls ? [`--cert-file=${tls.cert}`, `--key-file=${tls.key}`, `--trusted-ca-file=${tls.ca}`, '--client-cert-auth'] : [];
    if (tls) {
      this.spawnOnly(ETCD_BIN, [...this.args(client, peer), ...tlsArgs]);
      const opts = { ca: readFileSync(tls.ca), cert: readFileSync(tls.clientCert), key: readFileSync(tls.clientKey) };
      await this.until('etcd over TLS', () => httpsOk(`${this.url}/health`, opts), 30_000);
      return this.url;
    }
    await this.spawnReady(ETCD_BIN, this.args(client, peer), `${this.url}/health`);
    return this.url;
  }

  private args(client: number, peer: number): string[] {
    return [
      '--name=test',
      `--data-dir=${this.dir}`,
      `--listen-client-urls=${this.url}`,
      `--advertise-client-urls=${this.url}`,
      `--listen-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
      `--initial-cluster=test=http://127.0.0.1:${peer}`,
      '--log-level=error',
    ];
  }

  async end(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}

function httpsOk(url: string, o: { ca: Buffer; cert: Buffer; key: Buffer }): Promise<boolean> {
  return new Promise((resolve) => {
    const req = httpsGet(url, { ...o, timeout: 1000 }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on('error', () => resolve(false));
    req.on('timeout', () => req.destroy());
  });
}
