import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../../main/app/runtime.js';
import { AuditTrail } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { tempDir } from '../../helpers.js';

/** The runtime's close() hands the control service's releases still gathering to the audit trail before control.db closes. */
const tmp = tempDir('headroom-shutdown-');
afterAll(() => tmp.cleanup());
const operator = { user: 'ann', role: 'operator' as const };

describe('shutting a console down', () => {
  it('audits the releases still being gathered when it closes', async () => {
    const controlDb = tmp.file('data/control.db');
    const rt = await createRuntime({ scenario: 'default', db: null, controlDb, command: 'headroom serve (test)', log: () => {} });
    rt.engine.tick();
    const ov = rt.control.setOverride({ target: { kind: 'racks', ids: ['A01'] }, action: { kind: 'clockLock', mhz: 1200 }, reason: 'firmware test', expiresInS: 600 }, operator);
    for (let i = 0; i < 45; i++) rt.engine.tick();
    rt.control.clearOverride(ov.id, 'done', operator);
    for (let i = 0; i < 6; i++) rt.engine.tick(); // releases issued; their audit batch waits for its window
    const released = (trail: AuditTrail) => trail.list({ kind: 'actuation', limit: 100 }).filter((r) => /unlocked/.test(r.newValue)).length;
    expect(released(rt.audit)).toBe(0);
    await rt.close();
    const db = openControlDb(controlDb);
    try {
      const trail = new AuditTrail(db);
      expect(released(trail)).toBe(1);
      expect(trail.list({ limit: 1 })[0]).toMatchObject({ kind: 'run', reason: 'headroom stopped' });
    } finally {
      db.close();
    }
  });
});
