import { statSync, readFileSync, type Stats } from 'node:fs';
import { z } from 'zod';

/**
 * The site's deny list of revoked certificates: `<certs dir>/revoked.json`, written by `headroom certs revoke` and
 * copied to every host next to ca.crt. Agents refuse a console whose certificate serial is listed; consoles refuse an
 * agent whose certificate serial is listed.
 *
 * Readers look at the file's identity (inode, size, mtime, ctime: one stat) at every check, i.e. every TLS handshake
 * and every reading interval on the agent, and re-read it only when it changed: a revocation takes effect within one
 * interval with no restart or signal. A file that is missing means nothing is revoked. A file that cannot be read or
 * parsed fails CLOSED: every peer is refused (and the error named) until it is fixed, because a list that cannot be
 * read might be the one that revokes the peer at hand. Refusing consoles is safe on an agent: its GPUs fall back to
 * the safe cap when the lease lapses.
 */

export const REVOKED_FILE = 'revoked.json';

export const RevokedEntrySchema = z.object({
  /** Upper-case hex, no colons, no leading zeros (normalizeSerial). */
  serial: z.string().regex(/^[0-9A-F]{1,40}$/),
  reason: z.string().min(1).max(500),
  /** Who revoked it (the person's name, or the OS user). */
  by: z.string().min(1).max(200),
  /** ISO 8601. */
  at: z.string(),
  /** The certificate's subject and expiry when it was found in the directory (for people reading the file). */
  subject: z.string().max(1000).optional(),
  notAfter: z.string().optional(),
});
export type RevokedEntry = z.infer<typeof RevokedEntrySchema>;

export const RevokedFileSchema = z.object({ version: z.literal(1), revoked: z.array(RevokedEntrySchema) });
export type RevokedFile = z.infer<typeof RevokedFileSchema>;

/** A serial as printed by OpenSSL, Node or `certs show` (any case, colons or spaces) → upper-case hex without leading zeros. */
export function normalizeSerial(serial: string): string | null {
  const hex = serial.replace(/[\s:]/g, '').toUpperCase();
  if (!/^[0-9A-F]{1,40}$/.test(hex)) return null;
  return hex.replace(/^0+(?=.)/, '');
}

/** Parse the deny list's text; throws an Error naming the problem. */
export function parseRevoked(text: string, path: string): RevokedFile {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new Error(`${path} is not JSON: ${(e as Error).message}`);
  }
  const r = RevokedFileSchema.safeParse(raw);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new Error(`${path}: ${i ? `${i.path.join('.') || '(top)'}: ${i.message}` : 'invalid'}`);
  }
  return r.data;
}

export type RevocationCheck = { ok: true } | { ok: false; revoked: RevokedEntry | null; error: string };

const identity = (s: Stats) => `${s.ino}:${s.size}:${s.mtimeMs}:${s.ctimeMs}`;

/** One deny list file, re-read when it changes. */
export class RevocationList {
  private key: string | null = null;
  private serials = new Map<string, RevokedEntry>();
  private broken: string | null = null;
  /** Bumped whenever what the file says changes (holders of live connections re-check them). */
  version = 0;

  constructor(
    readonly path: string,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Re-read the file if it changed; true when it did (callers then re-check live connections). */
  refresh(): boolean {
    let st: Stats | undefined;
    try {
      st = statSync(this.path, { throwIfNoEntry: false });
    } catch (e) {
      return this.set(`stat-error:${(e as Error).message}`, null, `cannot read ${this.path}: ${(e as Error).message}`);
    }
    if (!st) return this.set('missing', new Map(), null);
    const key = identity(st);
    if (key === this.key) return false;
    try {
      const file = parseRevoked(readFileSync(this.path, 'utf8'), this.path);
      return this.set(key, new Map(file.revoked.map((e) => [e.serial, e])), null);
    } catch (e) {
      return this.set(key, null, (e as Error).message);
    }
  }

  /** Is the certificate with this serial (any format) allowed? Refreshes first. */
  check(serial: string | undefined): RevocationCheck {
    this.refresh();
    if (this.broken) return { ok: false, revoked: null, error: `the deny list is unreadable, so every peer is refused until it is fixed: ${this.broken}` };
    const s = serial ? normalizeSerial(serial) : null;
    if (!s) return { ok: false, revoked: null, error: 'the certificate has no readable serial number' };
    const e = this.serials.get(s);
    return e ? { ok: false, revoked: e, error: `certificate serial ${s} is revoked (${e.reason}; by ${e.by}, ${e.at})` } : { ok: true };
  }

  /** Revoked serials now in force (after a refresh). */
  size(): number {
    this.refresh();
    return this.serials.size;
  }

  private set(key: string, serials: Map<string, RevokedEntry> | null, error: string | null): boolean {
    if (key === this.key) return false;
    this.key = key;
    this.version++;
    if (serials) this.serials = serials;
    if (error !== this.broken && error) this.log(`revocation: ${error}; refusing every peer until it is fixed`);
    else if (this.broken && !error) this.log(`revocation: ${this.path} readable again (${this.serials.size} revoked)`);
    this.broken = error;
    return true;
  }
}

const shared = new Map<string, RevocationList>();

/** One list object per path in this process (many agent links share the console's list). */
export function revocationListFor(path: string, log?: (line: string) => void): RevocationList {
  let l = shared.get(path);
  if (!l) shared.set(path, (l = new RevocationList(path, log)));
  return l;
}
