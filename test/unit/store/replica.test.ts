import { describe, expect, it } from 'vitest';
import { AuditTrail } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { saveOverride, saveRow } from '../../../main/store/control.js';
import { applyStateSnapshot, auditHeadOf, auditRecordsAfter, importAuditRecords, ReplicaError, stateSnapshot } from '../../../main/store/replica.js';
import type { Override } from '../../../shared/domain/control.js';

/**
 * What a standby copies from its leader (issue 17, main/store/replica.ts): the audit chain verbatim, link by link —
 * a gap, a fork or a forged record is refused whole — and the operator state tables replaced whole.
 */
function leader(records: number, who = 'ana') {
  const db = openControlDb(':memory:');
  let t = 1_800_000_000_000;
  const trail = new AuditTrail(db, { now: () => (t += 1000) });
  for (let i = 0; i < records; i++) trail.append({ actor: { user: who, role: 'operator' }, kind: 'override', target: `rack r${i}`, oldValue: '', newValue: `cap ${400 + i} W`, reason: 'test', outcome: 'ok' }, i * 1000);
  return { db, trail };
}

describe('importAuditRecords', () => {
  it('copies the chain verbatim: the same head, and the copy verifies by itself', () => {
    const l = leader(5);
    const s = leader(0);
    expect(importAuditRecords(s.db, auditRecordsAfter(l.db, 0))).toBe(5);
    expect(auditHeadOf(s.db)).toEqual(auditHeadOf(l.db));
    expect(s.trail.verify()).toMatchObject({ ok: true, records: 5 });
    // The standby then continues the chain itself after taking over.
    s.trail.append({ actor: 'system', kind: 'controller', target: 'controller c2', oldValue: 'c1 led', newValue: 'c2 leads, epoch 9', reason: 'failover', outcome: 'ok' }, 0);
    expect(s.trail.verify()).toMatchObject({ ok: true, records: 6 });
  });

  it('skips records it already holds, in any order and repeated (a watch replaying after a catch-up)', () => {
    const l = leader(4);
    const s = leader(0);
    const all = auditRecordsAfter(l.db, 0);
    importAuditRecords(s.db, all.slice(0, 2));
    expect(importAuditRecords(s.db, [all[3]!, all[1]!, all[2]!, all[0]!])).toBe(2);
    expect(auditHeadOf(s.db)).toEqual(auditHeadOf(l.db));
  });

  it('refuses a gap, a fork and a forged record, writing nothing of the batch', () => {
    const l = leader(4);
    const all = auditRecordsAfter(l.db, 0);
    const s = leader(0);
    importAuditRecords(s.db, all.slice(0, 1));
    expect(() => importAuditRecords(s.db, [all[1]!, all[3]!])).toThrow(/gap/);
    expect(auditHeadOf(s.db).seq).toBe(1);
    const forged = { ...all[1]!, newValue: 'cap 900 W' };
    expect(() => importAuditRecords(s.db, [forged])).toThrow(/hash does not match/);
    // Another leader's record 2 (re-hashed honestly, but after a different record 1): a fork.
    const other = leader(2, 'bo');
    expect(() => importAuditRecords(s.db, auditRecordsAfter(other.db, 1))).toThrow(ReplicaError);
    expect(() => importAuditRecords(s.db, auditRecordsAfter(other.db, 0))).toThrow(/fork/);
    expect(auditHeadOf(s.db).seq).toBe(1);
  });
});

describe('state snapshots', () => {
  it('replace the standby tables whole: overrides, rows, meta as the leader has them', () => {
    const l = leader(0);
    const ov = { id: 'ov-1', target: { kind: 'rack', id: 'r1' }, action: { kind: 'cap', watts: 450 }, gpus: [0, 1], reason: 'test', by: 'ana', createdAtMs: 1, expiresAtMs: 99 } as unknown as Override;
    saveOverride(l.db, ov, 1);
    saveRow(l.db, { rowId: 'A', automation: false, manualBrake: { by: 'ana', reason: 'drill', sinceMs: 5 } }, 10);
    const s = leader(0);
    saveOverride(s.db, { ...ov, id: 'stale' }, 7);
    applyStateSnapshot(s.db, stateSnapshot(l.db));
    expect(stateSnapshot(s.db)).toEqual(stateSnapshot(l.db));
    expect(s.db.prepare('SELECT id FROM control_overrides').pluck().all()).toEqual(['ov-1']);
  });

  it('refuses a column the table does not have and keeps what it had', () => {
    const l = leader(0);
    saveRow(l.db, { rowId: 'A', automation: true, manualBrake: null }, 10);
    const snap = stateSnapshot(l.db);
    const s = leader(0);
    saveRow(s.db, { rowId: 'B', automation: false, manualBrake: null }, 10);
    const bad = { ...snap, control_rows: [{ ...snap.control_rows[0]!, 'row_id) VALUES (1); --': 'x' }] };
    expect(() => applyStateSnapshot(s.db, bad)).toThrow(/no column/);
    expect(s.db.prepare('SELECT row_id FROM control_rows').pluck().all()).toEqual(['B']);
  });
});
