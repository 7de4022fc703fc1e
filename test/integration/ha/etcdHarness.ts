import { mkdtempSync, rmSync } from 'node:fs';
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

  async begin(): Promise<string> {
    const [client, peer] = [await freePort(), await freePort()];
    this.dir = mkdtempSync(join(tmpdir(), 'headroom-etcd-'));
    this.url = `http://127.0.0.1:${client}`;
    await this.spawnReady(
      ETCD_BIN,
      [
        '--name=test',
        `--data-dir=${this.dir}`,
        `--listen-client-urls=${this.url}`,
        `--advertise-client-urls=${this.url}`,
        `--listen-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-advertise-peer-urls=http://127.0.0.1:${peer}`,
        `--initial-cluster=test=http://127.0.0.1:${peer}`,
        '--log-level=error',
      ],
      `${this.url}/health`,
    );
    return this.url;
  }

  async end(): Promise<void> {
    await this.stop();
    if (this.dir) rmSync(this.dir, { recursive: true, force: true });
  }
}
