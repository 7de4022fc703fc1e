import type { Silence } from '../../shared/domain/control.js';
import type { AlertState, StoredAck, StoredSilence } from '../core/ports.js';
import type { DB } from './db.js';

/** Alert acknowledgements and silences in control.db (tables alert_acks, silences; migration 1). Database first. */

interface AckRow {
  alert_id: string;
  active_since_ms: number;
  by: string;
  comment: string;
  at_ms: number;
}
interface SilenceRow {
  id: string;
  matchers: string;
  created_by: string;
  comment: string;
  starts_at_ms: number;
  ends_at_ms: number;
}

/** Acks made at or before `nowMs` (later ones belong to a clock that has since gone back: another timeline). */
export function acksUpTo(db: DB, nowMs: number): StoredAck[] {
  return (db.prepare('SELECT alert_id, active_since_ms, by, comment, at_ms FROM alert_acks WHERE at_ms <= ?').all(nowMs) as AckRow[]).map((r) => ({
    alertId: r.alert_id,
    activeSinceMs: r.active_since_ms,
    by: r.by,
    comment: r.comment,
    atMs: r.at_ms,
  }));
}

export function upsertAck(db: DB, a: StoredAck): void {
  db.prepare(
    `INSERT INTO alert_acks (alert_id, active_since_ms, by, comment, at_ms) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (alert_id) DO UPDATE SET active_since_ms = excluded.active_since_ms, by = excluded.by, comment = excluded.comment, at_ms = excluded.at_ms`,
  ).run(a.alertId, a.activeSinceMs, a.by, a.comment, a.atMs);
}

export function ackIds(db: DB): string[] {
  return db.prepare('SELECT alert_id FROM alert_acks').pluck().all() as string[];
}

/** Delete the acks of these alerts, in one transaction. */
export function deleteAcks(db: DB, ids: readonly string[]): void {
  const del = db.prepare('DELETE FROM alert_acks WHERE alert_id = ?');
  db.transaction(() => {
    for (const id of ids) del.run(id);
  })();
}

/** Silences not removed, started at or before `nowMs` and ending after it, oldest first; matchers as stored (JSON). */
export function silencesActiveAt(db: DB, nowMs: number): StoredSilence[] {
  const rows = db
    .prepare('SELECT id, matchers, created_by, comment, starts_at_ms, ends_at_ms FROM silences WHERE removed_by IS NULL AND starts_at_ms <= ? AND ends_at_ms > ? ORDER BY starts_at_ms')
    .all(nowMs, nowMs) as SilenceRow[];
  return rows.map((r) => ({ id: r.id, matchersJson: r.matchers, createdBy: r.created_by, comment: r.comment, startsAtMs: r.starts_at_ms, endsAtMs: r.ends_at_ms }));
}

export function insertSilence(db: DB, s: Silence): void {
  db.prepare('INSERT INTO silences (id, matchers, created_by, comment, starts_at_ms, ends_at_ms) VALUES (?, ?, ?, ?, ?, ?)').run(
    s.id,
    JSON.stringify(s.matchers),
    s.createdBy,
    s.comment,
    s.startsAtMs,
    s.endsAtMs,
  );
}

/** Unsilence: the silence ends at `atMs`; who and why are kept. */
export function endSilence(db: DB, id: string, atMs: number, by: string, reason: string): void {
  db.prepare('UPDATE silences SET ends_at_ms = ?, removed_by = ?, removed_reason = ? WHERE id = ?').run(atMs, by, reason, id);
}

/** Forget silences that ended before `beforeMs`. */
export function pruneSilences(db: DB, beforeMs: number): void {
  db.prepare('DELETE FROM silences WHERE ends_at_ms < ?').run(beforeMs);
}

/** The AlertState port over control.db. Writes inside `transaction` take the write lock first (BEGIN IMMEDIATE). */
export function alertState(db: DB): AlertState {
  return {
    transaction: (fn) => db.transaction(fn).immediate(),
    acksUpTo: (nowMs) => acksUpTo(db, nowMs),
    upsertAck: (a) => upsertAck(db, a),
    ackIds: () => ackIds(db),
    deleteAcks: (ids) => deleteAcks(db, ids),
    silencesActiveAt: (nowMs) => silencesActiveAt(db, nowMs),
    insertSilence: (s) => insertSilence(db, s),
    endSilence: (id, atMs, by, reason) => endSilence(db, id, atMs, by, reason),
    pruneSilences: (beforeMs) => pruneSilences(db, beforeMs),
  };
}
