import { X509Certificate, sign, verify } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type Server, type TLSSocket } from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Scope } from '../../../shared/agentProtocol.js';
import { CertError, createCa, describeCert, issueAgentCert, issueConsoleCert, loadIdentity, scopesOf, validity, type TlsIdentity } from '../../../main/pki/certs.js';
import { CERTS_HELP, runCerts } from '../../../main/cli/certs.js';
import { tempDir } from '../../helpers.js';

const DAY = 86_400_000;
const site = tempDir('headroom-pki-');
const foreign = tempDir('headroom-pki-other-');
const mode = (p: string) => statSync(p).mode & 0o777;

beforeAll(async () => {
  // One CA per directory for the whole file: key generation is the slow part.
  await createCa(site.dir);
  await issueAgentCert(site.dir, 'gpu-a', { ips: ['127.0.0.1'] });
  await issueAgentCert(site.dir, 'gpu-b');
  await issueConsoleCert(site.dir, 'ops', 'control');
  await issueConsoleCert(site.dir, 'viewer', 'read');
  await issueConsoleCert(site.dir, 'old', 'control', { notBefore: new Date(Date.now() - 30 * DAY), notAfter: new Date(Date.now() - DAY) });
  await createCa(foreign.dir, { name: 'Another CA' });
  await issueConsoleCert(foreign.dir, 'ops', 'control');
});

afterAll(() => {
  site.cleanup();
  foreign.cleanup();
});

describe('issuing', () => {
  it('writes the CA and leaves with private keys 0600, certificates 0644, in a 0700 directory', async () => {
    expect(mode(site.dir)).toBe(0o700);
    for (const base of ['ca', 'agent-gpu-a', 'console-ops', 'console-viewer']) {
      expect(mode(site.file(`${base}.key`))).toBe(0o600);
      expect(mode(site.file(`${base}.crt`))).toBe(0o644);
    }
    const fresh = tempDir();
    try {
      // A directory that does not exist yet is created 0700.
      const nested = fresh.file('pki');
      expect(await createCa(nested)).toEqual({ certPath: `${nested}/ca.crt`, keyPath: `${nested}/ca.key` });
      expect(mode(nested)).toBe(0o700);
    } finally {
      fresh.cleanup();
    }
  });

  it('makes a CA certificate (CA:true, keyCertSign) and leaves with the right names, SANs, usages and lifetime', () => {
    const ca = new X509Certificate(readFileSync(site.file('ca.crt')));
    expect(ca.ca).toBe(true);
    expect(ca.subject).toBe('CN=Headroom site CA');
    expect(ca.checkIssued(ca)).toBe(true);
    const agent = new X509Certificate(readFileSync(site.file('agent-gpu-a.crt')));
    expect(agent.ca).toBe(false);
    expect(agent.subject).toBe('CN=gpu-a');
    expect(agent.subjectAltName).toBe('DNS:gpu-a, IP Address:127.0.0.1');
    expect(agent.keyUsage).toEqual(['1.3.6.1.5.5.7.3.1']); // serverAuth only
    expect(agent.checkIssued(ca) && agent.verify(ca.publicKey)).toBe(true);
    expect(agent.checkHost('gpu-a')).toBe('gpu-a');
    expect(agent.checkIP('127.0.0.1')).toBe('127.0.0.1');
    const ops = new X509Certificate(readFileSync(site.file('console-ops.crt')));
    expect(ops.subject.split('\n').sort()).toEqual(['CN=ops', 'OU=headroom-control']);
    expect(ops.keyUsage).toEqual(['1.3.6.1.5.5.7.3.2']); // clientAuth only
    expect(ops.serialNumber).toMatch(/^[0-7][0-9A-F]{31}$/);
    expect(ops.serialNumber).not.toBe(agent.serialNumber);
    const lifetimeDays = (Date.parse(ops.validTo) - Date.parse(ops.validFrom)) / DAY;
    expect(lifetimeDays).toBeCloseTo(90, 0); // LEAF_DAYS: 90 since issue 11 (was 397)
    expect((Date.parse(ca.validTo) - Date.parse(ca.validFrom)) / DAY).toBeCloseTo(3650, 0);
  });

  it('describes a certificate with its scopes', () => {
    const d = describeCert(readFileSync(site.file('console-viewer.crt'), 'utf8'));
    expect(d).toMatchObject({ subject: 'CN=viewer, OU=headroom-read', issuer: 'CN=Headroom site CA', sans: [], scopes: ['read'], ca: false });
    expect(d.fingerprint256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    expect(Date.parse(d.notAfter)).toBeGreaterThan(Date.now() + 89 * DAY);
    const old = describeCert(readFileSync(site.file('console-old.crt'), 'utf8'));
    expect(Date.parse(old.notAfter)).toBeLessThan(Date.now());
    expect(() => describeCert('not a certificate')).toThrow(CertError);
  });

  it('refuses bad names, scopes, addresses and validity with a CertError', async () => {
    await expect(issueAgentCert(site.dir, 'gpu_a')).rejects.toThrow(/invalid host "gpu_a"/);
    await expect(issueAgentCert(site.dir, '-gpu')).rejects.toThrow(CertError);
    await expect(issueAgentCert(site.dir, 'gpu-a', { ips: ['10.0.0.300'] })).rejects.toThrow(/invalid IP address "10.0.0.300"/);
    await expect(issueConsoleCert(site.dir, 'ops/../x', 'read')).rejects.toThrow(/invalid console name/);
    await expect(issueConsoleCert(site.dir, 'ops', 'admin' as Scope)).rejects.toThrow(/invalid scope "admin"/);
    await expect(issueConsoleCert(site.dir, 'ops', 'read', { days: 0 })).rejects.toThrow(/days must be/);
    await expect(createCa(site.dir, { name: 'CN=x, O=y', force: true })).rejects.toThrow(/invalid CA name/);
    await expect(createCa(site.dir)).rejects.toThrow(/already exist.*--force/);
    const empty = tempDir();
    try {
      await expect(issueAgentCert(empty.dir, 'gpu-a')).rejects.toThrow(/CA certificate .*ca\.crt is missing \(run: headroom certs init/);
    } finally {
      empty.cleanup();
    }
  });

  it('derives validity: a past notAfter alone gives an expired certificate; notAfter before notBefore is refused', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    expect(validity({}, 10, now)).toEqual({ notBefore: new Date(now - 5 * 60_000), notAfter: new Date(now - 5 * 60_000 + 10 * DAY) });
    const past = new Date(now - DAY);
    expect(validity({ notAfter: past }, 10, now)).toEqual({ notBefore: new Date(past.getTime() - 10 * DAY), notAfter: past });
    expect(() => validity({ notBefore: new Date(now), notAfter: new Date(now - 1) }, 10, now)).toThrow(/must be after notBefore/);
  });
});

describe('scopesOf', () => {
  it('maps the OU to scopes; control implies read; anything else grants nothing', () => {
    expect(scopesOf({ subject: { OU: 'headroom-control' } })).toEqual(['read', 'control']);
    expect(scopesOf({ subject: { OU: 'headroom-read' } })).toEqual(['read']);
    expect(scopesOf({ subject: { OU: ['other', 'headroom-read'] } })).toEqual(['read']);
    expect(scopesOf({ subject: { OU: 'headroom-admin' } })).toEqual([]);
    expect(scopesOf({ subject: {} })).toEqual([]);
    expect(scopesOf({})).toEqual([]);
    expect(scopesOf(null)).toEqual([]);
    expect(scopesOf(undefined)).toEqual([]);
  });
});

describe('loadIdentity', () => {
  it('loads a certificate, its key and the CA', () => {
    const id = loadIdentity(site.dir, 'console-ops');
    expect(id.cert).toContain('BEGIN CERTIFICATE');
    expect(id.key).toContain('BEGIN PRIVATE KEY');
    expect(id.ca).toBe(readFileSync(site.file('ca.crt'), 'utf8'));
  });

  it('names the missing file, refuses paths, a key of another certificate and a certificate of another CA', () => {
    expect(() => loadIdentity(site.dir, 'agent-gpu-z')).toThrow(/agent-gpu-z\.crt is missing \(run: headroom certs agent --dir .* --host gpu-z\)/);
    expect(() => loadIdentity(site.dir, '../agent-gpu-a')).toThrow(/invalid identity/);
    const mixed = tempDir();
    try {
      writeFileSync(mixed.file('ca.crt'), readFileSync(site.file('ca.crt')));
      writeFileSync(mixed.file('console-ops.crt'), readFileSync(site.file('console-ops.crt')));
      writeFileSync(mixed.file('console-ops.key'), readFileSync(site.file('console-viewer.key')));
      expect(() => loadIdentity(mixed.dir, 'console-ops')).toThrow(/console-ops\.key does not belong to .*console-ops\.crt/);
      writeFileSync(mixed.file('console-ops.crt'), readFileSync(foreign.file('console-ops.crt')));
      writeFileSync(mixed.file('console-ops.key'), readFileSync(foreign.file('console-ops.key')));
      expect(() => loadIdentity(mixed.dir, 'console-ops')).toThrow(/was not signed by/);
    } finally {
      mixed.cleanup();
    }
  });
});

/** Read a PEM pair straight from disk, bypassing loadIdentity's checks (to present a bad certificate on purpose). */
function rawIdentity(dir: string, base: string, caDir = site.dir): TlsIdentity {
  const read = (p: string) => readFileSync(p, 'utf8');
  return { cert: read(`${dir}/${base}.crt`), key: read(`${dir}/${base}.key`), ca: read(`${caDir}/ca.crt`) };
}

interface Attempt {
  /** What the server sent back: the scopes it saw, as JSON. */
  data: string;
  error: (Error & { code?: string }) | null;
}

describe('mutual TLS', () => {
  let server: Server;
  let port: number;
  const seen: { authorized: boolean; scopes: Scope[] }[] = [];

  beforeAll(async () => {
    const id = loadIdentity(site.dir, 'agent-gpu-a');
    server = createServer({ ...id, requestCert: true, rejectUnauthorized: true, minVersion: 'TLSv1.2' }, (socket: TLSSocket) => {
      const scopes = scopesOf(socket.getPeerCertificate());
      seen.push({ authorized: socket.authorized, scopes });
      socket.end(JSON.stringify(scopes) + '\n');
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Connect as `client` to the agent, expecting it to be `servername`; resolves when the connection ends. */
  function attempt(client: Partial<TlsIdentity> & { ca: string }, servername = 'gpu-a'): Promise<Attempt> {
    return new Promise((resolve) => {
      const s = connect({ host: '127.0.0.1', port, servername, ...client });
      let data = '';
      let error: Attempt['error'] = null;
      s.setEncoding('utf8');
      s.on('data', (d: string) => (data += d));
      s.on('error', (e) => (error ??= e));
      s.on('close', () => resolve({ data, error }));
    });
  }

  /**
   * Expect the agent to refuse `client`: it never sees a connection, and the failed socket's verification result
   * (`authorizationError`, or the handshake error when OpenSSL itself aborted) matches `reason`. Under TLS 1.3 the
   * client's side of the handshake is over before the server checks its certificate, so the client sees at most a
   * reset or an alert, and never data.
   */
  async function rejectedByServer(client: Partial<TlsIdentity> & { ca: string }, reason: RegExp): Promise<Attempt> {
    const before = seen.length;
    const failed = once(server, 'tlsClientError') as Promise<[Error & { code?: string }, TLSSocket]>;
    const [[serverError, socket], r] = await Promise.all([failed, attempt(client)]);
    expect(`${socket.authorizationError ?? serverError.code}`).toMatch(reason);
    expect(r.data).toBe('');
    expect(seen.length).toBe(before);
    return r;
  }

  it('accepts a control console and reports read+control to the server', async () => {
    const r = await attempt(loadIdentity(site.dir, 'console-ops'));
    expect(r.error).toBeNull();
    expect(JSON.parse(r.data)).toEqual(['read', 'control']);
    expect(seen.at(-1)).toEqual({ authorized: true, scopes: ['read', 'control'] });
  });

  it('accepts a read console with scope read only', async () => {
    const r = await attempt(loadIdentity(site.dir, 'console-viewer'));
    expect(r.error).toBeNull();
    expect(JSON.parse(r.data)).toEqual(['read']);
    expect(seen.at(-1)).toEqual({ authorized: true, scopes: ['read'] });
  });

  it('rejects a client without a certificate', async () => {
    const r = await rejectedByServer({ ca: rawIdentity(site.dir, 'console-ops').ca }, /^ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE$/);
    expect(r.error?.code).toMatch(/^(ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ECONNRESET)$/);
  });

  it('rejects a client certificate from another CA', async () => {
    const r = await rejectedByServer(rawIdentity(foreign.dir, 'console-ops'), /^(UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    expect(String(r.error?.code ?? 'none')).toMatch(/^(ECONNRESET|none)$/); // a plain close under TLS 1.3
  });

  it('rejects an expired client certificate', async () => {
    const r = await rejectedByServer(rawIdentity(site.dir, 'console-old'), /^CERT_HAS_EXPIRED$/);
    expect(String(r.error?.code ?? 'none')).toMatch(/^(ECONNRESET|none)$/); // a plain close under TLS 1.3
  });

  it("rejects an agent's server certificate used as a client certificate (serverAuth only)", async () => {
    await rejectedByServer(rawIdentity(site.dir, 'agent-gpu-b'), /^INVALID_PURPOSE$/);
  });

  it('the console refuses an agent whose certificate is for another host', async () => {
    const r = await attempt(loadIdentity(site.dir, 'console-ops'), 'gpu-b');
    expect(r.error?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(r.error?.message).toMatch(/gpu-b/);
    expect(r.data).toBe('');
  });

  it('the console refuses an agent of another CA', async () => {
    const r = await attempt({ ...loadIdentity(site.dir, 'console-ops'), ca: rawIdentity(foreign.dir, 'console-ops', foreign.dir).ca });
    // The agent sends its CA along with its certificate; either way the chain does not reach the console's CA.
    expect(r.error?.code).toMatch(/^(SELF_SIGNED_CERT_IN_CHAIN|UNABLE_TO_VERIFY_LEAF_SIGNATURE|UNABLE_TO_GET_ISSUER_CERT_LOCALLY)$/);
    expect(r.data).toBe('');
  });
});

describe('command signatures', () => {
  it("a body signed with the console's key verifies with its certificate's public key; a flipped byte does not", () => {
    const { cert, key } = loadIdentity(site.dir, 'console-ops');
    const body = Buffer.from(JSON.stringify({ v: 1, host: 'gpu-a', nonce: '0'.repeat(32), actions: [] }));
    const sig = sign('sha256', body, key);
    const publicKey = new X509Certificate(cert).publicKey;
    expect(verify('sha256', body, publicKey, sig)).toBe(true);
    const tampered = Buffer.from(body);
    tampered[5]! ^= 0x01;
    expect(verify('sha256', tampered, publicKey, sig)).toBe(false);
    const badSig = Buffer.from(sig);
    badSig[badSig.length - 1]! ^= 0x01;
    expect(verify('sha256', body, publicKey, badSig)).toBe(false);
    // Another console's certificate does not verify it either.
    expect(verify('sha256', body, new X509Certificate(loadIdentity(site.dir, 'console-viewer').cert).publicKey, sig)).toBe(false);
  });
});

describe('headroom certs', () => {
  let out: string[];
  let err: string[];
  afterEach(() => vi.restoreAllMocks());
  function capture(): void {
    out = [];
    err = [];
    vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => void out.push(a.join(' ')));
    vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => void err.push(a.join(' ')));
  }

  it('init, agent, console and show', async () => {
    const t = tempDir();
    try {
      capture();
      expect(await runCerts(['init', '--dir', t.dir, '--name', 'Test CA'])).toBe(0);
      expect(await runCerts(['agent', '--dir', t.dir, '--host', 'gpu-7', '--ip', '10.0.0.7', '--ip', 'fd00::7'])).toBe(0);
      expect(await runCerts(['console', '--dir', t.dir, '--name', 'ops', '--scope', 'control'])).toBe(0);
      expect(await runCerts(['console', '--dir', t.dir, '--name', 'wall', '--scope', 'read', '--days', '20'])).toBe(0);
      expect(err).toEqual([]);
      for (const f of ['ca.key', 'agent-gpu-7.key', 'console-ops.key', 'console-wall.key']) expect(mode(t.file(f))).toBe(0o600);
      expect(describeCert(readFileSync(t.file('ca.crt'), 'utf8')).subject).toBe('CN=Test CA');
      capture();
      expect(await runCerts(['show', '--dir', t.dir])).toBe(0);
      const text = out.join('\n');
      expect(text).toMatch(/^ca\.crt \[CA\]/);
      expect(text).toContain('DNS:gpu-7, IP Address:10.0.0.7, IP Address:FD00:0:0:0:0:0:0:7');
      expect(text).toMatch(/console-ops\.crt[\s\S]*scopes {3}read, control/);
      expect(text).toMatch(/console-wall\.crt[\s\S]*scopes {3}read\n/);
      expect(err).toEqual([expect.stringMatching(/^warning: console-wall\.crt expires in 19 days/)]);
    } finally {
      t.cleanup();
    }
  });

  it('show warns about expired certificates and certificates of another CA', async () => {
    const t = tempDir();
    try {
      for (const f of ['ca.crt', 'console-old.crt']) writeFileSync(t.file(f), readFileSync(site.file(f)));
      writeFileSync(t.file('console-stranger.crt'), readFileSync(foreign.file('console-ops.crt')));
      capture();
      expect(await runCerts(['show', '--dir', t.dir])).toBe(0);
      expect(err).toEqual([expect.stringMatching(/^warning: console-old\.crt EXPIRED on /), expect.stringMatching(/^warning: console-stranger\.crt was not signed by/)]);
      expect(out.join('\n')).toMatch(/console-old\.crt[\s\S]*expired 1 days ago/);
    } finally {
      t.cleanup();
    }
  });

  it('refuses to overwrite a CA without --force, and replaces it with', async () => {
    const t = tempDir();
    try {
      capture();
      expect(await runCerts(['init', '--dir', t.dir])).toBe(0);
      const first = readFileSync(t.file('ca.crt'), 'utf8');
      expect(await runCerts(['init', '--dir', t.dir])).toBe(2);
      expect(err.at(-1)).toMatch(/^headroom: .*ca\.crt and .*ca\.key already exist: .*--force/);
      expect(readFileSync(t.file('ca.crt'), 'utf8')).toBe(first);
      expect(await runCerts(['init', '--dir', t.dir, '--force'])).toBe(0);
      expect(readFileSync(t.file('ca.crt'), 'utf8')).not.toBe(first);
    } finally {
      t.cleanup();
    }
  });

  it('bad usage exits 2 with one line', async () => {
    const cases: [string[], RegExp][] = [
      [['console', '--dir', site.dir, '--name', 'x', '--scope', 'admin'], /--scope must be read or control, got "admin"/],
      [['console', '--dir', site.dir, '--name', 'x'], /certs console needs --scope/],
      [['agent', '--dir', site.dir, '--host', 'bad_host'], /invalid host "bad_host"/],
      [['agent', '--dir', site.dir, '--host'], /argument missing/],
      [['agent', '--dir', site.dir, '--host', 'gpu-a', '--days', '1.5'], /--days must be an integer/],
      [['init', '--bogus'], /Unknown option '--bogus'/],
      [['show'], /certs show needs --dir/],
      [['frobnicate'], /unknown certs subcommand "frobnicate"/],
      [[], /certs needs a subcommand/],
    ];
    for (const [argv, pattern] of cases) {
      capture();
      expect(await runCerts(argv), argv.join(' ')).toBe(2);
      expect(out).toEqual([]);
      expect(err).toHaveLength(1);
      expect(err[0]).toMatch(/^headroom: [^\n]+$/);
      expect(err[0]).toMatch(pattern);
    }
  });

  it('--help lists every option', async () => {
    capture();
    expect(await runCerts(['--help'])).toBe(0);
    const text = out.join('\n');
    expect(text).toBe(`Usage:\n${CERTS_HELP}`);
    for (const word of ['init', 'agent', 'console', 'show', 'revoke', 'renew', '--serial', '--reason', '--by', '--revoke-old', '--expiring-within', '--dir', '--name', '--force', '--host', '--ip', '--scope', '--days']) expect(text).toContain(word);
  });
});
