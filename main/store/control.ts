import type { Override } from '../../shared/domain/control.js';
import type { DB } from './db.js';
import { CONTROL_POLICY_TABLES } from '../engine/control/migrations.js';

/** A row's persisted operator state. */
export interface StoredRow {
  rowId: string;
  automation: boolean;
  manualBrake: { by: string; reason: string; sinceMs: number } | null;
}

/**
 * The control service's state in control.db (overrides, per-row automation and brake, the policy), so a restart
 * resumes where operators left it. Writes run inside the caller's transaction, with its audit record.
 */
export class ControlStore {
  constructor(private readonly db: DB) {
    const have = new Set(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]);
    const missing = CONTROL_POLICY_TABLES.filter((t) => !have.has(t));
    if (missing.length) throw new Error(`control.db lacks the controller's tables (${missing.join(', ')}): open it with openControlDb, which applies CONTROL_POLICY_MIGRATIONS`);
  }

  /** Run `fn` as one transaction: nothing is stored (or audited) if it throws. */
  transaction(fn: () => void): void {
    this.db.transaction(fn)();
  }

  saveOverride(ov: Override, seq: number): void {
    this.db.prepare('INSERT INTO control_overrides (id, body, expires_at_ms) VALUES (?, ?, ?)').run(ov.id, JSON.stringify(ov), ov.expiresAtMs);
    this.db.prepare("INSERT INTO control_meta (key, value) VALUES ('override_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(seq));
  }

  deleteOverride(id: string): void {
    this.db.prepare('DELETE FROM control_overrides WHERE id = ?').run(id);
  }

  saveRow(row: StoredRow, nowMs: number): void {
    const b = row.manualBrake;
    this.db
      .prepare(
        `INSERT INTO control_rows (row_id, automation, manual_brake, brake_by, brake_reason, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?)
         ON CONFLICT(row_id) DO UPDATE SET automation = excluded.automation, manual_brake = excluded.manual_brake,
           brake_by = excluded.brake_by, brake_reason = excluded.brake_reason, updated_at_ms = excluded.updated_at_ms`,
      )
      .run(row.rowId, row.automation ? 1 : 0, b ? 1 : 0, b?.by ?? '', b?.reason ?? '', Math.round(nowMs));
  }

  savePolicy(body: string, by: string, nowMs: number): void {
    this.db
      .prepare('INSERT INTO control_policy (id, body, updated_by, updated_at_ms) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms')
      .run(body, by, Math.round(nowMs));
  }

  /** Everything stored; overrides in creation order, those whose body no longer parses skipped. */
  load(): { overrideSeq: number; overrides: Override[]; rows: StoredRow[]; policyBody: string | null } {
    const db = this.db;
    const seq = db.prepare("SELECT value FROM control_meta WHERE key = 'override_seq'").pluck().get() as string | undefined;
    const num = (id: string) => Number(/(\d+)$/.exec(id)?.[1] ?? 0);
    const stored = (db.prepare('SELECT id, body FROM control_overrides').all() as Array<{ id: string; body: string }>).sort((x, y) => num(x.id) - num(y.id));
    const overrides: Override[] = [];
    for (const row of stored) {
      try {
        overrides.push(JSON.parse(row.body) as Override);
      } catch {
        // A corrupt row is skipped; the rest still load.
      }
    }
    const rows = (
      db.prepare('SELECT row_id, automation, manual_brake, brake_by, brake_reason, updated_at_ms FROM control_rows').all() as Array<{
        row_id: string;
        automation: number;
        manual_brake: number;
        brake_by: string;
        brake_reason: string;
        updated_at_ms: number;
      }>
    ).map((r) => ({
      rowId: r.row_id,
      automation: r.automation === 1,
      manualBrake: r.manual_brake === 1 ? { by: r.brake_by, reason: r.brake_reason, sinceMs: r.updated_at_ms } : null,
    }));
    const policyBody = (db.prepare('SELECT body FROM control_policy WHERE id = 1').pluck().get() as string | undefined) ?? null;
    return { overrideSeq: seq ? Number(seq) || 0 : 0, overrides, rows, policyBody };
  }
}
