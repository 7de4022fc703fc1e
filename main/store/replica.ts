import type { AuditRecord } from '../../shared/domain/control.js';
import { auditHash, auditRecords, GENESIS_HASH } from './audit.js';
import type { DB } from './db.js';

/**
 * What a standby controller copies from its leader into its own control.db (docs/RELIABILITY.md "Controllers"):
 * the operator state — alert acknowledgements, silences, overrides, per-row automation and brakes, the policy,
 * control meta, configured sources — as whole tables, and the audit chain record by record, verbatim (same seq,
 * times, hashes), so the chain a new leader continues is the one its predecessor wrote. Countersignatures stay with
 * the controller whose key the agents countersigned.
 */
export const REPLICATED_TABLES = ['alert_acks', 'silences', 'control_overrides', 'control_rows', 'control_policy', 'control_meta', 'fleet_sources'] as const;
export type ReplicatedTable = (typeof REPLICATED_TABLES)[number];
export type StateSnapshot = Record<ReplicatedTable, Array<Record<string, string | number | null>>>;

/** The replicated tables as they are now (one read transaction). */
export function stateSnapshot(db: DB): StateSnapshot {
  return db.transaction(() => Object.fromEntries(REPLICATED_TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t}`).all()])) as StateSnapshot)();
}

/** The chain could not take a record (a gap, a fork, a bad hash): the replica must be rebuilt, not patched. */
export class ReplicaError extends Error {
  override readonly name = 'ReplicaError';
}

/** The leader's state does not fit this controller's tables (a newer schema): nothing is forked, this one is older. */
export class ReplicaSchemaError extends Error {
  override readonly name = 'ReplicaSchemaError';
}

/** Replace the replicated tables with a snapshot, in one transaction (columns checked against the table's own). */
export function applyStateSnapshot(db: DB, snap: StateSnapshot): void {
  const columns = new Map(REPLICATED_TABLES.map((t) => [t, new Set((db.prepare(`PRAGMA table_info(${t})`).all() as Array<{ name: string }>).map((c) => c.name))]));
  db.transaction(() => {
    for (const t of REPLICATED_TABLES) {
      const rows = snap[t];
      if (!Array.isArray(rows)) throw new ReplicaSchemaError(`state snapshot: table ${t} missing`);
      db.prepare(`DELETE FROM ${t}`).run();
      for (const row of rows) {
        const keys = Object.keys(row);
        const bad = keys.find((k) => !columns.get(t)!.has(k));
        if (bad !== undefined) throw new ReplicaSchemaError(`state snapshot: ${t} has no column "${bad}" (a newer controller's schema?)`);
        db.prepare(`INSERT INTO ${t} (${keys.join(', ')}) VALUES (${keys.map(() => '?').join(', ')})`).run(...keys.map((k) => row[k]));
      }
    }
  })();
}

/** The chain head this control.db holds (seq 0 and the genesis hash when empty). */
export function auditHeadOf(db: DB): { seq: number; hash: string } {
  const h = db.prepare('SELECT seq, hash FROM audit_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
  return h ?? { seq: 0, hash: GENESIS_HASH };
}

/** The record at `seq`, if held. */
export function auditRecordAt(db: DB, seq: number): AuditRecord | undefined {
  return auditRecordsAfter(db, seq - 1, 1)[0];
}

/** Records after `seq`, oldest first (what a leader publishes). */
export function auditRecordsAfter(db: DB, seq: number, limit = 10_000): AuditRecord[] {
  return auditRecords(db, { afterSeq: seq, limit });
}

/**
 * Append a leader's records verbatim. Each must follow the head (seq + 1, prevHash = the head's hash) and carry the
 * hash of its own fields; records at or below the head must be the very records held (same hash), and are skipped.
 * Anything else throws ReplicaError and nothing of the batch is written.
 */
export function importAuditRecords(db: DB, records: readonly AuditRecord[]): number {
  const insert = db.prepare(
    'INSERT INTO audit (seq, at_ms, sim_ms, actor, role, kind, target, old_value, new_value, reason, outcome, prev_hash, hash) VALUES (@seq, @atMs, @simMs, @actor, @role, @kind, @target, @oldValue, @newValue, @reason, @outcome, @prevHash, @hash)',
  );
  const held = db.prepare('SELECT hash FROM audit WHERE seq = ?');
  const setHead = db.prepare('INSERT INTO audit_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash');
  return db.transaction(() => {
    let head = auditHeadOf(db);
    let added = 0;
    for (const r of [...records].sort((a, b) => a.seq - b.seq)) {
      const { hash, ...rest } = r;
      if (auditHash(rest) !== hash) throw new ReplicaError(`audit record ${r.seq}: its hash does not match its fields`);
      if (r.seq <= head.seq) {
        const mine = held.get(r.seq) as { hash: string } | undefined;
        if (mine?.hash !== r.hash) throw new ReplicaError(`audit record ${r.seq}: the leader's differs from this controller's (a fork)`);
        continue;
      }
      if (r.seq !== head.seq + 1) throw new ReplicaError(`audit record ${r.seq} does not follow this controller's head ${head.seq} (a gap)`);
      if (r.prevHash !== head.hash) throw new ReplicaError(`audit record ${r.seq} does not link to this controller's record ${head.seq} (a fork)`);
      insert.run(r);
      head = { seq: r.seq, hash: r.hash };
      added++;
    }
    setHead.run(head.seq, head.hash);
    return added;
  }).immediate();
}
