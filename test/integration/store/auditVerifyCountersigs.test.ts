import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AuditEntry } from '../../../main/core/ports.js';
import { createCa, issueAgentCert, loadIdentity } from '../../../main/pki/certs.js';
import { AuditTrail, GENESIS_HASH } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { countersigWriter } from '../../../main/store/countersigs.js';
import type { DB } from '../../../main/store/db.js';
import { tempDir } from '../../helpers.js';

/**
 * The app's audit verify against the agents' countersignatures stored in control.db: agreeing ones are named in the
 * verdict; one for a record whose hash changed (a rewritten, re-hashed chain) or for a record past the end (a cut
 * tail) fails it at that record; a chain that is broken by itself is reported as such first.
 */

const tmp = tempDir('headroom-verify-countersigs-');
const certs: Record<string, string> = {};
beforeAll(async () => {
  await createCa(tmp.file('certs'));
  for (const host of ['gpu-1', 'gpu-2']) {
    await issueAgentCert(tmp.file('certs'), host);
    certs[host] = loadIdentity(tmp.file('certs'), `agent-${host}`).cert;
  }
});
afterAll(() => tmp.cleanup());

const entry = (i: number): AuditEntry => ({ actor: 'system', kind: 'actuation', target: `row ${i}`, oldValue: 'clock unlocked', newValue: '8 GPUs → 1559 MHz', reason: `reason ${i}`, outcome: 'ok' });
let files = 0;

/** A trail of `n` records in a fresh control.db, and a way to store a countersignature of (seq, hash) by `host`. */
function trail(n: number, fn: (t: AuditTrail, countersign: (host: string, seq: number, hash: string) => void, db: DB) => void): void {
  const db = openControlDb(tmp.file(`control-${files++}.db`));
  try {
    let now = 1_700_000_000_000;
    const t = new AuditTrail(db, { now: () => (now += 1000) });
    for (let i = 1; i <= n; i++) t.append(entry(i), i * 1000);
    const write = countersigWriter(db);
    fn(t, (host, seq, hash) => write({ host, consoleKey: 'k'.repeat(64), seq, hash, atMs: 1_700_000_100_000, sig: 'c2ln', cert: certs[host]! }), db);
  } finally {
    db.close();
  }
}

describe('audit verify with stored countersignatures', () => {
  it('agreeing countersignatures are named: how many agents, up to which record; none, no mention', () => {
    trail(3, (t, countersign) => {
      const alone = t.verify();
      expect(alone).toMatchObject({ ok: true, records: 3, brokenAtSeq: null });
      expect(alone.message).toMatch(/^3 records, chain intact; head [0-9a-f]{16}…$/);
      countersign('gpu-1', 0, GENESIS_HASH); // the head of an empty trail, before the first record
      countersign('gpu-1', 2, t.hashAt(2)!);
      expect(t.verify()).toEqual({ ...alone, message: `${alone.message}; countersigned by 1 agent up to seq 2` });
      countersign('gpu-2', 3, t.hashAt(3)!);
      expect(t.verify()).toEqual({ ...alone, message: `${alone.message}; countersigned by 2 agents up to seq 3` });
    });
  });

  it('a record whose hash is not the one an agent countersigned fails verify at that record', () => {
    trail(3, (t, countersign) => {
      countersign('gpu-1', 1, t.hashAt(1)!);
      countersign('gpu-2', 2, 'f'.repeat(64));
      const v = t.verify();
      expect(v).toMatchObject({ ok: false, records: 3, brokenAtSeq: 2 });
      expect(v.message).toMatch(/^record 2 is not the record agent gpu-2 countersigned at .*: the chain was rewritten and re-hashed at or before record 2$/);
    });
  });

  it('a countersigned record past the end of the trail fails verify just after its end (records removed from the end)', () => {
    trail(3, (t, countersign) => {
      countersign('gpu-1', 5, 'a'.repeat(64));
      const v = t.verify();
      expect(v).toMatchObject({ ok: false, records: 3, brokenAtSeq: 4 });
      expect(v.message).toMatch(/^the trail ends at record 3 but agent gpu-1 countersigned record 5 at .*: records removed from the end$/);
    });
  });

  it('a chain broken by itself is reported as such, before the countersignatures are held against it', () => {
    trail(3, (t, countersign, db) => {
      countersign('gpu-1', 3, t.hashAt(3)!);
      db.exec('DROP TRIGGER IF EXISTS audit_no_update;');
      db.prepare("UPDATE audit SET new_value = 'edited' WHERE seq = 3").run();
      const v = t.verify();
      expect(v).toEqual(t.verifyChain());
      expect(v).toMatchObject({ ok: false, brokenAtSeq: 3 });
      expect(v.message).not.toMatch(/countersign|removed from the end/);
    });
  });
});
