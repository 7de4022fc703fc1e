import type * as X509Lib from '@peculiar/x509';
import { X509Certificate, createPrivateKey, randomBytes, webcrypto } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { basename, join } from 'node:path';
import { HostSchema, SCOPE_OU, type Scope } from '../../shared/agentProtocol.js';
import { writeFileAtomic } from './files.js';
import { REVOKED_FILE } from './revocation.js';

/**
 * The site PKI for mutual TLS between the console and host agents.
 *
 * One site CA (`ca.crt`, `ca.key`) signs two kinds of leaf:
 * - `agent-<host>`: the agent's TLS server certificate, SAN DNS:<host> (+ IP SANs), extKeyUsage serverAuth only, so an
 *   agent's key cannot log in to another agent as a console;
 * - `console-<name>`: a console's TLS client certificate, extKeyUsage clientAuth only; its OU carries the scope
 *   (SCOPE_OU): `headroom-read` may only receive readings, `headroom-control` may also send signed commands.
 *
 * Keys are ECDSA P-256, made and used through Node's own crypto (webcrypto to build certificates, OpenSSL for TLS and
 * command signatures): no `openssl` binary is needed, so the desktop app can issue certificates by itself.
 * `ca.key` is the site's root of trust: keep it on the machine that issues certificates, never on a GPU host (a host
 * needs only `ca.crt` and its own `agent-<host>.crt/.key`).
 */

/** A PKI problem the user can fix (bad name, missing file, existing CA): the CLI prints it as one line, exit 2. */
export class CertError extends Error {
  override readonly name = 'CertError';
}

/** Validity of a new certificate. `notAfter` may lie in the past (tests need expired certificates). */
export interface IssueOptions {
  /** Lifetime in days from notBefore (default 90 for a leaf; 3650 for the CA). */
  days?: number;
  /** Default: 5 minutes ago, so a host whose clock runs a little behind still accepts a fresh certificate. */
  notBefore?: Date;
  notAfter?: Date;
}

/** Paths of a certificate and its private key. */
export interface IssuedFiles {
  certPath: string;
  keyPath: string;
}

/** What a TLS endpoint needs, as PEM text: its certificate, its key and the site CA that authenticates the peer. */
export interface TlsIdentity {
  cert: string;
  key: string;
  ca: string;
  /** The site's deny list next to ca.crt (`revoked.json`, see revocation.ts); set by loadIdentity. */
  revokedPath?: string;
}

/** Readable summary of one certificate (`headroom certs show`). */
export interface CertDescription {
  subject: string;
  issuer: string;
  /** e.g. `DNS:gpu-a`, `IP Address:10.0.0.7`. */
  sans: string[];
  /** ISO 8601, both. */
  notBefore: string;
  notAfter: string;
  fingerprint256: string;
  /** Upper-case hex, as in revoked.json. */
  serial: string;
  scopes: Scope[];
  /** True for a CA certificate. */
  ca: boolean;
}

/**
 * Default leaf lifetime: 90 days, so a leaked key stops working within a quarter even if nobody revokes it, and renewal
 * (`headroom certs renew`) is a routine, not a yearly surprise.
 */
export const LEAF_DAYS = 90;
/** Default CA lifetime (10 years): replacing the CA means re-issuing every certificate of the site. */
export const CA_DAYS = 3650;
/** Common name of a CA made without --name. */
export const DEFAULT_CA_NAME = 'Headroom site CA';
const MAX_DAYS = 36_500;
const BACKDATE_MS = 5 * 60_000;
const DAY_MS = 86_400_000;
const CONSOLE_NAME = /^[A-Za-z0-9_.-]{1,64}$/;
const CA_NAME = /^[A-Za-z0-9 _.-]{1,64}$/;
/** File names that loadIdentity accepts: a leaf's base name, never a path. */
const IDENTITY_FILE = /^(?:agent|console)-[A-Za-z0-9_.-]{1,253}$/;
const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;
const SIGNING = { name: 'ECDSA', hash: 'SHA-256' } as const;
const subtle = webcrypto.subtle;

let x509Lib: Promise<typeof X509Lib> | null = null;

/**
 * The X.509 builder, loaded on the first issuance only: the agent and the console runtime import this module for
 * loadIdentity/scopesOf/describeCert (node:crypto alone) and need neither the library's load time nor the global
 * Reflect polyfill it requires (tsyringe inside it needs `Reflect.getMetadata`, so the polyfill loads first).
 */
function x509(): Promise<typeof X509Lib> {
  x509Lib ??= (async () => {
    await import('reflect-metadata');
    const lib = await import('@peculiar/x509');
    // Node's global webcrypto (Node ≥ 19 and Electron's main process) is node:crypto's `webcrypto`, typed as the DOM
    // Crypto the library is declared with.
    lib.cryptoProvider.set(globalThis.crypto);
    return lib;
  })().catch((e: unknown) => {
    x509Lib = null;
    throw e;
  });
  return x509Lib;
}

/**
 * The host a certificate is issued for, checked with the protocol's HostSchema: the same string then appears in the
 * agent's hello, the inventory and the TLS servername, so a mismatch cannot slip in here.
 */
export function checkHost(host: string): string {
  const r = HostSchema.safeParse(host);
  if (!r.success) throw new CertError(`invalid host "${host}": ${r.error.issues[0]?.message ?? 'not a host name'} (letters, digits, "." or "-", at most 253)`);
  return host;
}

/** A console certificate's name: it becomes a file name and the CN, so only [A-Za-z0-9_.-], at most 64. */
export function checkConsoleName(name: string): string {
  if (!CONSOLE_NAME.test(name)) throw new CertError(`invalid console name "${name}": use 1 to 64 letters, digits, "_", "." or "-"`);
  return name;
}

function checkScope(scope: string): Scope {
  if (scope !== 'read' && scope !== 'control') throw new CertError(`invalid scope "${scope}": read or control`);
  return scope;
}

function checkIps(ips: readonly string[]): string[] {
  for (const ip of ips) if (isIP(ip) === 0) throw new CertError(`invalid IP address "${ip}"`);
  return [...new Set(ips)];
}

/**
 * notBefore/notAfter for a new certificate. When only a past notAfter is given, the certificate's lifetime ends then
 * (an expired certificate) instead of starting after it.
 */
export function validity(opts: IssueOptions, defaultDays: number, now = Date.now()): { notBefore: Date; notAfter: Date } {
  const days = opts.days ?? defaultDays;
  if (!Number.isFinite(days) || days <= 0 || days > MAX_DAYS) throw new CertError(`days must be a number in (0, ${MAX_DAYS}], got ${days}`);
  for (const [k, d] of [['notBefore', opts.notBefore], ['notAfter', opts.notAfter]] as const) {
    if (d !== undefined && !Number.isFinite(d.getTime())) throw new CertError(`${k} is not a valid date`);
  }
  let notBefore = opts.notBefore ?? new Date(now - BACKDATE_MS);
  if (!opts.notBefore && opts.notAfter && opts.notAfter <= notBefore) notBefore = new Date(opts.notAfter.getTime() - days * DAY_MS);
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + days * DAY_MS);
  if (notAfter <= notBefore) throw new CertError(`notAfter (${notAfter.toISOString()}) must be after notBefore (${notBefore.toISOString()})`);
  return { notBefore, notAfter };
}

/** A random 16-byte serial whose DER INTEGER is positive and minimal (RFC 5280 §4.1.2.2: at most 20 bytes, positive). */
export function randomSerial(): string {
  const b = randomBytes(16);
  b[0] = (b[0]! & 0x7f) | 0x01; // top bit clear: positive; non-zero first byte: no leading zero to strip
  return b.toString('hex');
}

function pem(label: string, der: ArrayBuffer | Buffer): string {
  const b64 = Buffer.from(der as ArrayBuffer).toString('base64');
  return `-----BEGIN ${label}-----\n${b64.replace(/.{1,64}/g, '$&\n')}-----END ${label}-----\n`;
}

function ensureDir(dir: string): void {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
}

function writePair(dir: string, base: string, certPem: string, keyPem: string): IssuedFiles {
  ensureDir(dir);
  const keyPath = join(dir, `${base}.key`);
  const certPath = join(dir, `${base}.crt`);
  writeFileAtomic(keyPath, keyPem, 0o600);
  writeFileAtomic(certPath, certPem, 0o644);
  return { certPath, keyPath };
}

async function newKeyPair(): Promise<{ keys: webcrypto.CryptoKeyPair; keyPem: string }> {
  const keys = await subtle.generateKey(EC_P256, true, ['sign', 'verify']);
  return { keys, keyPem: pem('PRIVATE KEY', await subtle.exportKey('pkcs8', keys.privateKey)) };
}

function readText(path: string, what: string, hint: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new CertError(`${what} ${path} is missing (${hint})`);
    throw new CertError(`cannot read ${what} ${path}: ${(e as Error).message}`);
  }
}

/** The site CA of `dir`: its certificate (for the issuer name and key identifier) and its signing key. */
async function loadCa(dir: string): Promise<{ cert: X509Lib.X509Certificate; nodeCert: X509Certificate; signingKey: webcrypto.CryptoKey }> {
  const hint = `run: headroom certs init --dir ${dir}`;
  const certPem = readText(join(dir, 'ca.crt'), 'CA certificate', hint);
  const keyPem = readText(join(dir, 'ca.key'), 'CA key', hint);
  let nodeCert: X509Certificate;
  let keyObject: ReturnType<typeof createPrivateKey>;
  try {
    nodeCert = new X509Certificate(certPem);
    keyObject = createPrivateKey(keyPem);
  } catch (e) {
    throw new CertError(`the CA in ${dir} is unreadable: ${(e as Error).message}`);
  }
  if (!nodeCert.ca) throw new CertError(`${join(dir, 'ca.crt')} is not a CA certificate`);
  if (!nodeCert.checkPrivateKey(keyObject)) throw new CertError(`${join(dir, 'ca.key')} does not belong to ${join(dir, 'ca.crt')}`);
  if (keyObject.asymmetricKeyType !== 'ec' || keyObject.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new CertError(`the CA key in ${dir} is not ECDSA P-256 (made by headroom certs init); re-create the CA`);
  }
  const der = keyObject.export({ format: 'der', type: 'pkcs8' });
  const signingKey = await subtle.importKey('pkcs8', der, EC_P256, false, ['sign']);
  return { cert: new (await x509()).X509Certificate(certPem), nodeCert, signingKey };
}

/**
 * Create the site CA: `dir/ca.crt` and `dir/ca.key` (ECDSA P-256, CA:true critical, keyCertSign+cRLSign, 10 years).
 * Refuses to replace an existing CA unless `force`: every agent and console certificate is signed by it, and a new CA
 * silently locks all of them out.
 */
export async function createCa(dir: string, opts: IssueOptions & { name?: string; force?: boolean } = {}): Promise<IssuedFiles> {
  const name = opts.name ?? DEFAULT_CA_NAME;
  if (!CA_NAME.test(name)) throw new CertError(`invalid CA name "${name}": use 1 to 64 letters, digits, spaces, "_", "." or "-"`);
  const existing = ['ca.crt', 'ca.key'].map((f) => join(dir, f)).filter((p) => existsSync(p));
  if (existing.length && !opts.force) {
    throw new CertError(`${existing.join(' and ')} already exist${existing.length === 1 ? 's' : ''}: a new CA invalidates every certificate it signed (use --force to replace it)`);
  }
  const { notBefore, notAfter } = validity(opts, CA_DAYS);
  const { BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, SubjectKeyIdentifierExtension, X509CertificateGenerator } = await x509();
  const { keys, keyPem } = await newKeyPair();
  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${name}`,
    notBefore,
    notAfter,
    keys,
    signingAlgorithm: SIGNING,
    extensions: [
      new BasicConstraintsExtension(true, 0, true), // pathLen 0: it signs leaves only, never another CA
      new KeyUsagesExtension(KeyUsageFlags.keyCertSign | KeyUsageFlags.cRLSign, true),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return writePair(dir, 'ca', cert.toString('pem') + '\n', keyPem);
}

/** Sign a new ECDSA P-256 leaf with the CA of `dir` and write `dir/<base>.crt/.key`. */
async function issueLeaf(dir: string, base: string, subject: string, leafExtensions: (lib: typeof X509Lib) => X509Lib.Extension[], opts: IssueOptions): Promise<IssuedFiles> {
  const lib = await x509();
  const { AuthorityKeyIdentifierExtension, BasicConstraintsExtension, KeyUsageFlags, KeyUsagesExtension, SubjectKeyIdentifierExtension, X509CertificateGenerator } = lib;
  const ca = await loadCa(dir);
  const v = validity(opts, LEAF_DAYS);
  // A leaf never outlives its CA: past that date no peer would accept it anyway.
  const notAfter = v.notAfter > ca.cert.notAfter ? ca.cert.notAfter : v.notAfter;
  if (notAfter <= v.notBefore) throw new CertError(`the CA in ${dir} expired on ${ca.cert.notAfter.toISOString()}: create a new one`);
  const { keys, keyPem } = await newKeyPair();
  const cert = await X509CertificateGenerator.create({
    serialNumber: randomSerial(),
    subject,
    issuer: ca.cert.subjectName,
    notBefore: v.notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: ca.signingKey,
    signingAlgorithm: SIGNING,
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(KeyUsageFlags.digitalSignature, true),
      ...leafExtensions(lib),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
      await AuthorityKeyIdentifierExtension.create(ca.cert.publicKey),
    ],
  });
  return writePair(dir, base, cert.toString('pem') + '\n', keyPem);
}

/**
 * Issue `dir/agent-<host>.crt/.key`: the agent's TLS server certificate, CN=<host>, SAN DNS:<host> plus each of `ips`
 * (and the host itself when it is an IP literal). Consoles connect with servername = host, so the SAN is what ties a
 * certificate to one machine. Replaces an existing certificate for the host (renewal).
 */
export async function issueAgentCert(dir: string, host: string, opts: IssueOptions & { ips?: string[] } = {}): Promise<IssuedFiles> {
  checkHost(host);
  const ips = checkIps([...(isIP(host) ? [host] : []), ...(opts.ips ?? [])]);
  const sans: X509Lib.JsonGeneralName[] = [{ type: 'dns', value: host }, ...ips.map((value): X509Lib.JsonGeneralName => ({ type: 'ip', value }))];
  return issueLeaf(dir, `agent-${host}`, `CN=${host}`, (lib) => [new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.serverAuth]), new lib.SubjectAlternativeNameExtension(sans)], opts);
}

/**
 * Issue `dir/console-<name>.crt/.key`: a console's TLS client certificate, CN=<name>, OU=SCOPE_OU[scope]. The agent
 * reads the scope from the OU (scopesOf), and verifies signed commands with this certificate's public key.
 * Replaces an existing certificate of that name.
 */
export async function issueConsoleCert(dir: string, name: string, scope: Scope, opts: IssueOptions = {}): Promise<IssuedFiles> {
  checkConsoleName(name);
  checkScope(scope);
  return issueLeaf(dir, `console-${name}`, `CN=${name}, OU=${SCOPE_OU[scope]}`, (lib) => [new lib.ExtendedKeyUsageExtension([lib.ExtendedKeyUsage.clientAuth])], opts);
}

/**
 * Load `dir/<file>.crt`, `dir/<file>.key` and `dir/ca.crt` for tls.createServer / tls.connect. Checks here what TLS
 * would otherwise report obscurely or only at the first connection: a missing file (named), a key of another
 * certificate, a certificate the CA did not sign.
 */
export function loadIdentity(dir: string, file: string): TlsIdentity {
  if (!IDENTITY_FILE.test(file) || basename(file) !== file) throw new CertError(`invalid identity "${file}": agent-<host> or console-<name>`);
  const hint = file.startsWith('agent-')
    ? `run: headroom certs agent --dir ${dir} --host ${file.slice('agent-'.length)}`
    : `run: headroom certs console --dir ${dir} --name ${file.slice('console-'.length)} --scope read|control`;
  const certPath = join(dir, `${file}.crt`);
  const keyPath = join(dir, `${file}.key`);
  const cert = readText(certPath, 'certificate', hint);
  const key = readText(keyPath, 'key', hint);
  const ca = readText(join(dir, 'ca.crt'), 'CA certificate', `copy the site's ca.crt into ${dir}`);
  let x: X509Certificate;
  let caX: X509Certificate;
  try {
    x = new X509Certificate(cert);
    caX = new X509Certificate(ca);
    if (!x.checkPrivateKey(createPrivateKey(key))) throw new CertError(`${keyPath} does not belong to ${certPath}`);
  } catch (e) {
    if (e instanceof CertError) throw e;
    throw new CertError(`cannot load ${file} from ${dir}: ${(e as Error).message}`);
  }
  if (!x.verify(caX.publicKey)) throw new CertError(`${certPath} was not signed by ${join(dir, 'ca.crt')} (certificates of another CA?)`);
  return { cert, key, ca, revokedPath: join(dir, REVOKED_FILE) };
}

/**
 * The scopes a peer certificate grants, from its OU (a tls PeerCertificate, or anything with `subject.OU`):
 * `headroom-control` → read and control, `headroom-read` → read, anything else → none. Call it only for an
 * authorized socket (`socket.authorized`): the OU means something only in a certificate the site CA signed.
 */
export function scopesOf(cert: { subject?: { OU?: string | string[] } } | null | undefined): Scope[] {
  const ou = cert?.subject?.OU;
  const units = ou === undefined ? [] : Array.isArray(ou) ? ou : [ou];
  if (units.includes(SCOPE_OU.control)) return ['read', 'control'];
  if (units.includes(SCOPE_OU.read)) return ['read'];
  return [];
}

/** Attribute values of one name in Node's `X509Certificate.subject` format (one `KEY=value` a line). */
function nameValues(name: string, key: string): string[] {
  return name
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

/** Subject, SANs, validity, fingerprint and scopes of one PEM certificate, parsed by Node (OpenSSL). */
export function describeCert(pemText: string): CertDescription {
  let x: X509Certificate;
  try {
    x = new X509Certificate(pemText);
  } catch (e) {
    throw new CertError(`not a PEM certificate: ${(e as Error).message}`);
  }
  const oneLine = (n: string) => n.split('\n').join(', ');
  return {
    subject: oneLine(x.subject),
    issuer: oneLine(x.issuer),
    sans: x.subjectAltName ? x.subjectAltName.split(', ') : [],
    notBefore: new Date(x.validFrom).toISOString(),
    notAfter: new Date(x.validTo).toISOString(),
    fingerprint256: x.fingerprint256,
    serial: x.serialNumber.toUpperCase().replace(/^0+(?=.)/, ''),
    scopes: scopesOf({ subject: { OU: nameValues(x.subject, 'OU') } }),
    ca: x.ca,
  };
}

/** True when the certificate `pemText` was signed by the CA certificate `caPem`. */
export function signedBy(pemText: string, caPem: string): boolean {
  try {
    return new X509Certificate(pemText).verify(new X509Certificate(caPem).publicKey);
  } catch {
    return false;
  }
}
