import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { createHash, generateKeyPairSync, sign } from 'node:crypto';
import { appendFileSync, chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRuntime } from '../../../main/app/runtime.js';
import { AnchorLog, ANCHOR_SUFFIX } from '../../../main/store/anchors.js';
import { AuditTrail } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { tempDir } from '../../helpers.js';
import { cutTail, rewriteAndRehash, verify } from '../../support/auditForgery.js';

const tmp = tempDir('headroom-anchors-');
afterAll(() => tmp.cleanup());
afterEach(() => vi.restoreAllMocks());
let k = 0;

/** A control.db of `n` records whose heads were anchored every 10 records (and at open and close), in its own folder. */
function anchored(n: number): { file: string; dir: string } {
  const base = tmp.file(`case-${++k}`);
  const dir = join(base, 'anchors');
  mkdirSync(dir, { recursive: true });
  const file = join(base, 'control.db');
  const db = openControlDb(file);
  let log: AnchorLog | null = null;
  const trail = new AuditTrail(db, { onAppend: (r) => log?.noteAppend(r) });
  log = AnchorLog.open(dir, { db: file, head: () => trail.head(), everyRecords: 10, everyMs: 3_600_000, log: () => {} });
  for (let i = 0; i < n; i++) trail.append({ actor: { user: 'ann', role: 'operator' }, kind: 'override', target: `row ${i % 4}`, oldValue: '700 W', newValue: '500 W', reason: `r${i}`, outcome: 'ok' }, i * 1000);
  log.close(trail.head());
  db.close();
  return { file, dir };
}


const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('audit anchors: what the chain alone cannot show', () => {
  it('an intact trail: "intact up to seq N (anchored at …)", exit 0; every line signed, the key in the first', async () => {
    const { file, dir } = anchored(45);
    const r = await verify('--db', file, '--anchors', dir);
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/^audit trail intact up to seq 45 \(anchored at seq 45, \d{4}-\d\d-\d\dT[\d:.]+Z; 6 anchors in 1 log, key SHA256:[0-9a-f]{16}\)/);
    const [log] = readdirSync(dir);
    expect(log).toMatch(new RegExp(`${ANCHOR_SUFFIX.replace('.', '\\.')}$`));
    const lines = readFileSync(join(dir, log!), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toMatchObject({ format: 'headroom-audit-anchors/1', kind: 'key', publicKey: expect.any(String) });
    expect(lines.slice(1).map((l) => l.seq)).toEqual([0, 10, 20, 30, 40, 45]);
  });

  it('LIMITATION: without anchors, a rewrite re-hashed to the end (audit_head moved) verifies as intact', async () => {
    const { file } = anchored(30);
    rewriteAndRehash(file, 12, "new_value = '900 W', reason = 'it was always 900'");
    const r = await verify('--db', file);
    expect(r.code).toBe(0); // undetectable from control.db alone: the documented reason for anchors
    expect(r.out).toMatch(/^audit trail intact: 30 records checked .*not anchored: without --anchors a rewrite that re-hashes the chain after it cannot be detected$/);
  });

  it('the same rewrite, with anchors: exit 1, naming the first anchored record that changed', async () => {
    const { file, dir } = anchored(30);
    rewriteAndRehash(file, 12, "new_value = '900 W', reason = 'it was always 900'");
    const r = await verify('--db', file, '--anchors', dir);
    expect(r.code).toBe(1);
    expect(r.out).toBe('');
    expect(r.err).toMatch(/^audit trail TAMPERED: record 20 is not the record anchored at \S+Z, \S+:4 \(hash [0-9a-f]{16}…, anchored [0-9a-f]{16}…\): the chain was rewritten and re-hashed at or before record 20 \(/);
  });

  it('a cut tail with audit_head moved back: the chain verifies alone, the anchors show the cut (exit 1)', async () => {
    const { file, dir } = anchored(30);
    cutTail(file, 24);
    expect((await verify('--db', file)).code).toBe(0);
    const r = await verify('--db', file, '--anchors', dir);
    expect(r.code).toBe(1);
    expect(r.err).toMatch(/^audit trail TAMPERED: the trail ends at record 24 but an anchor \(.*\) vouches for record 30: records removed from the end/);
  });

  it('a forged anchor line: an edited hash, or a line signed with another key, is refused (exit 1)', async () => {
    const { file, dir } = anchored(20);
    const log = join(dir, readdirSync(dir)[0]!);
    const good = readFileSync(log, 'utf8');
    // A forger who rewrote the chain edits the anchors to match it: the signature no longer holds.
    const lines = good.trim().split('\n');
    const l2 = JSON.parse(lines[2]!) as { hash: string };
    l2.hash = 'f'.repeat(64);
    lines[2] = JSON.stringify(l2);
    writeFileSync(log, lines.join('\n') + '\n');
    const edited = await verify('--db', file, '--anchors', dir);
    expect(edited.code).toBe(1);
    expect(edited.err).toMatch(/^audit anchors FORGED: \S+: line 3: bad signature \(a forged or altered anchor\)/);
    // An appended head signed with the forger's own key.
    writeFileSync(log, good);
    const { privateKey } = generateKeyPairSync('ed25519');
    const body = { kind: 'head', n: 4, seq: 20, hash: 'e'.repeat(64), atMs: Date.now(), prev: createHash('sha256').update(good.trim().split('\n').at(-1)!).digest('hex') };
    appendFileSync(log, JSON.stringify({ ...body, sig: sign(null, Buffer.from(JSON.stringify(body)), privateKey).toString('base64') }) + '\n');
    const appended = await verify('--db', file, '--anchors', dir);
    expect(appended.code).toBe(1);
    expect(appended.err).toMatch(/FORGED: \S+: line 5: bad signature/);
  });

  it('bad input is exit 2, one line: no such folder, or a folder without anchor logs', async () => {
    const { file } = anchored(3);
    const none = await verify('--db', file, '--anchors', tmp.file('nowhere'));
    expect(none.code).toBe(2);
    expect(none.err).toMatch(/^headroom: --anchors \S+nowhere: not a readable folder \(ENOENT\)$/);
    mkdirSync(tmp.file('empty'));
    const empty = await verify('--db', file, '--anchors', tmp.file('empty'));
    expect(empty.code).toBe(2);
    expect(empty.err).toBe(`headroom: --anchors ${tmp.file('empty')}: no anchor logs (*${ANCHOR_SUFFIX}) in it`);
  });

  it('verifies a read-only copy (0444 file, 0555 folder) and writes nothing: no -wal, no -shm, same bytes', async () => {
    const { file, dir } = anchored(25);
    const ro = tmp.file(`ro-${++k}`);
    mkdirSync(ro);
    const copy = join(ro, 'control.db');
    copyFileSync(file, copy);
    chmodSync(copy, 0o444);
    chmodSync(ro, 0o555);
    const before = sha(copy);
    try {
      const r = await verify('--db', copy, '--anchors', dir);
      expect(r.err).toBe('');
      expect(r.code).toBe(0);
      expect(r.out).toMatch(/^audit trail intact up to seq 25 \(anchored at seq 25/);
      expect(readdirSync(ro)).toEqual(['control.db']);
      expect(sha(copy)).toBe(before);
    } finally {
      chmodSync(ro, 0o755);
    }
  });

  it('the runtime (serve --audit-anchor) anchors at start, every N records and at close; verify vouches for all of it', async () => {
    const base = tmp.file(`rt-${++k}`);
    const dir = join(base, 'worm');
    mkdirSync(dir, { recursive: true });
    const controlDb = join(base, 'control.db');
    const rt = await createRuntime({ scenario: 'default', db: null, controlDb, command: 'test', log: () => {}, auditAnchor: { dir, everyRecords: 5 } });
    for (let i = 0; i < 12; i++) rt.auditRefusal({ user: `u${i}`, role: 'viewer' }, 'control:override', 'viewers cannot act');
    await rt.close();
    const r = await verify('--db', controlDb, '--anchors', dir);
    expect(r.code, r.err).toBe(0);
    const n = Number(/intact up to seq (\d+)/.exec(r.out)?.[1]);
    expect(n).toBeGreaterThanOrEqual(3);
    expect(r.out).toMatch(new RegExp(`^audit trail intact up to seq ${n} \\(anchored at seq ${n}, `));
  });
});
