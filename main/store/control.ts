import type { Override } from '../../shared/domain/control.js';
import type { ControlState, StoredControl, StoredRow } from '../core/ports.js';
import type { DB } from './db.js';

/**
 * The controller's state in control.db (overrides, per-row automation and brake, the policy), so a restart resumes
 * where operators left it. Functions take the database first; writes run inside the caller's transaction, with
 * its audit record.
 */

/** Tables the controller needs (migration 100); `controlState` refuses a control.db without them. */
export const CONTROL_TABLES = ['control_overrides', 'control_rows', 'control_policy', 'control_meta'] as const;

export function saveOverride(db: DB, ov: Override, seq: number): void {
  db.prepare('INSERT INTO control_overrides (id, body, expires_at_ms) VALUES (?, ?, ?)').run(ov.id, JSON.stringify(ov), ov.expiresAtMs);
  db.prepare("INSERT INTO control_meta (key, value) VALUES ('override_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value").run(String(seq));
}

export function deleteOverride(db: DB, id: string): void {
  db.prepare('DELETE FROM control_overrides WHERE id = ?').run(id);
}

export function saveRow(db: DB, row: StoredRow, nowMs: number): void {
  const b = row.manualBrake;
  db.prepare(
    `INSERT INTO control_rows (row_id, automation, manual_brake, brake_by, brake_reason, updated_at_ms) VALUES (?, ?, ?, ?, ?, ?)
     ON CONFLICT(row_id) DO UPDATE SET automation = excluded.automation, manual_brake = excluded.manual_brake,
       brake_by = excluded.brake_by, brake_reason = excluded.brake_reason, updated_at_ms = excluded.updated_at_ms`,
  ).run(row.rowId, row.automation ? 1 : 0, b ? 1 : 0, b?.by ?? '', b?.reason ?? '', Math.round(nowMs));
}

export function savePolicy(db: DB, body: string, by: string, nowMs: number): void {
  db.prepare(
    'INSERT INTO control_policy (id, body, updated_by, updated_at_ms) VALUES (1, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET body = excluded.body, updated_by = excluded.updated_by, updated_at_ms = excluded.updated_at_ms',
  ).run(body, by, Math.round(nowMs));
}

/** Everything stored; overrides in creation order, those whose body no longer parses skipped. */
export function loadControl(db: DB): StoredControl {
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

/** The ControlState port over control.db (opened with openControlDb, which applies every migration). */
export function controlState(db: DB): ControlState {
  const have = new Set(db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]);
  const missing = CONTROL_TABLES.filter((t) => !have.has(t));
  if (missing.length) throw new Error(`control.db lacks the controller's tables (${missing.join(', ')}): open it with openControlDb, which applies every migration`);
  return {
    transaction: (fn) => db.transaction(fn)(),
    saveOverride: (ov, seq) => saveOverride(db, ov, seq),
    deleteOverride: (id) => deleteOverride(db, id),
    saveRow: (row, nowMs) => saveRow(db, row, nowMs),
    savePolicy: (body, by, nowMs) => savePolicy(db, body, by, nowMs),
    load: () => loadControl(db),
  };
}
