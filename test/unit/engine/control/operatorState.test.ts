import { describe, expect, it } from 'vitest';
import type { Override } from '../../../../shared/domain/control.js';
import type { AuditEntry, AuditSink, ControlState, StoredControl } from '../../../../main/core/ports.js';
import { OperatorState } from '../../../../main/engine/control/operatorState.js';

const alice = { user: 'alice', role: 'operator' as const };

/** A ControlState in memory whose transaction can be made to fail, and an audit sink that records. */
function fakes(stored: Partial<StoredControl> = {}) {
  const writes: string[] = [];
  const audit: AuditEntry[] = [];
  let fail = false;
  const store: ControlState = {
    transaction: (fn) => {
      const w = writes.length;
      const a = audit.length;
      fn();
      if (fail) {
        writes.length = w;
        audit.length = a;
        throw new Error('disk full');
      }
    },
    saveOverride: (ov, seq) => writes.push(`save ${ov.id} ${seq}`),
    deleteOverride: (id) => writes.push(`delete ${id}`),
    saveRow: (row, nowMs) => writes.push(`row ${row.rowId} ${row.automation} ${row.manualBrake?.by ?? '-'} @${nowMs}`),
    savePolicy: (_body, by, nowMs) => writes.push(`policy by ${by} @${nowMs}`),
    load: () => ({ overrideSeq: 0, overrides: [], rows: [], policyBody: null, ...stored }),
  };
  const sink: AuditSink = { append: (e) => (audit.push(e), null as never) };
  return { store, sink, writes, audit, failNext: () => (fail = true) };
}

const ovReq = { target: { kind: 'gpus' as const, ids: [1, 2] }, action: { kind: 'powerCap' as const, watts: 500 }, gpus: [1, 2], reason: 'cooling work', expiresInS: 60 };

describe('operator state: overrides, automation and manual brakes, persisted and audited', () => {
  it('each change is stored and audited, then applied; ids follow the stored sequence', () => {
    const f = fakes({ overrideSeq: 4 });
    let now = 1000;
    const s = new OperatorState(f.store, f.sink, () => now, ['A', 'B'], 8);
    const ov = s.addOverride(ovReq, alice);
    expect(ov).toMatchObject({ id: 'ov-5', createdBy: 'alice', createdAtMs: 1000, expiresAtMs: 61_000 });
    s.setAutomation(1, false, 'checkpoint', alice);
    s.setManualBrake(0, true, 'breaker test', alice);
    now = 61_000;
    expect(s.expire(now)).toBe(true);
    expect(s.overrides.size).toBe(0);
    expect(f.writes).toEqual(['save ov-5 5', 'row B false - @1000', 'row A true alice @1000', 'delete ov-5']);
    expect(f.audit.map((e) => [e.kind, e.target, e.oldValue.slice(0, 16), e.newValue.slice(0, 16), e.reason])).toEqual([
      ['override', 'ov-5 2 GPUs: 1, 2', '', '{"target":{"kind', 'cooling work'],
      ['automation', 'row B', 'on', 'off', 'checkpoint'],
      ['brake', 'row A', 'manual brake off', 'manual brake on', 'breaker test'],
      ['override-clear', 'ov-5 2 GPUs: 1, 2', '{"target":{"kind', '', 'expired'],
    ]);
    expect(f.audit[3]!.actor).toBe('system');
  });

  it('a failed transaction changes nothing in memory', () => {
    const f = fakes();
    const s = new OperatorState(f.store, f.sink, () => 0, ['A'], 8);
    f.failNext();
    expect(() => s.addOverride(ovReq, alice)).toThrow('disk full');
    expect(() => s.setManualBrake(0, true, 'breaker test', alice)).toThrow('disk full');
    expect(s.overrides.size).toBe(0);
    expect(s.manualBrake).toEqual([null]);
    expect(f.audit).toEqual([]);
  });

  it('loads what control.db holds: GPUs outside the fleet and unknown rows dropped; an invalid policy audited and ignored', () => {
    const stored = (id: string, gpus: number[]): Override => ({ id, target: { kind: 'gpus', ids: gpus }, action: { kind: 'exempt' }, gpus, reason: 'x', createdBy: 'a', createdAtMs: 0, expiresAtMs: 1 });
    const f = fakes({
      overrideSeq: 2,
      overrides: [stored('ov-1', [3, 99]), stored('ov-2', [100])],
      rows: [
        { rowId: 'B', automation: false, manualBrake: null },
        { rowId: 'Z', automation: false, manualBrake: null },
      ],
      policyBody: '{"polca":{"t1Pct":500}}',
    });
    const s = new OperatorState(f.store, f.sink, () => 0, ['A', 'B'], 8);
    expect([...s.overrides.values()].map((o) => [o.id, o.gpus])).toEqual([['ov-1', [3]]]);
    expect(s.automation).toEqual([true, false]);
    expect(s.storedPolicy).toBeNull();
    expect(f.audit).toMatchObject([{ actor: 'system', kind: 'policy', outcome: 'failed', newValue: '(defaults)' }]);
    expect(new OperatorState(fakes({ policyBody: '{"polca":{"t1Pct":70}}' }).store, null, () => 0, [], 8).storedPolicy?.polca.t1Pct).toBe(70);
    expect(new OperatorState(null, null, () => 0, ['A'], 8).auditing).toBe(false);
  });
});
