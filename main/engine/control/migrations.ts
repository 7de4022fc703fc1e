import type { Migration } from '../../store/db.js';

/**
 * control.db migrations owned by the POLCA controller (versions 100 and up; versions 1–99 belong to the audit trail
 * and alert handling, `main/store/migrations/control.ts`). `openControlDb` applies both lists. Append-only: never
 * edit a released migration, add a new one.
 */
export const CONTROL_POLICY_MIGRATIONS: readonly Migration[] = [
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
];

/** Tables the controller needs; ControlService refuses a control.db without them. */
export const CONTROL_POLICY_TABLES = ['control_overrides', 'control_rows', 'control_policy', 'control_meta'] as const;
