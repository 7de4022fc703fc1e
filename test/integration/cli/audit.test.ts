import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { readFileSync, statSync, writeFileSync } from 'node:fs';
import { AuditTrail } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { tempDir } from '../../helpers.js';

// These run the real `headroom` command (bin/headroom.js → dist/, built by `npm test`'s pretest).
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const headroom = (...args: string[]) => spawnSync(process.execPath, ['bin/headroom.js', ...args], { encoding: 'utf8', timeout: 60_000 });

function trail(name: string, n: number): string {
  const file = tmp.file(name);
  const db = openControlDb(file);
  const t = new AuditTrail(db);
  for (let i = 0; i < n; i++) {
    t.append({ actor: i % 2 ? 'system' : { user: 'ann', role: 'operator' }, kind: i % 2 ? 'actuation' : 'override', target: `row ${i % 4}`, oldValue: '700 W', newValue: '500 W', reason: `why, "${i}"`, outcome: 'ok' }, i * 1000);
  }
  db.close();
  return file;
}

describe('headroom audit', () => {
  it('verify: exit 0 and one line when the chain is intact', () => {
    const file = trail('ok.db', 25);
    const r = headroom('audit', 'verify', '--db', file);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n')).toHaveLength(1);
    expect(r.stdout).toMatch(/^audit trail intact: 25 records checked \(.*ok\.db\)/);
  });

  it('verify: exit 1 and where it broke when a record was edited', () => {
    const file = trail('edited.db', 25);
    const db = openControlDb(file);
    db.exec("DROP TRIGGER audit_no_update; UPDATE audit SET new_value = '900 W' WHERE seq = 7");
    db.close();
    const r = headroom('audit', 'verify', '--db', file);
    expect(r.status).toBe(1);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/^audit trail BROKEN at record 7: record 7 was altered after it was written \(hash mismatch\); 6 records before it intact/);
  });

  it('verify: exit 1 when a record was deleted', () => {
    const file = trail('deleted.db', 10);
    const db = openControlDb(file);
    db.exec('DROP TRIGGER audit_no_delete; DELETE FROM audit WHERE seq = 4');
    db.close();
    const r = headroom('audit', 'verify', '--db', file);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/BROKEN at record 4: record 4 is missing/);
  });

  it('verify: exit 2 for a missing or non-SQLite file, and creates nothing', () => {
    const missing = tmp.file('missing.db');
    const r = headroom('audit', 'verify', '--db', missing);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^headroom: .*missing\.db: cannot open database/);
    expect(() => statSync(missing)).toThrow();
    const notDb = tmp.file('text.db');
    writeFileSync(notDb, 'hello'.repeat(10));
    expect(headroom('audit', 'verify', '--db', notDb).stderr).toMatch(/text\.db: not a SQLite database/);
    expect(headroom('audit', 'frobnicate').status).toBe(2);
    expect(headroom('audit', 'verify', '--nope').status).toBe(2);
  });

  it('export: CSV to a file, oldest first, with filters', () => {
    const file = trail('export.db', 12);
    const out = tmp.file('audit.csv');
    const r = headroom('audit', 'export', '--db', file, '--out', out, '--kind', 'override');
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/exported 6 audit records/);
    const lines = readFileSync(out, 'utf8').split('\r\n');
    expect(lines[0]).toBe('seq,at,atMs,simMs,actor,role,kind,target,oldValue,newValue,reason,outcome,prevHash,hash');
    expect(lines).toHaveLength(8); // header + 6 + trailing empty
    expect(lines[1]).toMatch(/^1,.*,ann,operator,override,row 0,700 W,500 W,"why, ""0""",ok,0{64},[0-9a-f]{64}$/);
    const all = headroom('audit', 'export', '--db', file);
    expect(all.status).toBe(0);
    expect(all.stdout.split('\r\n')).toHaveLength(14);
    expect(headroom('audit', 'export', '--db', file, '--kind', 'bogus').stderr).toMatch(/--kind must be one of/);
  });
});
