import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { closeSync, openSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { AuditTrail, GENESIS_HASH, canonicalAudit } from '../../../main/store/audit.js';
import { openControlDb, openControlDbReadonly } from '../../../main/store/controlDb.js';
import { explain, schemaVersion, StoreError, type DB } from '../../../main/store/db.js';
import type { AuditEntry } from '../../../main/core/ports.js';
import { AUDIT_CSV_COLUMNS, auditCsv } from '../../../shared/domain/auditCsv.js';
import type { AuditRecord } from '../../../shared/domain/control.js';
import { runThenKill, tempDir } from '../../helpers.js';

const ann = { user: 'ann', role: 'operator' as const };
const entry = (i: number, over: Partial<AuditEntry> = {}): AuditEntry => ({
  actor: i % 3 === 0 ? 'system' : ann,
  kind: i % 3 === 0 ? 'actuation' : i % 3 === 1 ? 'override' : 'ack',
  target: `gpu ${i}`,
  oldValue: '700 W',
  newValue: `${500 + i} W`,
  reason: `reason ${i}`,
  outcome: i % 7 === 0 ? 'refused' : 'ok',
  ...over,
});

function withTrail(fn: (t: AuditTrail, db: DB, file: string) => void): void {
  const tmp = tempDir();
  try {
    const file = tmp.file('control.db');
    const db = openControlDb(file);
    try {
      fn(new AuditTrail(db, { now: (() => { let t = 1_700_000_000_000; return () => (t += 1000); })() }), db, file);
    } finally {
      db.close();
    }
  } finally {
    tmp.cleanup();
  }
}

/** Tamper like someone with write access to the file: drop the append-only guards first. */
function tamper(db: DB, sql: string, ...params: unknown[]): void {
  db.exec('DROP TRIGGER IF EXISTS audit_no_update; DROP TRIGGER IF EXISTS audit_no_delete;');
  db.prepare(sql).run(...params);
}

/** RFC 4180 parser (quoted fields, doubled quotes, CRLF), to prove the export round-trips. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let f = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        f += '"';
        i++;
      } else if (c === '"') q = false;
      else f += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(f);
      f = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(f);
      rows.push(row);
      row = [];
      f = '';
      i++;
    } else f += c;
  }
  return rows;
}

describe('control.db', () => {
  it('is WAL with synchronous=FULL, migrated, and quick_checked', () => {
    withTrail((_t, db) => {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      expect(db.pragma('synchronous', { simple: true })).toBe(2); // FULL
      expect(schemaVersion(db)).toBeGreaterThanOrEqual(1);
      const tables = db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all();
      expect(tables).toEqual(expect.arrayContaining(['audit', 'audit_head', 'alert_acks', 'silences', 'schema_migrations']));
    });
  });

  it('refuses a file that is not SQLite, and a damaged one, with a clear StoreError', () => {
    const tmp = tempDir();
    try {
      const notDb = tmp.file('control.db');
      writeFileSync(notDb, 'not a database at all'.repeat(20));
      expect(() => openControlDb(notDb)).toThrow(StoreError);
      expect(() => openControlDb(notDb)).toThrow(/control\.db: not a SQLite database/);

      const damaged = tmp.file('damaged.db');
      const db = openControlDb(damaged);
      const t = new AuditTrail(db);
      for (let i = 0; i < 2000; i++) t.append(entry(i), i);
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
      // Scribble over the middle of the file (b-tree pages of the audit table and its indexes).
      const size = statSync(damaged).size;
      const fd = openSync(damaged, 'r+');
      writeSync(fd, Buffer.alloc(8192, 0xa5), 0, 8192, Math.floor(size / 2 / 4096) * 4096);
      closeSync(fd);
      expect(() => openControlDb(damaged)).toThrow(StoreError);
      expect(() => openControlDb(damaged)).toThrow(/damaged\.db: .*(integrity check failed|malformed)/);
    } finally {
      tmp.cleanup();
    }
  });
});

describe('audit trail', () => {
  it('writes exactly one hash-chained record per append (1:1 for N appends), durable at synchronous=FULL', () => {
    withTrail((t, db) => {
      const N = 2000;
      const seen: AuditRecord[] = [];
      const t0 = performance.now();
      for (let i = 0; i < N; i++) seen.push(t.append(entry(i), 1_000 * i));
      const perS = N / ((performance.now() - t0) / 1000);
      console.log(`audit appends: ${Math.round(perS).toLocaleString('en-US')}/s with synchronous=FULL (one fsync'd transaction each, ext4)`);
      expect(t.count()).toBe(N);
      const rows = [...t.iterate()];
      expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
      expect(rows).toEqual(seen);
      expect(rows[0]!.prevHash).toBe(GENESIS_HASH);
      for (let i = 0; i < N; i++) {
        const { hash, ...rest } = rows[i]!;
        expect(hash).toBe(createHash('sha256').update(canonicalAudit(rest)).digest('hex'));
        if (i > 0) expect(rows[i]!.prevHash).toBe(rows[i - 1]!.hash);
      }
      expect(rows[0]).toMatchObject({ actor: 'system', role: 'system', kind: 'actuation', simMs: 0 });
      expect(rows[1]).toMatchObject({ actor: 'ann', role: 'operator', kind: 'override', target: 'gpu 1', oldValue: '700 W', newValue: '501 W', reason: 'reason 1', outcome: 'ok' });
      expect(t.verify()).toEqual({ ok: true, records: N, brokenAtSeq: null, message: expect.stringMatching(/^2000 records, chain intact/) });
      expect(db.pragma('synchronous', { simple: true })).toBe(2);
    });
  });

  it('is append-only at the SQL level too', () => {
    withTrail((t, db) => {
      t.append(entry(1), 0);
      expect(() => db.prepare("UPDATE audit SET reason = 'x'").run()).toThrow(/append-only/);
      expect(() => db.prepare('DELETE FROM audit').run()).toThrow(/append-only/);
    });
  });

  it('stores awkward text exactly as hashed (unicode, lone surrogates, NUL, quotes, very long)', () => {
    withTrail((t) => {
      t.append(entry(1, { reason: 'Ünïcødé — 🔥 "quoted", comma\r\nnew line\u0000nul', target: 'bad \ud800 surrogate', newValue: 'x'.repeat(10_000) }), 0.4);
      const [r] = t.list({ limit: 1 });
      expect(r!.reason).toBe('Ünïcødé — 🔥 "quoted", comma\r\nnew line\u0000nul');
      expect(r!.target).toBe('bad \ufffd surrogate');
      expect(r!.newValue.length).toBe(4000);
      expect(r!.simMs).toBe(0);
      expect(t.verify().ok).toBe(true);
      expect(() => t.append(entry(2), NaN)).toThrow(/finite/);
      expect(t.count()).toBe(1);
    });
  });

  it('verify detects an edited field, even with its own hash recomputed', () => {
    withTrail((t, db) => {
      for (let i = 0; i < 50; i++) t.append(entry(i), i);
      tamper(db, "UPDATE audit SET new_value = '700 W' WHERE seq = 17");
      expect(t.verify()).toMatchObject({ ok: false, records: 16, brokenAtSeq: 17, message: expect.stringMatching(/record 17 was altered/) });
    });
    withTrail((t, db) => {
      for (let i = 0; i < 50; i++) t.append(entry(i), i);
      const r = t.list({ beforeSeq: 18, limit: 1 })[0]!;
      const forged = { ...r, actor: 'mallory' };
      const { hash: _h, ...rest } = forged;
      tamper(db, "UPDATE audit SET actor = 'mallory', hash = ? WHERE seq = 17", createHash('sha256').update(canonicalAudit(rest)).digest('hex'));
      expect(t.verify()).toMatchObject({ ok: false, brokenAtSeq: 18, message: expect.stringMatching(/record 18 does not link to record 17/) });
    });
  });

  it('verify detects a deleted record: in the middle, the first, and at the end', () => {
    withTrail((t, db) => {
      for (let i = 0; i < 30; i++) t.append(entry(i), i);
      tamper(db, 'DELETE FROM audit WHERE seq = 12');
      expect(t.verify()).toMatchObject({ ok: false, records: 11, brokenAtSeq: 12, message: expect.stringMatching(/record 12 is missing/) });
    });
    withTrail((t, db) => {
      for (let i = 0; i < 30; i++) t.append(entry(i), i);
      tamper(db, 'DELETE FROM audit WHERE seq = 1');
      expect(t.verify()).toMatchObject({ ok: false, records: 0, brokenAtSeq: 1 });
    });
    withTrail((t, db) => {
      for (let i = 0; i < 30; i++) t.append(entry(i), i);
      tamper(db, 'DELETE FROM audit WHERE seq >= 28');
      expect(t.verify()).toMatchObject({ ok: false, records: 27, brokenAtSeq: 28, message: expect.stringMatching(/ends at record 27 but 30 were written/) });
    });
    withTrail((t, db) => {
      // Renumbering after a delete (no gap) still breaks the links.
      for (let i = 0; i < 30; i++) t.append(entry(i), i);
      tamper(db, 'DELETE FROM audit WHERE seq = 12');
      tamper(db, 'UPDATE audit SET seq = seq - 1 WHERE seq > 12');
      expect(t.verify()).toMatchObject({ ok: false, brokenAtSeq: 12 });
    });
  });

  it('verify detects reordered records', () => {
    withTrail((t, db) => {
      for (let i = 0; i < 30; i++) t.append(entry(i), i);
      tamper(db, 'UPDATE audit SET seq = -1 WHERE seq = 10');
      tamper(db, 'UPDATE audit SET seq = 10 WHERE seq = 11');
      tamper(db, 'UPDATE audit SET seq = 11 WHERE seq = -1');
      expect(t.verify()).toMatchObject({ ok: false, records: 9, brokenAtSeq: 10 });
    });
  });

  it('a record appended and then the process SIGKILLed is present; the chain verifies', async () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('control.db');
      let acknowledged = 0;
      for (let round = 0; round < 3; round++) {
        acknowledged = await appendThenKill(file, 50 + round * 37);
        const db = openControlDb(file);
        expect(db.pragma('quick_check', { simple: true })).toBe('ok');
        const t = new AuditTrail(db);
        const v = t.verify();
        expect(v.ok).toBe(true);
        expect(v.records).toBeGreaterThanOrEqual(acknowledged);
        expect(t.list({ beforeSeq: acknowledged + 1, limit: 1 })[0]!.seq).toBe(acknowledged);
        db.close();
      }
    } finally {
      tmp.cleanup();
    }
  }, 60_000);

  it('list filters newest first, pages with beforeSeq, and every query uses an index (no SCAN)', () => {
    withTrail((t, db) => {
      for (let i = 0; i < 300; i++) t.append(entry(i), i);
      const acks = t.list({ kind: 'ack', limit: 5 });
      expect(acks.map((r) => r.seq)).toEqual([300, 297, 294, 291, 288]);
      expect(t.list({ kind: 'ack', beforeSeq: 288, limit: 2 }).map((r) => r.seq)).toEqual([285, 282]);
      expect(t.list({ actor: 'system', limit: 1000 })).toHaveLength(100);
      expect(t.list({ outcome: 'refused', limit: 1000 }).every((r) => r.outcome === 'refused')).toBe(true);
      expect(t.list({ target: 'GPU 29', limit: 1000 }).map((r) => r.target)).toEqual(['gpu 299', 'gpu 298', 'gpu 297', 'gpu 296', 'gpu 295', 'gpu 294', 'gpu 293', 'gpu 292', 'gpu 291', 'gpu 290', 'gpu 29']);
      const expected = Array.from({ length: 300 }, (_, i) => ({ seq: i + 1, e: entry(i) }))
        .filter(({ e }) => e.kind === 'override' && e.actor !== 'system' && e.outcome === 'ok' && e.target.includes('1'))
        .map((x) => x.seq)
        .reverse();
      expect(t.list({ kind: 'override', actor: 'ann', outcome: 'ok', target: '1', limit: 3 }).map((r) => r.seq)).toEqual(expected.slice(0, 3));
      expect(t.list({ limit: 200 })).toHaveLength(200);
      const queries = [{}, { kind: 'ack' }, { actor: 'ann' }, { outcome: 'refused' }, { target: 'gpu 1' }, { kind: 'ack', actor: 'ann', outcome: 'ok', target: 'x', beforeSeq: 100 }] as const;
      for (const q of queries) {
        const { sql, params } = t.listQuery({ ...q, limit: 50 });
        const plan = explain(db, sql, params);
        expect(plan.join('; '), JSON.stringify(q)).not.toMatch(/\bSCAN\b/);
        expect(plan.join('; ')).toMatch(/SEARCH audit USING (INDEX audit_by_\w+|INTEGER PRIMARY KEY)/);
      }
    });
  });

  it('calls onAppend after each commit with the stored record', () => {
    const db = openControlDb(':memory:');
    try {
      const got: AuditRecord[] = [];
      const t = new AuditTrail(db, { onAppend: (r) => got.push(r), now: () => 42 });
      const r = t.append(entry(1), 7);
      expect(got).toEqual([r]);
      expect(r).toMatchObject({ seq: 1, atMs: 42, simMs: 7 });
      const noisy = new AuditTrail(db, { onAppend: () => { throw new Error('listener broke'); } });
      const err = console.error;
      console.error = () => {};
      try {
        expect(noisy.append(entry(2), 8).seq).toBe(2); // a broken listener does not un-record the action
      } finally {
        console.error = err;
      }
    } finally {
      db.close();
    }
  });

  it('opens read-only for verify/export without creating or changing anything', () => {
    const tmp = tempDir();
    try {
      expect(() => openControlDbReadonly(tmp.file('missing.db'))).toThrow(StoreError);
      expect(() => statSync(tmp.file('missing.db'))).toThrow();
      const file = tmp.file('control.db');
      const db = openControlDb(file);
      const t = new AuditTrail(db);
      for (let i = 0; i < 10; i++) t.append(entry(i), i);
      // Still open by the writer (WAL not checkpointed): a reader sees every committed record.
      const ro = openControlDbReadonly(file);
      expect(new AuditTrail(ro).verify()).toMatchObject({ ok: true, records: 10 });
      expect(() => new AuditTrail(ro).append(entry(11), 11)).toThrow(/readonly/);
      ro.close();
      db.close();
    } finally {
      tmp.cleanup();
    }
  });
});

describe('audit CSV export (RFC 4180)', () => {
  const rec = (over: Partial<AuditRecord>): AuditRecord => ({
    seq: 1,
    atMs: Date.parse('2026-01-01T00:00:00Z'),
    simMs: 5,
    actor: 'ann',
    role: 'operator',
    kind: 'override',
    target: 'row D',
    oldValue: '700 W',
    newValue: '500 W',
    reason: 'plain',
    outcome: 'ok',
    prevHash: GENESIS_HASH,
    hash: 'ab'.repeat(32),
    ...over,
  });

  it('quotes commas, quotes and line breaks, ends lines with CRLF, and round-trips', () => {
    const records = [rec({}), rec({ seq: 2, reason: 'a, b', target: 'say "hi"', oldValue: 'two\r\nlines', newValue: 'lf\nonly' })];
    const csv = auditCsv(records);
    expect(csv.split('\r\n')[0]).toBe(AUDIT_CSV_COLUMNS.join(','));
    expect(csv).toContain('1,2026-01-01T00:00:00.000Z,1767225600000,5,ann,operator,override,row D,700 W,500 W,plain,ok,');
    expect(csv).toContain(',"say ""hi""","two\r\nlines","lf\nonly","a, b",ok,');
    expect(csv.endsWith('\r\n')).toBe(true);
    const rows = parseCsv(csv);
    expect(rows).toHaveLength(3);
    expect(rows[2]!.slice(7, 11)).toEqual(['say "hi"', 'two\r\nlines', 'lf\nonly', 'a, b']);
    expect(rows.every((r) => r.length === AUDIT_CSV_COLUMNS.length)).toBe(true);
  });

  it('neutralises spreadsheet formulas unless asked for raw cells', () => {
    const r = rec({ reason: '=HYPERLINK("http://evil","x")', target: '+1', oldValue: '-5', newValue: '@SUM(A1)' });
    const safe = parseCsv(auditCsv([r]))[1]!;
    expect(safe.slice(7, 11)).toEqual(["'+1", "'-5", "'@SUM(A1)", '\'=HYPERLINK("http://evil","x")']);
    const raw = parseCsv(auditCsv([r], { neutralizeFormulas: false }))[1]!;
    expect(raw.slice(7, 11)).toEqual(['+1', '-5', '@SUM(A1)', '=HYPERLINK("http://evil","x")']);
  });

  it('exports real records', () => {
    withTrail((t) => {
      for (let i = 0; i < 20; i++) t.append(entry(i, { reason: `why, ${i}` }), i);
      const rows = parseCsv(auditCsv([...t.iterate()]));
      expect(rows).toHaveLength(21);
      expect(rows[20]!.slice(0, 1)).toEqual(['20']);
      expect(rows[20]![10]).toBe('why, 19');
    });
  });
});

/** Run the appending child until it has acknowledged at least `minAppends` records, then SIGKILL it. */
function appendThenKill(file: string, minAppends: number): Promise<number> {
  return runThenKill('test/fixtures/audit-child.ts', [file], 'appended', minAppends);
}
