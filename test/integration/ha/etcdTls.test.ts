import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { controllerArgs } from '../../../main/cli/controllerArgs.js';
import { Leadership } from '../../../main/ha/leadership.js';
import { tempDir } from '../../helpers.js';
import { EtcdProcess } from './etcdHarness.js';

/**
 * etcd over TLS with client certificates (`--client-cert-auth`, as production clusters run it): a controller given
 * the CA and its client certificate (`--etcd-ca/--etcd-cert/--etcd-key`) joins and leads; one without a client
 * certificate is refused by etcd and never leads.
 */
const tmp = tempDir('headroom-etcd-tls-');
const f = (n: string) => join(tmp.dir, n);
const etcd = new EtcdProcess();
let url = '';
const live: Leadership[] = [];

function openssl(args: string[]): void {
  execFileSync('openssl', args, { stdio: 'ignore' });
}

beforeAll(async () => {
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl(['req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.crt'), '-days', '1', '-subj', '/CN=etcd test CA']);
  for (const [name, ext] of [
    ['server', 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth'],
    ['client', 'extendedKeyUsage=clientAuth'],
  ] as const) {
    openssl(['req', ...ec, '-keyout', f(`${name}.key`), '-out', f(`${name}.csr`), '-subj', `/CN=${name}`]);
    writeFileSync(f(`${name}.ext`), ext + '\n');
    openssl(['x509', '-req', '-in', f(`${name}.csr`), '-CA', f('ca.crt'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f(`${name}.crt`), '-days', '1', '-extfile', f(`${name}.ext`)]);
  }
  url = await etcd.begin({ ca: f('ca.crt'), cert: f('server.crt'), key: f('server.key'), clientCert: f('client.crt'), clientKey: f('client.key') });
}, 60_000);

afterAll(async () => {
  for (const l of live) await l.resign().catch(() => {});
  await etcd.end();
  tmp.cleanup();
});

describe('etcd over TLS with client certificates', () => {
  it('a controller with the CA and its client certificate leads; one without a client certificate never does', async () => {
    const args = controllerArgs({ controller: true, inventory: 'inv.yaml', etcd: url, 'controller-id': 'c1', 'etcd-ca': f('ca.crt'), 'etcd-cert': f('client.crt'), 'etcd-key': f('client.key') });
    expect(args?.tls?.cert).toContain('BEGIN CERTIFICATE');
    const good = new Leadership({ endpoints: args!.endpoints, id: 'c1', url: 'https://c1', cluster: 'tls', ttlS: 2, log: () => {}, tls: args!.tls });
    live.push(good);
    await good.start();
    const t0 = Date.now();
    while (!good.leading() && Date.now() - t0 < 5_000) await new Promise((r) => setTimeout(r, 50));
    expect(good.leading()).toBe(true);
    expect(good.epoch).toBeGreaterThan(0);

    const lines: string[] = [];
    const anonymous = new Leadership({ endpoints: [url], id: 'c2', url: 'https://c2', cluster: 'tls', ttlS: 2, log: (l) => lines.push(l), tls: { ca: readFileSync(f('ca.crt'), 'utf8') } });
    live.push(anonymous);
    void anonymous.start().catch(() => {});
    await new Promise((r) => setTimeout(r, 3_000));
    expect(anonymous.leading()).toBe(false);
    expect(anonymous.status().etcd.reachable).toBe(false);
    expect(good.status().peers.map((p) => p.id)).toEqual(['c1']);
  }, 30_000);

  it('refuses half a TLS configuration before anything starts', () => {
    const base = { controller: true, inventory: 'inv.yaml', 'controller-id': 'c1' };
    expect(() => controllerArgs({ ...base, etcd: url, 'etcd-cert': f('client.crt') })).toThrow(/--etcd-cert and --etcd-key go together/);
    expect(() => controllerArgs({ ...base, etcd: url, 'etcd-cert': f('client.crt'), 'etcd-key': f('client.key') })).toThrow(/needs --etcd-ca/);
    expect(() => controllerArgs({ ...base, etcd: 'http://127.0.0.1:2379', 'etcd-ca': f('ca.crt') })).toThrow(/must be https/);
    expect(() => controllerArgs({ ...base, etcd: url, 'etcd-ca': f('nope.crt') })).toThrow(/--etcd-ca: cannot read/);
    expect(() => controllerArgs({ ...base, etcd: url, 'etcd-ca': f('client.ext') })).toThrow(/not a PEM file/);
  });
});
