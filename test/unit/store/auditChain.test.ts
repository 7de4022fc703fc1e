import { createHash } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { AUDIT_FIELD_MAX, AuditTrail, GENESIS_HASH, auditHash, canonicalAudit, recordedAudit } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import type { DB } from '../../../main/store/db.js';
import type { AuditEntry } from '../../../main/core/ports.js';

/**
 * The audit hash chain, fast (an in-memory control.db): each break `verify` must name, for the live trail and for a
 * recording's window of it, and the text cleaning every hash depends on. test/integration/store/audit.test.ts holds
 * the durability and file-level cases.
 */
const entry = (i: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  actor: i % 2 ? 'system' : { user: 'ann', role: 'operator' },
  kind: 'override',
  target: `gpu ${i}`,
  oldValue: '700 W',
  newValue: `${500 + i} W`,
  reason: `reason ${i}`,
  outcome: 'ok',
  ...over,
});

let dbs: DB[] = [];
afterEach(() => {
  for (const d of dbs) d.close();
  dbs = [];
  vi.restoreAllMocks();
});

function trail(n: number, opts: ConstructorParameters<typeof AuditTrail>[1] = {}) {
  const db = openControlDb(':memory:');
  dbs.push(db);
  let t = 1_700_000_000_000;
  const tr = new AuditTrail(db, { now: () => (t += 1000), ...opts });
  for (let i = 0; i < n; i++) tr.append(entry(i), i * 1000);
  return { db, tr };
}
const tamper = (db: DB, sql: string, ...params: unknown[]) => {
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  db.prepare(sql).run(...params);
};

describe('audit hash chain', () => {
  it('hash = SHA-256 (hex) of the canonical form; the chain links from the genesis hash', () => {
    const { tr } = trail(3);
    const recs = [...tr.iterate()];
    for (const r of recs) {
      const { hash, ...rest } = r;
      expect(hash).toBe(createHash('sha256').update(canonicalAudit(rest), 'utf8').digest('hex'));
      expect(auditHash(rest)).toBe(hash);
    }
    expect(recs.map((r) => r.prevHash)).toEqual([GENESIS_HASH, recs[0]!.hash, recs[1]!.hash]);
    expect(recs.map((r) => [r.seq, r.atMs, r.simMs, r.actor, r.role])).toEqual([
      [1, 1_700_000_001_000, 0, 'ann', 'operator'],
      [2, 1_700_000_002_000, 1000, 'system', 'system'],
      [3, 1_700_000_003_000, 2000, 'ann', 'operator'],
    ]);
  });

  it('verify: intact, empty, and every kind of break with its own message', () => {
    const empty = trail(0).tr.verify();
    expect(empty).toEqual({ ok: true, records: 0, brokenAtSeq: null, message: 'audit trail empty' });
    const { tr } = trail(5);
    const ok = tr.verify();
    const head = [...tr.iterate()][4]!.hash;
    expect(ok).toEqual({ ok: true, records: 5, brokenAtSeq: null, message: `5 records, chain intact; head ${head.slice(0, 16)}…` });

    let t = trail(5);
    tamper(t.db, 'DELETE FROM audit WHERE seq = 1');
    expect(t.tr.verify()).toEqual({ ok: false, records: 0, brokenAtSeq: 1, message: 'record 1 is missing: the trail starts at 2 (records deleted)' });
    t = trail(5);
    tamper(t.db, 'DELETE FROM audit WHERE seq = 3');
    expect(t.tr.verify()).toEqual({ ok: false, records: 2, brokenAtSeq: 3, message: 'record 3 is missing: the trail jumps from 2 to 4 (records deleted)' });
    t = trail(5);
    tamper(t.db, "UPDATE audit SET prev_hash = ? WHERE seq = 1", 'f'.repeat(64));
    expect(t.tr.verify()).toEqual({ ok: false, records: 0, brokenAtSeq: 1, message: 'record 1 does not link to the genesis hash (a record was deleted, reordered or rewritten)' });
    t = trail(5);
    tamper(t.db, "UPDATE audit SET prev_hash = ? WHERE seq = 4", 'f'.repeat(64));
    expect(t.tr.verify()).toEqual({ ok: false, records: 3, brokenAtSeq: 4, message: 'record 4 does not link to record 3 (a record was deleted, reordered or rewritten)' });
    t = trail(5);
    tamper(t.db, "UPDATE audit SET reason = 'edited' WHERE seq = 2");
    expect(t.tr.verify()).toEqual({ ok: false, records: 1, brokenAtSeq: 2, message: 'record 2 was altered after it was written (hash mismatch)' });
    t = trail(5);
    tamper(t.db, 'DELETE FROM audit WHERE seq = 5');
    expect(t.tr.verify()).toEqual({ ok: false, records: 4, brokenAtSeq: 5, message: 'the trail ends at record 4 but 5 were written (records removed from the end)' });
    t = trail(5);
    t.db.prepare('UPDATE audit_head SET hash = ? WHERE id = 1').run('e'.repeat(64));
    expect(t.tr.verify()).toEqual({ ok: false, records: 5, brokenAtSeq: 6, message: 'the chain head (record 5) does not match the last record (5)' });
    t = trail(5);
    t.db.prepare('UPDATE audit_head SET seq = 3 WHERE id = 1').run();
    expect(t.tr.verify()).toMatchObject({ ok: false, records: 5, brokenAtSeq: 6, message: 'the chain head (record 3) does not match the last record (5)' });
    // Records but no head row at all.
    t = trail(2);
    t.db.prepare('DELETE FROM audit_head').run();
    expect(t.tr.verify()).toMatchObject({ ok: false, records: 2, brokenAtSeq: 3 });
  });

  it("a recording's window verifies its own links and hashes (its first record links outside it)", () => {
    let t = trail(6);
    tamper(t.db, 'DELETE FROM audit WHERE seq <= 2');
    expect(recordedAudit(t.db).verify()).toEqual({ ok: true, records: 4, brokenAtSeq: null, message: '4 recorded records (a window of the trail), each intact and linked' });
    expect(recordedAudit(t.db).list({ limit: 2 }).map((r) => r.seq)).toEqual([6, 5]);
    t = trail(0);
    expect(recordedAudit(t.db).verify()).toEqual({ ok: true, records: 0, brokenAtSeq: null, message: 'the recording holds no audit records' });
    t = trail(6);
    tamper(t.db, 'DELETE FROM audit WHERE seq = 4');
    expect(recordedAudit(t.db).verify()).toEqual({ ok: false, records: 3, brokenAtSeq: 5, message: 'record 5 does not link to record 3 (records missing or rewritten in the recording)' });
    t = trail(6);
    tamper(t.db, 'UPDATE audit SET prev_hash = ? WHERE seq = 3', 'f'.repeat(64));
    expect(recordedAudit(t.db).verify()).toMatchObject({ ok: false, records: 2, brokenAtSeq: 3 });
    // Renumbered (hashes kept): a gap in seq alone breaks the link.
    t = trail(6);
    tamper(t.db, 'UPDATE audit SET seq = seq + 10 WHERE seq >= 5');
    expect(recordedAudit(t.db).verify()).toMatchObject({ ok: false, records: 4, brokenAtSeq: 15, message: 'record 15 does not link to record 4 (records missing or rewritten in the recording)' });
    // Relinked with its own hash recomputed: the wrong prevHash alone breaks the link.
    t = trail(6);
    const r3 = recordedAudit(t.db).list({ limit: 10 }).find((r) => r.seq === 3)!;
    const { hash: _h, ...rest3 } = { ...r3, prevHash: 'f'.repeat(64) };
    tamper(t.db, 'UPDATE audit SET prev_hash = ?, hash = ? WHERE seq = 3', rest3.prevHash, auditHash(rest3));
    expect(recordedAudit(t.db).verify()).toMatchObject({ ok: false, records: 2, brokenAtSeq: 3, message: 'record 3 does not link to record 2 (records missing or rewritten in the recording)' });
    t = trail(6);
    tamper(t.db, "UPDATE audit SET target = 'x' WHERE seq = 1");
    expect(recordedAudit(t.db).verify()).toEqual({ ok: false, records: 0, brokenAtSeq: 1, message: 'record 1 was altered after it was written (hash mismatch)' });
    t = trail(6);
    tamper(t.db, "UPDATE audit SET target = 'x' WHERE seq = 6");
    expect(recordedAudit(t.db).verify()).toMatchObject({ ok: false, records: 5, brokenAtSeq: 6 });
  });

  it('text fields: kept whole up to AUDIT_FIELD_MAX, cut with "…" beyond; lone surrogates replaced; times must be finite', () => {
    const { tr } = trail(0);
    const exact = 'a'.repeat(AUDIT_FIELD_MAX);
    expect(tr.append(entry(0, { reason: exact }), 0).reason).toBe(exact);
    const long = tr.append(entry(0, { reason: exact + 'b' }), 0).reason;
    expect(long).toBe('a'.repeat(AUDIT_FIELD_MAX - 1) + '…');
    expect(tr.append(entry(0, { target: 'x\uD800y\uDC00z' }), 0).target).toBe('x\uFFFDy\uFFFDz');
    expect(() => tr.append(entry(0), NaN)).toThrow(/audit: simMs must be a finite time, got NaN/);
    const bad = new AuditTrail(trail(0).db, { now: () => Infinity });
    expect(() => bad.append(entry(0), 0)).toThrow(/audit: atMs must be a finite time, got Infinity/);
    expect(tr.verify().ok).toBe(true);
  });

  it('onAppend sees each committed record; a throwing listener is logged, never fails the append', () => {
    const seen: number[] = [];
    const { tr } = trail(0, { onAppend: (r) => seen.push(r.seq) });
    tr.append(entry(0), 0);
    expect(seen).toEqual([1]);
    const err = vi.spyOn(console, 'error').mockImplementation(() => {});
    const t2 = trail(1, {
      onAppend: () => {
        throw new Error('listener broke');
      },
    });
    expect(t2.tr.append(entry(1), 0).seq).toBe(2);
    expect(err).toHaveBeenCalledWith('audit: onAppend listener failed for record 2: listener broke');
    err.mockClear();
    const plain = trail(0).tr;
    expect(plain.append(entry(0), 0).seq).toBe(1);
    expect(err).not.toHaveBeenCalled();
  });
});
