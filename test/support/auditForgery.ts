/**
 * What an attacker with write access to control.db does to the audit chain, and `headroom audit verify` run
 * in-process: shared by the anchor and countersignature tests (test/integration/store/anchors.test.ts,
 * test/integration/agent/auditCountersig.test.ts).
 */
import { vi } from 'vitest';
import { main } from '../../main/cli/headroom.js';
import { AuditTrail, auditHash, GENESIS_HASH } from '../../main/store/audit.js';
import { openControlDb } from '../../main/store/controlDb.js';
import type { AuditRecord } from '../../shared/domain/control.js';

/** `headroom audit verify …` in-process: exit code and what it printed. */
export async function verify(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((s: string) => void out.push(s));
  vi.spyOn(console, 'error').mockImplementation((s: string) => void err.push(s));
  const code = await main(['audit', 'verify', ...args]);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** Drop the triggers, rewrite record `seq` (`set`: the SQL SET clause), re-hash every record after it, move audit_head. */
export function rewriteAndRehash(file: string, seq: number, set = "reason = 'it was always like this'"): void {
  const db = openControlDb(file);
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete');
  db.prepare(`UPDATE audit SET ${set} WHERE seq = ?`).run(seq);
  const rows = new AuditTrail(db).list({ limit: 1_000_000 }).reverse();
  let prev = GENESIS_HASH;
  const upd = db.prepare('UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = ?');
  for (const r of rows) {
    const rest: Omit<AuditRecord, 'hash'> & { hash?: string } = { ...r, prevHash: prev };
    delete rest.hash;
    const h = auditHash(rest);
    upd.run(prev, h, r.seq);
    prev = h;
  }
  db.prepare('UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1').run(rows.length, prev);
  db.close();
}

/** Cut the chain after record `keep` and move audit_head back onto it: a shorter chain that verifies by itself. */
export function cutTail(file: string, keep: number): void {
  const db = openControlDb(file);
  db.exec('DROP TRIGGER IF EXISTS audit_no_delete');
  db.prepare('DELETE FROM audit WHERE seq > ?').run(keep);
  db.prepare('UPDATE audit_head SET seq = ?, hash = (SELECT hash FROM audit WHERE seq = ?) WHERE id = 1').run(keep, keep);
  db.close();
}
