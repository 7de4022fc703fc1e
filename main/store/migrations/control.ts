import type { Migration } from '../db.js';

/**
 * Numbered, append-only migrations of control.db owned by the audit trail and alert handling (versions 1–99).
 * The controller's migrations (overrides, policy) are numbered 100 and up (`engine/control/migrations.ts`).
 * Never edit a released migration; add a new one.
 */
export const CONTROL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'migration log, audit trail, alert acks and silences',
    up: (db) => {
      db.exec(`
        -- Which migrations ran. user_version alone cannot tell that a low-numbered migration added after a
        -- higher-numbered one (another owner's range) never ran; openControlDb applies any missing one.
        CREATE TABLE schema_migrations (
          version INTEGER PRIMARY KEY,
          name TEXT NOT NULL,
          applied_at_ms INTEGER NOT NULL
        );

        -- The audit trail (NIST AU-3): one row per action, hash-chained (hash = SHA-256 over the canonical record
        -- + prev_hash; see store/audit.ts). seq is the rowid: 1, 2, 3, … without gaps. Append-only.
        CREATE TABLE audit (
          seq INTEGER PRIMARY KEY,
          at_ms INTEGER NOT NULL,
          sim_ms INTEGER NOT NULL,
          actor TEXT NOT NULL,
          role TEXT NOT NULL,
          kind TEXT NOT NULL,
          target TEXT NOT NULL,
          old_value TEXT NOT NULL,
          new_value TEXT NOT NULL,
          reason TEXT NOT NULL,
          outcome TEXT NOT NULL,
          prev_hash TEXT NOT NULL,
          hash TEXT NOT NULL
        );
        -- Filters of audit:list, newest first (each index ends in the rowid = seq).
        CREATE INDEX audit_by_kind ON audit(kind);
        CREATE INDEX audit_by_actor ON audit(actor);
        CREATE INDEX audit_by_outcome ON audit(outcome);
        -- The chain's head, written in the same transaction as each record, so removing records from the end
        -- (which leaves a valid shorter chain) is detected too.
        CREATE TABLE audit_head (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          seq INTEGER NOT NULL,
          hash TEXT NOT NULL
        );
        -- Guard rails against accidental edits (anyone with write access can drop them: the chain is the proof).
        CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;
        CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit BEGIN SELECT RAISE(ABORT, 'audit records are append-only'); END;

        -- The acknowledgement of each active alert, for the instance acked (when it became active). A new instance
        -- of the same alert (it resolved and came back) starts unacknowledged; rows of resolved alerts are pruned.
        CREATE TABLE alert_acks (
          alert_id TEXT PRIMARY KEY,
          active_since_ms INTEGER NOT NULL,
          by TEXT NOT NULL,
          comment TEXT NOT NULL,
          at_ms INTEGER NOT NULL
        ) WITHOUT ROWID;

        -- Time-boxed silences (engine time). Unsilencing ends one early (ends_at_ms = now) and records who.
        CREATE TABLE silences (
          id TEXT PRIMARY KEY,
          matchers TEXT NOT NULL,
          created_by TEXT NOT NULL,
          comment TEXT NOT NULL,
          starts_at_ms INTEGER NOT NULL,
          ends_at_ms INTEGER NOT NULL,
          removed_by TEXT,
          removed_reason TEXT
        ) WITHOUT ROWID;
        CREATE INDEX silences_by_end ON silences(ends_at_ms);
      `);
    },
  },
];
