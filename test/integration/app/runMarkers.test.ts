import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime } from '../../../main/app/runtime.js';
import { AuditTrail } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { tempDir } from '../../helpers.js';

/**
 * Runs on one control.db follow each other, never overlap: the data-folder lock refuses a second runtime while the first
 * is open (with only a control.db, its folder is the data folder), and every run is bracketed by 'run' records in
 * the audit trail, so records of two runs never read as one.
 */
const tmp = tempDir('headroom-runs-');
afterAll(() => tmp.cleanup());
const controlDb = tmp.file('data/control.db');
const open = (command: string) => createRuntime({ scenario: 'default', db: null, controlDb, command, log: () => {} });
const operator = { user: 'ann', role: 'operator' as const };

describe('runs on one control.db', () => {
  it('a second runtime on the folder is refused while the first is open, writing nothing; each run is marked start and stop', async () => {
    const first = await open('headroom serve --token ***');
    first.auditRefusal(operator, 'brake:row', 'first run');
    await expect(open('headroom serve (second)')).rejects.toThrow(
      new RegExp(`^data folder .*data is in use by Headroom pid ${process.pid} on host ${hostname()} since \\S+ \\(headroom serve --token \\*\\*\\*\\)`),
    );
    expect(first.audit.count()).toBe(2); // the refused start wrote no marker
    await first.close();
    expect(existsSync(tmp.file('data/headroom.lock'))).toBe(false);

    const second = await open('headroom serve (second)');
    second.auditRefusal(operator, 'brake:row', 'second run');
    await second.close();

    const db = openControlDb(controlDb);
    try {
      const trail = new AuditTrail(db);
      const all = trail.list({ limit: 100 }).reverse();
      expect(all.map((r) => `${r.kind}:${r.reason}`)).toEqual([
        'run:headroom started',
        'refusal:first run',
        'run:headroom stopped',
        'run:headroom started',
        'refusal:second run',
        'run:headroom stopped',
      ]);
      const [start, , stop] = all;
      expect(start).toMatchObject({ actor: 'system', role: 'system', target: 'sim default', outcome: 'ok', oldValue: '' });
      const value = JSON.parse(start!.newValue) as Record<string, unknown>;
      expect(value).toMatchObject({ pid: process.pid, host: hostname(), version: expect.stringMatching(/^\d+\.\d+\.\d+/), command: 'headroom serve --token ***' });
      expect(Date.parse(String(value.startedAt))).toBeGreaterThan(0);
      expect(JSON.parse(stop!.newValue)).toMatchObject({ startedAt: value.startedAt, stoppedAt: expect.any(String) });
      expect(trail.list({ kind: 'run', limit: 10 })).toHaveLength(4);
      expect(trail.verify()).toMatchObject({ ok: true, records: 6 });
    } finally {
      db.close();
    }
  });
});
