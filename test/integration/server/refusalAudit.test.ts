import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { statSync } from 'node:fs';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { RefusalAudit, type RefusalRecord } from '../../../main/app/refusalAudit.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import type { Actor } from '../../../shared/domain/control.js';
import { tempDir } from '../../helpers.js';

/** Issue 11, item 2: a client repeating a refused call cannot fill the disk with refusal records. */
const viewer: Actor = { user: 'viewer (token)', role: 'viewer' };
const OVERRIDE = { target: { kind: 'row', id: 'A' }, action: { kind: 'powerCap', watts: 400 }, reason: 'flood', expiresInS: 600 };
const tmp = tempDir();
let rt: Runtime;

beforeAll(async () => {
  rt = await createRuntime({ scenario: 'default', db: tmp.file('telemetry.db'), speed: 1, log: () => {} });
});
afterAll(async () => {
  await rt.close().catch(() => {});
  tmp.cleanup();
});

const refusals = () => rt.audit.list({ kind: 'refusal', limit: 1000 });

describe('refusals in the audit trail', () => {
  it('10,000 refused override:set by a viewer: one record in full, one with the count; control.db stays small', async () => {
    const file = tmp.file('control.db');
    const before = statSync(file).size;
    const t0 = performance.now();
    for (let i = 0; i < 10_000; i++) {
      const r = await dispatch(rt.handlers, 'override:set', OVERRIDE, viewer, { onRefused: rt.auditRefusal });
      expect(r.ok).toBe(false);
    }
    const took = performance.now() - t0;
    // Another principal and channel keep their own first record.
    await dispatch(rt.handlers, 'brake:row', { row: 'A', engage: true, reason: 'x', confirmRow: 'A' }, viewer, { onRefused: rt.auditRefusal });
    expect(refusals().map((r) => r.target).sort()).toEqual(['brake:row', 'override:set']);
    await rt.close();
    // Closing writes the open windows' counts (the runtime can no longer be read: count from the file).
    const { openControlDb } = await import('../../../main/store/controlDb.js');
    const { AuditTrail } = await import('../../../main/store/audit.js');
    const db = openControlDb(file);
    const rows = new AuditTrail(db).list({ kind: 'refusal', limit: 1000 }).filter((r) => r.target === 'override:set');
    db.close();
    const after = statSync(file).size;
    console.log('refusal audit figures', JSON.stringify({ refused: 10_000, records: rows.length, controlDbBytesBefore: before, controlDbBytesAfter: after, wallMs: Math.round(took) }));
    expect(rows).toHaveLength(2);
    const [full, summary] = [...rows].sort((a, b) => a.seq - b.seq);
    expect(full!.reason).toMatch(/not allowed for role viewer \(needs operator\)/);
    expect(summary!.reason).toMatch(/^and 9,999 more refusals of override:set by viewer \(token\) in \d+ s$/);
    expect(JSON.parse(summary!.newValue)).toMatchObject({ count: 9999 });
    // Bounded: a few pages, not 10,000 fsync'd records (the probe saw 69 MB for 205,100).
    expect(after - before).toBeLessThan(256 * 1024);
  }, 60_000);
});

describe('RefusalAudit windows', () => {
  function harness(windowMs = 60_000) {
    let now = 0;
    const timers: Array<{ at: number; fn: () => void; done: boolean }> = [];
    const out: RefusalRecord[] = [];
    const audit = new RefusalAudit((r) => out.push(r), {
      windowMs,
      now: () => now,
      setTimer: (fn, ms) => {
        const t = { at: now + ms, fn, done: false };
        timers.push(t);
        return t;
      },
      clearTimer: (t) => void ((t as { done: boolean }).done = true),
    });
    const advance = (ms: number) => {
      now += ms;
      for (const t of timers) {
        if (t.done || t.at > now) continue;
        t.done = true;
        t.fn();
      }
    };
    return { audit, out, advance };
  }

  it('writes the count when the window closes, and starts a new window in full after it', () => {
    const { audit, out, advance } = harness();
    for (let i = 0; i < 20_515; i++) audit.record(viewer, 'override:set', 'not allowed');
    expect(out).toHaveLength(1);
    advance(60_000);
    expect(out.map((r) => r.reason)).toEqual(['not allowed', 'and 20,514 more refusals of override:set by viewer (token) in 60 s']);
    expect(out[1]!.more).toEqual({ count: 20_514, seconds: 60 });
    expect(audit.open).toBe(0);
    audit.record(viewer, 'override:set', 'not allowed again');
    advance(60_000);
    // A single refusal in a window needs no summary.
    expect(out.map((r) => r.reason)).toEqual(['not allowed', 'and 20,514 more refusals of override:set by viewer (token) in 60 s', 'not allowed again']);
  });

  it('keeps one window per principal and channel; flush writes the open counts', () => {
    const { audit, out, advance } = harness();
    const operator: Actor = { user: 'operator (token)', role: 'operator' };
    audit.record(viewer, 'override:set', 'a');
    audit.record(viewer, 'brake:row', 'b');
    audit.record(operator, 'policy:set', 'c');
    audit.record(viewer, 'override:set', 'a');
    advance(5000);
    audit.record(operator, 'policy:set', 'c');
    audit.record(operator, 'policy:set', 'c');
    expect(out).toHaveLength(3);
    audit.flush();
    expect(out.slice(3).map((r) => r.reason).sort()).toEqual(['and 1 more refusal of override:set by viewer (token) in 5 s', 'and 2 more refusals of policy:set by operator (token) in 5 s']);
  });
});
