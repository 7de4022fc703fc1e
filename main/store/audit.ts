import { createHash } from 'node:crypto';
import type Database from 'better-sqlite3';
import type { AuditQuery, AuditRecord, Role } from '../../shared/domain/control.js';
import type { ResponseTypes } from '../../shared/contract.js';
import type { AuditApi, AuditEntry, AuditSink } from '../core/ports.js';
import type { DB } from './db.js';
import { countersigContradiction, countersigSummary } from './countersigs.js';

/** prevHash of the first record. */
export const GENESIS_HASH = '0'.repeat(64);
/** Text fields longer than this are cut (with "…") before they are hashed and stored. */
export const AUDIT_FIELD_MAX = 4000;
const CANON_VERSION = 'headroom-audit/1';

export type AuditFilter = Pick<AuditQuery, 'kind' | 'actor' | 'target' | 'outcome'>;

/**
 * The canonical serialisation a record's hash covers: a JSON array of every field but `hash`, in a fixed order,
 * behind a version tag. Strings are stored exactly as hashed (well-formed UTF-16, see `clean`), integers are
 * integers, so the same bytes come back from SQLite.
 */
export function canonicalAudit(r: Omit<AuditRecord, 'hash'>): string {
  return JSON.stringify([CANON_VERSION, r.seq, r.atMs, r.simMs, r.actor, r.role, r.kind, r.target, r.oldValue, r.newValue, r.reason, r.outcome, r.prevHash]);
}

export function auditHash(r: Omit<AuditRecord, 'hash'>): string {
  return createHash('sha256').update(canonicalAudit(r), 'utf8').digest('hex');
}

/** String.prototype.toWellFormed (ES2024): lone surrogates → U+FFFD. */
function wellFormed(s: string): string {
  return s.replace(/[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '\uFFFD');
}

/** Well-formed (lone surrogates would not survive SQLite's UTF-8) and bounded. */
function clean(s: string): string {
  const w = wellFormed(String(s));
  return w.length > AUDIT_FIELD_MAX ? wellFormed(w.slice(0, AUDIT_FIELD_MAX - 1)) + '…' : w;
}

function wholeMs(x: number, what: string): number {
  if (!Number.isFinite(x)) throw new TypeError(`audit: ${what} must be a finite time, got ${x}`);
  return Math.round(x);
}

interface Row {
  seq: number;
  at_ms: number;
  sim_ms: number;
  actor: string;
  role: string;
  kind: string;
  target: string;
  old_value: string;
  new_value: string;
  reason: string;
  outcome: string;
  prev_hash: string;
  hash: string;
}

const COLUMNS = 'seq, at_ms, sim_ms, actor, role, kind, target, old_value, new_value, reason, outcome, prev_hash, hash';

/** Every audit record of a database holding an `audit` table (control.db, or a recording), oldest first. */
export function auditRecords(db: DB, range: { afterSeq?: number; limit?: number } = {}): AuditRecord[] {
  const rows = db.prepare(`SELECT ${COLUMNS} FROM audit WHERE seq > ? ORDER BY seq LIMIT ?`).all(range.afterSeq ?? 0, range.limit ?? -1) as Row[];
  return rows.map(toRecord);
}

function toRecord(r: Row): AuditRecord {
  return {
    seq: r.seq,
    atMs: r.at_ms,
    simMs: r.sim_ms,
    actor: r.actor,
    role: r.role as Role | 'system',
    kind: r.kind as AuditRecord['kind'],
    target: r.target,
    oldValue: r.old_value,
    newValue: r.new_value,
    reason: r.reason,
    outcome: r.outcome as AuditRecord['outcome'],
    prevHash: r.prev_hash,
    hash: r.hash,
  };
}

export interface AuditTrailOptions {
  /** Called after each record is committed (the runtime pushes it to the faces). Errors are logged, not thrown. */
  onAppend?: (r: AuditRecord) => void;
  /** Wall clock (epoch ms); default Date.now. */
  now?: () => number;
}

/**
 * The audit trail in control.db (NIST SP 800-53 AU-3/AU-9): one record per action — who (user and role, or
 * "system"), what (kind, target, old → new), why, when (wall and engine time), outcome — hash-chained with
 * SHA-256, each appended in its own IMMEDIATE transaction, so it is on disk (synchronous=FULL) when `append`
 * returns. Called inside an outer transaction, it becomes part of it (the caller's commit makes it durable).
 */
function auditWhere(f: AuditFilter): { sql: string; params: unknown[] } {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, v: unknown) => {
    parts.push(sql);
    params.push(v);
  };
  if (f.kind !== undefined) add('kind = ?', f.kind);
  if (f.actor !== undefined) add('actor = ?', f.actor);
  if (f.outcome !== undefined) add('outcome = ?', f.outcome);
  // Substring, case-insensitive (ASCII); a filter on top of the seq range, not an index.
  if (f.target !== undefined && f.target !== '') add('instr(lower(target), lower(?)) > 0', f.target);
  return { sql: parts.join(' AND '), params };
}

/** Newest first, filtered, paged by seq: the audit list's query, for a control.db and a recording alike. */
function auditListQuery(q: Partial<AuditQuery>): { sql: string; params: unknown[] } {
  const w = auditWhere(q);
  // Always bound seq: the newest-first walk is then a SEARCH on the primary key (or the filter's index).
  const sql = `SELECT ${COLUMNS} FROM audit WHERE seq < ?${w.sql ? ' AND ' + w.sql : ''} ORDER BY seq DESC LIMIT ?`;
  return { sql, params: [q.beforeSeq ?? Number.MAX_SAFE_INTEGER, ...w.params, q.limit ?? 200] };
}

/**
 * A recording's audit records (a window cut from a control.db's chain), read-only, for the Audit view of a console
 * playing it. `verify` checks what a window can prove: every record's hash, and every link inside the window (its
 * first record links to a record before the window, which the file does not hold).
 */
export function recordedAudit(db: DB): AuditApi {
  return {
    list(q) {
      const { sql, params } = auditListQuery(q);
      return (db.prepare<unknown[]>(sql).all(...params) as Row[]).map(toRecord);
    },
    verify() {
      let prev: string | null = null;
      let last = 0;
      let n = 0;
      for (const row of db.prepare(`SELECT ${COLUMNS} FROM audit ORDER BY seq`).all() as Row[]) {
        const r = toRecord(row);
        if (prev !== null && (r.seq !== last + 1 || r.prevHash !== prev)) return { ok: false, records: n, brokenAtSeq: r.seq, message: `record ${r.seq} does not link to record ${last} (records missing or rewritten in the recording)` };
        const { hash, ...rest } = r;
        if (auditHash(rest) !== hash) return { ok: false, records: n, brokenAtSeq: r.seq, message: `record ${r.seq} was altered after it was written (hash mismatch)` };
        prev = hash;
        last = r.seq;
        n++;
      }
      return { ok: true, records: n, brokenAtSeq: null, message: n === 0 ? 'the recording holds no audit records' : `${n} recorded records (a window of the trail), each intact and linked` };
    },
  };
}

export class AuditTrail implements AuditSink, AuditApi {
  private readonly db: DB;
  private readonly onAppend: ((r: AuditRecord) => void) | undefined;
  private readonly now: () => number;
  private readonly listStmts = new Map<string, Database.Statement<unknown[]>>();
  private readonly tx: (entry: AuditEntry, simMs: number) => AuditRecord;

  constructor(db: DB, opts: AuditTrailOptions = {}) {
    this.db = db;
    this.onAppend = opts.onAppend;
    this.now = opts.now ?? Date.now;
    const head = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1');
    const insert = db.prepare(
      `INSERT INTO audit (${COLUMNS}) VALUES (@seq, @atMs, @simMs, @actor, @role, @kind, @target, @oldValue, @newValue, @reason, @outcome, @prevHash, @hash)`,
    );
    const setHead = db.prepare('INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash');
    const body = db.transaction((e: AuditEntry, simMs: number): AuditRecord => {
      // Read the head inside the write transaction: correct even with a second connection appending.
      const h = head.get() as { seq: number; hash: string } | undefined;
      const actor = e.actor === 'system' ? { user: 'system', role: 'system' as const } : e.actor;
      const partial: Omit<AuditRecord, 'hash'> = {
        seq: (h?.seq ?? 0) + 1,
        atMs: wholeMs(this.now(), 'atMs'),
        simMs: wholeMs(simMs, 'simMs'),
        actor: clean(actor.user),
        role: actor.role,
        kind: e.kind,
        target: clean(e.target),
        oldValue: clean(e.oldValue),
        newValue: clean(e.newValue),
        reason: clean(e.reason),
        outcome: e.outcome,
        prevHash: h?.hash ?? GENESIS_HASH,
      };
      const rec: AuditRecord = { ...partial, hash: auditHash(partial) };
      insert.run(rec);
      setHead.run(rec.seq, rec.hash);
      return rec;
    });
    this.tx = (e, simMs) => body.immediate(e, simMs);
  }

  append(entry: AuditEntry, simMs: number): AuditRecord {
    const rec = this.tx(entry, simMs);
    if (this.onAppend) {
      try {
        this.onAppend(rec);
      } catch (e) {
        console.error(`audit: onAppend listener failed for record ${rec.seq}: ${(e as Error).message}`);
      }
    }
    return rec;
  }

  /** The SQL and parameters `list` runs (exported for the query-plan test). */
  listQuery(q: Partial<AuditQuery>): { sql: string; params: unknown[] } {
    return auditListQuery(q);
  }

  /** Records matching the filters, newest first; page with `beforeSeq` = the last seq shown. */
  list(q: Partial<AuditQuery>): AuditRecord[] {
    const { sql, params } = auditListQuery(q);
    let stmt = this.listStmts.get(sql);
    if (!stmt) this.listStmts.set(sql, (stmt = this.db.prepare<unknown[]>(sql)));
    return (stmt.all(...params) as Row[]).map(toRecord);
  }

  /** Every record matching the filters, oldest first, streamed (exports). */
  *iterate(f: AuditFilter = {}): Generator<AuditRecord> {
    const w = auditWhere(f);
    const stmt = this.db.prepare<unknown[]>(`SELECT ${COLUMNS} FROM audit${w.sql ? ' WHERE ' + w.sql : ''} ORDER BY seq`);
    for (const r of stmt.iterate(...w.params) as IterableIterator<Row>) yield toRecord(r);
  }

  /** The committed chain head (seq 0 and the genesis hash when empty): what an anchor vouches for. */
  head(): { seq: number; hash: string } {
    const h = this.db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
    return h ?? { seq: 0, hash: GENESIS_HASH };
  }

  /** The stored hash of record `seq` (after `verify` passed: the chain's hash there). */
  hashAt(seq: number): string | undefined {
    return this.db.prepare('SELECT hash FROM audit WHERE seq = ?').pluck().get(seq) as string | undefined;
  }

  count(): number {
    return this.db.prepare('SELECT count(*) FROM audit').pluck().get() as number;
  }

  /**
   * The chain, then the agents' countersignatures stored with it: `verifyChain`, and every stored countersigned head
   * must still be the chain's record at its seq (else the chain was rewritten and re-hashed) and lie within the chain
   * (else its tail was cut). Signatures are not re-checked here (they were on receipt; `headroom audit verify` does).
   */
  verify(): ResponseTypes['audit:verify'] {
    const r = this.verifyChain();
    if (!r.ok) return r;
    const c = countersigContradiction(this.db, r.records, (seq) => (seq === 0 ? GENESIS_HASH : this.hashAt(seq)));
    if (c) return { ok: false, records: r.records, brokenAtSeq: c.seq, message: c.message };
    const s = countersigSummary(this.db);
    if (s.count === 0) return r;
    return { ...r, message: `${r.message}; countersigned by ${s.hosts} agent${s.hosts === 1 ? '' : 's'} up to seq ${s.maxSeq}` };
  }

  /**
   * Walk the chain from the first record: seq 1, 2, 3 … without gaps, each prevHash = the previous record's hash
   * (genesis: 64 zeros), each hash = SHA-256 of its canonical form, and the last record = the stored head.
   * Reports the first break. `records` = records found intact before it.
   */
  verifyChain(): ResponseTypes['audit:verify'] {
    let expected = 1;
    let prev = GENESIS_HASH;
    let n = 0;
    const broken = (seq: number, message: string) => ({ ok: false, records: n, brokenAtSeq: seq, message });
    const rows = this.db.prepare(`SELECT ${COLUMNS} FROM audit ORDER BY seq`).iterate() as IterableIterator<Row>;
    for (const row of rows) {
      const r = toRecord(row);
      if (r.seq !== expected) {
        rows.return?.();
        return broken(expected, expected === 1 ? `record 1 is missing: the trail starts at ${r.seq} (records deleted)` : `record ${expected} is missing: the trail jumps from ${expected - 1} to ${r.seq} (records deleted)`);
      }
      if (r.prevHash !== prev) {
        rows.return?.();
        return broken(r.seq, `record ${r.seq} does not link to ${r.seq === 1 ? 'the genesis hash' : `record ${r.seq - 1}`} (a record was deleted, reordered or rewritten)`);
      }
      const { hash, ...rest } = r;
      if (auditHash(rest) !== hash) {
        rows.return?.();
        return broken(r.seq, `record ${r.seq} was altered after it was written (hash mismatch)`);
      }
      prev = hash;
      expected++;
      n++;
    }
    const head = this.db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
    const headSeq = head?.seq ?? 0;
    const headHash = head?.hash ?? GENESIS_HASH;
    if (headSeq !== n || headHash !== prev) {
      return broken(n + 1, headSeq > n ? `the trail ends at record ${n} but ${headSeq} were written (records removed from the end)` : `the chain head (record ${headSeq}) does not match the last record (${n})`);
    }
    return { ok: true, records: n, brokenAtSeq: null, message: n === 0 ? 'audit trail empty' : `${n} records, chain intact; head ${prev.slice(0, 16)}…` };
  }
}
