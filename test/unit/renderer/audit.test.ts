import { describe, expect, it } from 'vitest';
import type { AuditRecord } from '../../../shared/domain/control.js';
import { makeTopology } from './fixtures.js';
import { EMPTY_FILTER, auditQuery, changeText, csvFileName, matchesFilter, olderCursor, prependLive, readableValue } from '../../../renderer/model/audit.js';

const rec = (seq: number, over: Partial<AuditRecord> = {}): AuditRecord => ({
  seq,
  atMs: 1_767_225_600_000 + seq,
  simMs: seq,
  actor: 'operator (token)',
  role: 'operator',
  kind: 'override',
  target: 'racks D03',
  oldValue: '',
  newValue: 'cap 450 W',
  reason: 'drill',
  outcome: 'ok',
  prevHash: '0'.repeat(64),
  hash: 'f'.repeat(64),
  ...over,
});

describe('audit view', () => {
  it('builds the list query from the filter, leaving out empty fields', () => {
    expect(auditQuery(EMPTY_FILTER, null, 51)).toEqual({ limit: 51 });
    expect(auditQuery({ kind: 'brake', actor: ' bob ', target: 'D', outcome: 'refused' }, 120, 51)).toEqual({
      limit: 51,
      kind: 'brake',
      actor: 'bob',
      target: 'D',
      outcome: 'refused',
      beforeSeq: 120,
    });
  });

  it('matches live records as the engine filters: exact kind/outcome/actor, target as a case-insensitive substring', () => {
    const r = rec(1);
    expect(matchesFilter(r, EMPTY_FILTER)).toBe(true);
    expect(matchesFilter(r, { ...EMPTY_FILTER, target: 'd03' })).toBe(true);
    expect(matchesFilter(r, { ...EMPTY_FILTER, target: 'D04' })).toBe(false);
    expect(matchesFilter(r, { ...EMPTY_FILTER, actor: 'operator' })).toBe(false);
    expect(matchesFilter(r, { ...EMPTY_FILTER, actor: 'operator (token)' })).toBe(true);
    expect(matchesFilter(r, { ...EMPTY_FILTER, kind: 'brake' })).toBe(false);
    expect(matchesFilter(r, { ...EMPTY_FILTER, outcome: 'refused' })).toBe(false);
  });

  it('prepends live records newest first, once, within the page size', () => {
    const page = [rec(5), rec(4), rec(3)];
    const next = prependLive(page, rec(6), 3);
    expect(next.map((r) => r.seq)).toEqual([6, 5, 4]);
    expect(prependLive(next, rec(6), 3)).toBe(next);
    expect(olderCursor(next)).toBe(4);
    expect(olderCursor([])).toBeNull();
  });

  it('reads changes and names export files', () => {
    expect(changeText(rec(1))).toBe('cap 450 W');
    expect(changeText(rec(1, { oldValue: 'on', newValue: 'paused' }))).toBe('on → paused');
    expect(changeText(rec(1, { oldValue: 'cap 450 W', newValue: '' }))).toBe('cap 450 W → (none)');
    expect(csvFileName(Date.UTC(2026, 0, 2, 3, 4, 5))).toBe('headroom-audit-20260102-030405Z.csv');
  });

  it('reads an override recorded as JSON in words, with units', () => {
    const v = JSON.stringify({ target: { kind: 'racks', ids: ['D03'] }, action: { kind: 'powerCap', watts: 450 }, gpus: 32, expiresAtMs: Date.UTC(2026, 0, 1, 1) });
    expect(readableValue(v)).toBe('power cap 450 W per GPU on rack D03, 32 GPUs, until 2026-01-01 01:00:00 UTC');
    const gpus = JSON.stringify({ target: { kind: 'gpus', ids: [0, 5] }, action: { kind: 'exempt' } });
    expect(readableValue(gpus, makeTopology([1]))).toBe('exempt from automation on 2 GPUs: A1-s0-G1, A1-s1-G2');
    expect(readableValue('{"t1Pct":78}')).toBe('t1Pct: 78');
    expect(readableValue('{not json')).toBe('{not json');
    expect(readableValue('paused')).toBe('paused');
  });
});

describe('audit kinds', () => {
  it('offers every kind the contract filters on, each with a label', async () => {
    const { AuditQuerySchema } = await import('../../../shared/domain/control.js');
    const { AUDIT_KINDS, KIND_LABEL } = await import('../../../renderer/model/audit.js');
    const kinds = (AuditQuerySchema.shape.kind.unwrap() as { options: string[] }).options;
    expect([...AUDIT_KINDS].sort()).toEqual([...kinds].sort());
    for (const k of AUDIT_KINDS) expect(KIND_LABEL[k]).toBeTruthy();
  });
});
