import { appendFileSync, readFileSync, readdirSync } from 'node:fs';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import { CertError, describeCert, issueAgentCert, issueConsoleCert, type CertDescription, type IssuedFiles, type IssueOptions } from './certs.js';
import { writeFileAtomic } from './files.js';
import { normalizeSerial, parseRevoked, REVOKED_FILE, type RevokedEntry, type RevokedFile } from './revocation.js';

/**
 * What happens to certificates after issuance: revocation (the deny list `revoked.json`) and renewal (a new key and
 * serial for the same subject). Each change is appended to `<dir>/certs.log` (one JSON object a line: when, who,
 * what), the certificate directory's own trail: `headroom certs` runs without a data folder, so it has no control.db.
 */

export const CERTS_LOG = 'certs.log';

/** Who is acting: `--by`, else the user behind sudo, else the OS user. */
export function actorName(by?: string): string {
  const name = by ?? process.env.SUDO_USER ?? safeUser();
  if (!/^[\p{L}\p{N} _.@'-]{1,200}$/u.test(name)) throw new CertError(`invalid name "${name}": letters, digits, spaces, "_", ".", "@", "'" or "-", at most 200`);
  return name;
}

function safeUser(): string {
  try {
    return userInfo().username;
  } catch {
    return 'unknown';
  }
}

export function appendCertLog(dir: string, record: Record<string, unknown>): void {
  appendFileSync(join(dir, CERTS_LOG), JSON.stringify({ at: new Date().toISOString(), ...record }) + '\n', { mode: 0o600 });
}

/** The deny list of `dir` (empty when the file does not exist). Throws CertError when it is unreadable. */
export function readRevoked(dir: string): RevokedFile {
  const path = join(dir, REVOKED_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { version: 1, revoked: [] };
    throw new CertError(`cannot read ${path}: ${(e as Error).message}`);
  }
  try {
    return parseRevoked(text, path);
  } catch (e) {
    throw new CertError(`${(e as Error).message} (fix or remove it: every agent and console refuses all peers meanwhile)`);
  }
}

/** Every certificate in `dir`: file name → description (unreadable files skipped). */
export function certsIn(dir: string): Map<string, CertDescription> {
  const out = new Map<string, CertDescription>();
  let files: string[];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith('.crt'));
  } catch (e) {
    throw new CertError(`cannot list ${dir}: ${(e as Error).message}`);
  }
  for (const f of files.sort()) {
    try {
      out.set(f, describeCert(readFileSync(join(dir, f), 'utf8')));
    } catch {
      /* `certs show` reports unreadable files */
    }
  }
  return out;
}

export interface RevokeOptions {
  serial: string;
  reason: string;
  by?: string;
  now?: Date;
}

/**
 * Add a serial to `dir/revoked.json` (atomic write, 0644: hosts need it next to ca.crt). Idempotent: a serial already
 * listed keeps its first entry. The CA's own serial is refused (retire a CA by making a new one).
 */
export function revokeSerial(dir: string, o: RevokeOptions): { entry: RevokedEntry; already: boolean; file: string | null } {
  const serial = normalizeSerial(o.serial);
  if (!serial) throw new CertError(`invalid serial "${o.serial}": hexadecimal digits, as \`headroom certs show\` prints them`);
  const reason = o.reason.trim();
  if (!reason || reason.length > 500) throw new CertError('a reason is required (at most 500 characters)');
  const by = actorName(o.by);
  const list = readRevoked(dir);
  const existing = list.revoked.find((e) => e.serial === serial);
  if (existing) return { entry: existing, already: true, file: null };
  const match = [...certsIn(dir)].find(([, d]) => d.serial === serial);
  if (match?.[1].ca) throw new CertError(`serial ${serial} is the site CA (${match[0]}): to retire a CA, create a new one (certs init --force) and re-issue`);
  const entry: RevokedEntry = { serial, reason, by, at: (o.now ?? new Date()).toISOString(), ...(match ? { subject: match[1].subject, notAfter: match[1].notAfter } : {}) };
  const next: RevokedFile = { version: 1, revoked: [...list.revoked, entry] };
  writeFileAtomic(join(dir, REVOKED_FILE), JSON.stringify(next, null, 2) + '\n', 0o644);
  appendCertLog(dir, { action: 'revoke', by, serial, reason, file: match?.[0] ?? null, subject: entry.subject ?? null });
  return { entry, already: false, file: match?.[0] ?? null };
}

export interface Renewed {
  base: string;
  old: CertDescription;
  renewed: CertDescription;
  files: IssuedFiles;
}

/**
 * Re-issue `dir/<base>.crt` (agent-HOST or console-NAME) for the same subject: same host and IP SANs, or same name
 * and scope; a new key and serial, and a fresh lifetime (default 90 days). The old certificate keeps working until it
 * expires unless revoked (`revokeOld`): renew first, copy the new files to the host, then revoke the old serial.
 */
export async function renewCert(dir: string, base: string, o: IssueOptions & { by?: string; revokeOld?: boolean } = {}): Promise<Renewed> {
  const by = actorName(o.by);
  const d = certsIn(dir).get(`${base}.crt`);
  if (!d) throw new CertError(`${join(dir, `${base}.crt`)} is missing or unreadable: nothing to renew`);
  const opts: IssueOptions = { days: o.days, notBefore: o.notBefore, notAfter: o.notAfter };
  let files: IssuedFiles;
  if (base.startsWith('agent-')) {
    const host = base.slice('agent-'.length);
    const ips = d.sans.filter((s) => s.startsWith('IP Address:')).map((s) => s.slice('IP Address:'.length));
    files = await issueAgentCert(dir, host, { ...opts, ips });
  } else if (base.startsWith('console-')) {
    const scope = d.scopes.includes('control') ? 'control' : d.scopes.includes('read') ? 'read' : null;
    if (!scope) throw new CertError(`${base}.crt carries no Headroom scope: issue a new one with certs console`);
    files = await issueConsoleCert(dir, base.slice('console-'.length), scope, opts);
  } else throw new CertError(`cannot renew "${base}": agent-<host> or console-<name> (the CA is replaced with certs init --force)`);
  const renewed = describeCert(readFileSync(files.certPath, 'utf8'));
  appendCertLog(dir, { action: 'renew', by, file: `${base}.crt`, subject: renewed.subject, oldSerial: d.serial, serial: renewed.serial, notAfter: renewed.notAfter });
  if (o.revokeOld) revokeSerial(dir, { serial: d.serial, reason: `superseded by ${renewed.serial}`, by });
  return { base, old: d, renewed, files };
}

/** Leaf certificates of `dir` (agent-*, console-*) expiring within `days` (expired ones included), by base name. */
export function expiringLeaves(dir: string, days: number, now = Date.now()): string[] {
  return [...certsIn(dir)]
    .filter(([f, d]) => !d.ca && /^(agent|console)-/.test(f) && Date.parse(d.notAfter) <= now + days * 86_400_000)
    .map(([f]) => f.slice(0, -'.crt'.length));
}
