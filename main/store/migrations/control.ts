import type { Migration } from '../db.js';

/**
 * The numbered, append-only migrations of control.db, in order: 1 (migration log, audit trail, alert acks and
 * silences), 100 (the controller's overrides, rows, policy), 101 (Settings → Sources), 102 (agents' countersignatures
 * of the audit chain head). The gap 2–99 is history: the list used to be two lists by owner; released numbers never
 * change. Never edit a released migration; add the next one (103) at the end. Each is tested on a database at the previous version (test/integration/store/).
 */
export const CONTROL_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'migration log, audit trail, alert acks and silences',
    up: (db) => {
      db.exec(`
        -- Which migrations ran. user_version alone cannot tell that a low-numbered migration added after a
        -- higher-numbered one never ran (when control.db had two lists); each migration still records itself here.
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
  {
    version: 100,
    name: 'controller: overrides, per-row automation and manual brake, policy',
    up: (db) => {
      db.exec(`
        -- Manual overrides in force (cleared or expired ones are deleted; the audit trail keeps their history).
        -- body = the Override as JSON (target, action, resolved GPU indices, reason, who, times in engine ms).
        CREATE TABLE control_overrides (
          id TEXT PRIMARY KEY,
          body TEXT NOT NULL,
          expires_at_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- Per row: automation (POLCA caps) on/off and an operator's manual power brake. Rows not listed: automation
        -- on, no manual brake.
        CREATE TABLE control_rows (
          row_id TEXT PRIMARY KEY,
          automation INTEGER NOT NULL,
          manual_brake INTEGER NOT NULL,
          brake_by TEXT NOT NULL DEFAULT '',
          brake_reason TEXT NOT NULL DEFAULT '',
          updated_at_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
        -- The policy in force (PolicyConfig as JSON), one row.
        CREATE TABLE control_policy (
          id INTEGER PRIMARY KEY CHECK (id = 1),
          body TEXT NOT NULL,
          updated_by TEXT NOT NULL,
          updated_at_ms INTEGER NOT NULL
        );
        CREATE TABLE control_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 101,
    name: 'sources: configured telemetry sources of a real fleet',
    up: (db) => {
      db.exec(`
        -- Settings → Sources. body = the SourceConfig as JSON; the audit trail keeps who added or removed what.
        CREATE TABLE fleet_sources (
          id TEXT PRIMARY KEY,
          body TEXT NOT NULL,
          added_by TEXT NOT NULL,
          added_at_ms INTEGER NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
  {
    version: 102,
    name: 'audit: agents countersignatures of the chain head',
    up: (db) => {
      db.exec(`
        -- Each agent's signature over a chain head this console showed it (main/pki/countersig.ts): host, the console
        -- key the head was kept under, seq and hash of the record, when the agent kept it (its clock), the signature
        -- (base64) and the agent certificate it verifies under. "headroom audit verify" holds every row against the
        -- chain: the record at seq must still have this hash, and exist. One row per head, not per command.
        CREATE TABLE audit_countersigs (
          host TEXT NOT NULL,
          console_key TEXT NOT NULL,
          seq INTEGER NOT NULL,
          hash TEXT NOT NULL,
          at_ms INTEGER NOT NULL,
          sig TEXT NOT NULL,
          cert_fp TEXT NOT NULL,
          PRIMARY KEY (host, console_key, seq)
        ) WITHOUT ROWID;
        CREATE INDEX audit_countersigs_by_seq ON audit_countersigs(seq);
        -- The agents' certificates (PEM) by SHA-256 of their DER, stored once each.
        CREATE TABLE audit_countersig_certs (
          fingerprint TEXT PRIMARY KEY,
          pem TEXT NOT NULL
        ) WITHOUT ROWID;
      `);
    },
  },
];
