import { createHash, X509Certificate } from 'node:crypto';
import type { DB } from './db.js';

/**
 * Agents' countersignatures of the audit chain head, in control.db (migration 102): what the console got back from
 * each agent for the heads it showed it, checked against the agent's TLS certificate on receipt. Kept so that
 * `audit verify` (and the app's verify) can hold them against the chain later: whoever rewrites control.db can delete
 * these rows, but cannot make new ones (the agents' keys are not on this host), and the agents keep their own log.
 */
export interface StoredCountersig {
  host: string;
  consoleKey: string;
  seq: number;
  hash: string;
  atMs: number;
  sig: string;
  /** The agent's certificate (PEM). */
  cert: string;
}

/** A control.db from before migration 102 (read-only verification opens it as it is) has no countersignatures. */
export function hasCountersigTable(db: DB): boolean {
  return db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'audit_countersigs'").get() !== undefined;
}

/** Stores countersignatures; a head already stored for (host, console key, seq) is kept as it is. */
export function countersigWriter(db: DB): (c: StoredCountersig) => void {
  const cert = db.prepare('INSERT OR IGNORE INTO audit_countersig_certs (fingerprint, pem) VALUES (?, ?)');
  const row = db.prepare('INSERT OR IGNORE INTO audit_countersigs (host, console_key, seq, hash, at_ms, sig, cert_fp) VALUES (?, ?, ?, ?, ?, ?, ?)');
  const fps = new Map<string, string>();
  const save = db.transaction((c: StoredCountersig) => {
    let fp = fps.get(c.cert);
    if (fp === undefined) fps.set(c.cert, (fp = createHash('sha256').update(new X509Certificate(c.cert).raw).digest('hex')));
    cert.run(fp, c.cert);
    row.run(c.host, c.consoleKey, c.seq, c.hash, Math.round(c.atMs), c.sig, fp);
  });
  return (c) => save.immediate(c);
}

/** Every stored countersignature, by seq then host (a row whose certificate is missing comes with an empty one). */
export function storedCountersigs(db: DB): StoredCountersig[] {
  if (!hasCountersigTable(db)) return [];
  return db
    .prepare(
      `SELECT c.host, c.console_key AS consoleKey, c.seq, c.hash, c.at_ms AS atMs, c.sig, coalesce(k.pem, '') AS cert
       FROM audit_countersigs c LEFT JOIN audit_countersig_certs k ON k.fingerprint = c.cert_fp ORDER BY c.seq, c.host`,
    )
    .all() as StoredCountersig[];
}

const when = (atMs: number) => new Date(atMs).toISOString();

/**
 * The first way the stored countersignatures contradict a chain that verified by itself (records 1..chainEnd; hashAt
 * gives a record's hash, seq 0 the genesis hash), or null. Signatures are not checked here (they were on receipt;
 * `headroom audit verify` checks them again): this is the app's cheap check, a SQL join.
 */
export function countersigContradiction(db: DB, chainEnd: number, hashAt: (seq: number) => string | undefined): { seq: number; message: string } | null {
  if (!hasCountersigTable(db)) return null;
  const beyond = db.prepare('SELECT host, seq, at_ms AS atMs FROM audit_countersigs WHERE seq > ? ORDER BY seq DESC LIMIT 1').get(chainEnd) as { host: string; seq: number; atMs: number } | undefined;
  if (beyond) {
    return { seq: chainEnd + 1, message: `the trail ends at record ${chainEnd} but agent ${beyond.host} countersigned record ${beyond.seq} at ${when(beyond.atMs)}: records removed from the end` };
  }
  const rows = db.prepare('SELECT host, seq, hash, at_ms AS atMs FROM audit_countersigs ORDER BY seq').iterate() as IterableIterator<{ host: string; seq: number; hash: string; atMs: number }>;
  for (const c of rows) {
    const h = hashAt(c.seq);
    if (h === c.hash) continue;
    rows.return?.();
    return {
      seq: c.seq,
      message: `record ${c.seq} is not the record agent ${c.host} countersigned at ${when(c.atMs)} (hash ${String(h).slice(0, 16)}…, countersigned ${c.hash.slice(0, 16)}…): the chain was rewritten and re-hashed at or before record ${c.seq}`,
    };
  }
  return null;
}

/** How many countersignatures, from how many agents, up to which seq (for verify's line). */
export function countersigSummary(db: DB): { count: number; hosts: number; maxSeq: number } {
  if (!hasCountersigTable(db)) return { count: 0, hosts: 0, maxSeq: 0 };
  return db.prepare('SELECT count(*) AS count, count(DISTINCT host) AS hosts, coalesce(max(seq), 0) AS maxSeq FROM audit_countersigs').get() as { count: number; hosts: number; maxSeq: number };
}
