import { readFileSync, readdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import { parseArgs } from 'node:util';
import type { Scope } from '../../shared/agentProtocol.js';
import { num, UsageError } from './usage.js';
import { CA_DAYS, CertError, LEAF_DAYS, checkConsoleName, checkHost, createCa, describeCert, issueAgentCert, issueConsoleCert, signedBy, type IssuedFiles } from '../pki/certs.js';
import { actorName, appendCertLog, expiringLeaves, readRevoked, renewCert, revokeSerial, type Renewed } from '../pki/lifecycle.js';
import { REVOKED_FILE } from '../pki/revocation.js';

/** Certificates expiring within this many days are flagged by `show`. */
export const EXPIRY_WARNING_DAYS = 30;
const DAY_MS = 86_400_000;

/** The `certs` lines of `headroom help` (same layout as AUDIT_HELP). */
export const CERTS_HELP = `  headroom certs init --dir DIR [--name NAME] [--days N] [--force]
                               create the site CA (DIR/ca.crt, DIR/ca.key; ECDSA P-256, ${CA_DAYS} days); keep ca.key on
                               the machine that issues certificates, never on a GPU host
      --name NAME              the CA's common name (default "Headroom site CA")
      --force                  replace an existing CA: every certificate it signed stops working
  headroom certs agent --dir DIR --host HOST [--ip IP]... [--days N]
                               an agent's TLS server certificate DIR/agent-HOST.crt/.key (SAN DNS:HOST); copy it and
                               DIR/ca.crt to the host
      --ip IP                  also valid for this address (repeatable)
  headroom certs console --dir DIR --name NAME --scope read|control [--days N]
                               a console's TLS client certificate DIR/console-NAME.crt/.key; scope read receives
                               readings only, control may also send commands
  headroom certs show --dir DIR
                               every certificate in DIR: subject, serial, SANs, scopes, expiry; warns about those
                               expiring within ${EXPIRY_WARNING_DAYS} days or expired, revoked, or not signed by DIR/ca.crt
                               (exit 1 if any is unreadable)
  headroom certs revoke --dir DIR --serial S --reason TEXT [--by NAME]
                               add a certificate's serial (as show prints it) to DIR/${REVOKED_FILE}; copy that file to
                               every host and console certs directory: agents then refuse a revoked console and
                               consoles a revoked agent at the TLS handshake (re-read on change, no restart)
      --by NAME                who revokes (default: the user behind sudo, else the OS user); logged in DIR/certs.log
  headroom certs renew --dir DIR (--host HOST | --name NAME | --expiring-within DAYS) [--days N] [--revoke-old] [--by NAME]
                               re-issue for the same subject (host and IPs, or name and scope) with a new key and
                               serial; --expiring-within renews every agent and console certificate expiring within
                               DAYS; --revoke-old also revokes the old serial (do it once the new files are in place)
      --dir DIR                the certificate directory (created 0700; keys 0600)
      --days N                 validity in days (default ${LEAF_DAYS} for agent and console certificates)`;

function required(v: string | undefined, name: string, sub: string): string {
  if (v === undefined || v === '') throw new UsageError(`certs ${sub} needs --${name}`);
  return v;
}

const days = (v: string | undefined) => num(v, 'days', { int: true, min: 1, max: 36_500 });

function printIssued(what: string, f: IssuedFiles, dir: string): void {
  console.log(`${what}: ${f.certPath} (key ${f.keyPath})`);
  const d = describeCert(readFileSync(f.certPath, 'utf8'));
  appendCertLog(dir, { action: 'issue', by: actorName(), file: basename(f.certPath), subject: d.subject, serial: d.serial, notAfter: d.notAfter });
}

async function init(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: { dir: { type: 'string' }, name: { type: 'string' }, days: { type: 'string' }, force: { type: 'boolean', default: false } } });
  const dir = required(values.dir, 'dir', 'init');
  const f = await createCa(dir, { name: values.name, days: days(values.days), force: values.force });
  printIssued('site CA', f, dir);
  console.log(`  keep ${f.keyPath} off the GPU hosts; hosts and consoles need only ${f.certPath} and their own certificate`);
  return 0;
}

async function agent(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: { dir: { type: 'string' }, host: { type: 'string' }, ip: { type: 'string', multiple: true }, days: { type: 'string' } } });
  const dir = required(values.dir, 'dir', 'agent');
  const host = required(values.host, 'host', 'agent');
  printIssued(`agent ${host}`, await issueAgentCert(dir, host, { ips: values.ip ?? [], days: days(values.days) }), dir);
  return 0;
}

async function consoleCert(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, strict: true, options: { dir: { type: 'string' }, name: { type: 'string' }, scope: { type: 'string' }, days: { type: 'string' } } });
  const dir = required(values.dir, 'dir', 'console');
  const name = required(values.name, 'name', 'console');
  const scope = required(values.scope, 'scope', 'console');
  if (scope !== 'read' && scope !== 'control') throw new UsageError(`--scope must be read or control, got "${scope}"`);
  printIssued(`console ${name} (${scope satisfies Scope})`, await issueConsoleCert(dir, name, scope, { days: days(values.days) }), dir);
  return 0;
}

/** Whole days from `now` until `iso`, rounded towards zero (negative once past). */
export function daysLeft(iso: string, now = Date.now()): number {
  return Math.trunc((Date.parse(iso) - now) / DAY_MS);
}

function show(args: string[]): number {
  const { values } = parseArgs({ args, strict: true, options: { dir: { type: 'string' } } });
  const dir = required(values.dir, 'dir', 'show');
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.crt'));
  } catch (e) {
    throw new CertError(`cannot list ${dir}: ${(e as Error).message}`);
  }
  // The CA first, then agents and consoles by name.
  files.sort((a, b) => Number(b === 'ca.crt') - Number(a === 'ca.crt') || a.localeCompare(b));
  if (!files.length) {
    console.log(`no certificates in ${dir} (start with: headroom certs init --dir ${dir})`);
    return 0;
  }
  let caPem: string | null = null;
  try {
    caPem = readFileSync(join(dir, 'ca.crt'), 'utf8');
  } catch {
    console.error(`warning: ${join(dir, 'ca.crt')} is missing: cannot check who signed the certificates`);
  }
  let unreadable = 0;
  let revoked = new Map<string, { at: string; by: string; reason: string }>();
  try {
    revoked = new Map(readRevoked(dir).revoked.map((e) => [e.serial, e]));
  } catch (e) {
    console.error(`warning: ${(e as Error).message}`);
    unreadable++;
  }
  for (const f of files) {
    const path = join(dir, f);
    let pem: string;
    let d: ReturnType<typeof describeCert>;
    try {
      pem = readFileSync(path, 'utf8');
      d = describeCert(pem);
    } catch (e) {
      console.error(`warning: ${path}: ${(e as Error).message}`);
      unreadable++;
      continue;
    }
    const left = daysLeft(d.notAfter);
    const parts = [`${f}${d.ca ? ' [CA]' : ''}`, `  subject  ${d.subject}`];
    if (!d.ca || d.issuer !== d.subject) parts.push(`  issuer   ${d.issuer}`);
    if (d.sans.length) parts.push(`  SANs     ${d.sans.join(', ')}`);
    if (d.scopes.length) parts.push(`  scopes   ${d.scopes.join(', ')}`);
    parts.push(`  serial   ${d.serial}`, `  expires  ${d.notAfter} (${left < 0 ? `expired ${-left} days ago` : `in ${left} days`})`, `  sha256   ${d.fingerprint256}`);
    const revokedEntry = revoked.get(d.serial);
    if (revokedEntry) parts.push(`  REVOKED  ${revokedEntry.at} by ${revokedEntry.by}: ${revokedEntry.reason}`);
    console.log(parts.join('\n'));
    if (revokedEntry) console.error(`warning: ${f} is REVOKED (${revokedEntry.reason})`);
    else if (Date.parse(d.notAfter) <= Date.now()) console.error(`warning: ${f} EXPIRED on ${d.notAfter}`);
    else if (left < EXPIRY_WARNING_DAYS) console.error(`warning: ${f} expires in ${left} days (${d.notAfter})`);
    if (caPem && f !== 'ca.crt' && !signedBy(pem, caPem)) console.error(`warning: ${f} was not signed by ${join(dir, 'ca.crt')}`);
  }
  return unreadable ? 1 : 0;
}

function revoke(args: string[]): number {
  const { values } = parseArgs({ args, strict: true, options: { dir: { type: 'string' }, serial: { type: 'string' }, reason: { type: 'string' }, by: { type: 'string' } } });
  const dir = required(values.dir, 'dir', 'revoke');
  const r = revokeSerial(dir, { serial: required(values.serial, 'serial', 'revoke'), reason: required(values.reason, 'reason', 'revoke'), by: values.by });
  const what = r.entry.subject ? `${r.entry.subject} (serial ${r.entry.serial})` : `serial ${r.entry.serial}`;
  if (r.already) console.log(`${what} was already revoked on ${r.entry.at} by ${r.entry.by}: ${r.entry.reason}`);
  else {
    console.log(`revoked ${what} by ${r.entry.by}: ${r.entry.reason}`);
    if (!r.file) console.error(`warning: no certificate in ${dir} has serial ${r.entry.serial}; revoked anyway`);
    console.log(`  copy ${join(dir, REVOKED_FILE)} into every agent's and console's certs directory (re-read within one interval)`);
  }
  return 0;
}

async function renew(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    strict: true,
    options: { dir: { type: 'string' }, host: { type: 'string' }, name: { type: 'string' }, 'expiring-within': { type: 'string' }, days: { type: 'string' }, 'revoke-old': { type: 'boolean', default: false }, by: { type: 'string' } },
  });
  const dir = required(values.dir, 'dir', 'renew');
  const given = [values.host, values.name, values['expiring-within']].filter((v) => v !== undefined).length;
  if (given !== 1) throw new UsageError('certs renew needs exactly one of --host, --name or --expiring-within');
  const within = num(values['expiring-within'], 'expiring-within', { int: true, min: 0, max: 36_500 });
  const bases = values.host ? [`agent-${checkHost(values.host)}`] : values.name ? [`console-${checkConsoleName(values.name)}`] : expiringLeaves(dir, within!);
  if (!bases.length) console.log(`no agent or console certificate in ${dir} expires within ${within} days`);
  for (const base of bases) {
    const r: Renewed = await renewCert(dir, base, { days: days(values.days), revokeOld: values['revoke-old'], by: values.by });
    console.log(`renewed ${base}: serial ${r.old.serial} → ${r.renewed.serial}, expires ${r.renewed.notAfter}${values['revoke-old'] ? ' (old serial revoked)' : ''}`);
  }
  return 0;
}

async function dispatch(sub: string | undefined, rest: string[]): Promise<number> {
  switch (sub) {
    case 'revoke':
      return revoke(rest);
    case 'renew':
      return renew(rest);
    case 'init':
      return init(rest);
    case 'agent':
      return agent(rest);
    case 'console':
      return consoleCert(rest);
    case 'show':
      return show(rest);
    case 'help':
    case '--help':
    case '-h':
      console.log(`Usage:\n${CERTS_HELP}`);
      return 0;
    default:
      throw new UsageError(sub === undefined ? 'certs needs a subcommand: init, agent, console, show, revoke or renew (headroom certs --help)' : `unknown certs subcommand "${sub}" (init, agent, console, show, revoke, renew)`);
  }
}

/**
 * `headroom certs init|agent|console|show|revoke|renew …` (argv: what follows `certs`). Prints its own output and errors and
 * returns the exit code: 0 ok, 1 a certificate `show` could not read or an I/O failure, 2 bad usage or input
 * (unknown option, missing value, bad name or scope, no CA, a CA that exists without --force).
 */
export async function runCerts(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    return await dispatch(sub, rest);
  } catch (e) {
    const err = e as Error & { code?: string };
    const usage = e instanceof UsageError || e instanceof CertError || (typeof err.code === 'string' && err.code.startsWith('ERR_PARSE_ARGS'));
    console.error(`headroom: ${String(err.message).split('\n')[0]}`);
    return usage ? 2 : 1;
  }
}
