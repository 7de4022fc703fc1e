import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Leadership } from '../../../main/ha/leadership.js';
import { DeposedError, ReplicaBehindError, Replication } from '../../../main/ha/replication.js';
import { AuditTrail } from '../../../main/store/audit.js';
import { openControlDb } from '../../../main/store/controlDb.js';
import { auditHeadOf, ReplicaError, ReplicaSchemaError } from '../../../main/store/replica.js';
import { saveRow } from '../../../main/store/control.js';
import { EtcdProcess } from './etcdHarness.js';

/**
 * Leadership and replication on a real etcd (Debian etcd-server, started here on loopback): one leader among three,
 * a higher epoch for every new leader, takeover at once on resignation and after the TTL on a crash, a deposed
 * leader's writes refused by etcd, and a standby's control.db following the leader's audit chain and state.
 */
const etcd = new EtcdProcess();
let url = '';
let n = 0;
const live: Leadership[] = [];
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  url = await etcd.begin();
}, 60_000);
afterAll(async () => {
  for (const l of live) await l.resign().catch(() => {});
  await etcd.end();
});

function set(ids: string[], ttlS = 2): Leadership[] {
  const cluster = `t${n++}`;
  const ls = ids.map((id) => new Leadership({ endpoints: [url], id, url: `http://127.0.0.1/${id}`, cluster, ttlS, log: () => {} }));
  live.push(...ls);
  return ls;
}

async function until<T>(f: () => T | undefined | null | false, ms: number): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = f();
    if (v) return v;
    if (Date.now() > end) throw new Error(`not within ${ms} ms`);
    await sleep(25);
  }
}

describe('Leadership on etcd', () => {
  it('elects exactly one leader; every controller agrees who and at which epoch', async () => {
    const ls = set(['a', 'b', 'c']);
    for (const l of ls) await l.start();
    const leader = await until(() => ls.find((l) => l.leading()), 5_000);
    await until(() => ls.every((l) => l.status().leader === leader.status().self), 5_000);
    expect(ls.filter((l) => l.leading())).toHaveLength(1);
    expect(new Set(ls.map((l) => l.status().epoch))).toEqual(new Set([leader.epoch]));
    await until(() => leader.status().peers.length === 3, 5_000);
    expect(leader.status().peers.map((p) => [p.id, p.role])).toEqual([
      ['a', leader.status().self === 'a' ? 'leader' : 'standby'],
      ['b', leader.status().self === 'b' ? 'leader' : 'standby'],
      ['c', leader.status().self === 'c' ? 'leader' : 'standby'],
    ]);
  }, 20_000);

  it('a resignation hands over at once, to a higher epoch, and the failover is recorded', async () => {
    const ls = set(['a', 'b', 'c']);
    for (const l of ls) await l.start();
    const first = await until(() => ls.find((l) => l.leading()), 5_000);
    const e1 = first.epoch!;
    const t0 = Date.now();
    await first.resign();
    const next = await until(() => ls.find((l) => l !== first && l.leading()), 5_000);
    expect(Date.now() - t0).toBeLessThan(2_000);
    expect(next.epoch!).toBeGreaterThan(e1);
    const f = await until(() => next.status().failovers[0], 2_000);
    expect(f).toMatchObject({ from: first.status().self, to: next.status().self, epoch: next.epoch });
  }, 20_000);

  it('a crashed leader (no keepalives, no revoke) is replaced after its TTL, not before', async () => {
    const ls = set(['a', 'b'], 2);
    for (const l of ls) await l.start();
    const first = await until(() => ls.find((l) => l.leading()), 5_000);
    const other = ls.find((l) => l !== first)!;
    const t0 = Date.now();
    first.abandon(); // the process is gone: its lease is left to lapse
    await until(() => other.leading(), 8_000);
    const took = Date.now() - t0;
    expect(took).toBeGreaterThan(1_000);
    expect(took).toBeLessThan(6_000);
    // Its own guard: it no longer believes it may act once the TTL (less the margin) has passed unconfirmed.
    await until(() => !first.leading(), 3_000);
  }, 20_000);
});

describe('Replication through etcd', () => {
  it('a standby follows the leader’s chain and state; a deposed leader’s writes are refused', async () => {
    const [la, lb] = set(['a', 'b'], 2);
    const dbA = openControlDb(':memory:');
    const dbB = openControlDb(':memory:');
    const ra = new Replication(la!, dbA, () => {});
    const rb = new Replication(lb!, dbB, () => {});
    await la!.start();
    await until(() => la!.leading(), 5_000);
    await lb!.start();
    const caught = await rb.catchUp();
    const problems: Error[] = [];
    await rb.follow(caught.revision, (e) => problems.push(e));
    const trail = new AuditTrail(dbA);
    for (let i = 0; i < 130; i++) trail.append({ actor: { user: 'ana', role: 'operator' }, kind: 'override', target: `rack r${i}`, oldValue: '', newValue: 'cap', reason: 'x', outcome: 'ok' }, i);
    saveRow(dbA, { rowId: 'A', automation: false, manualBrake: null }, 1);
    expect(await ra.publish()).toBe(130); // more than one etcd transaction's worth
    await until(() => auditHeadOf(dbB).seq === 130, 5_000);
    expect(auditHeadOf(dbB)).toEqual(auditHeadOf(dbA));
    await until(() => dbB.prepare('SELECT automation FROM control_rows WHERE row_id = ?').pluck().get('A') === 0, 5_000);
    // a's lease goes (crash); b leads; a, still believing for a moment, cannot write to the shared copy.
    la!.abandon();
    await until(() => lb!.leading(), 8_000);
    await rb.stopFollowing();
    const stale = new Replication(la!, dbA, () => {});
    await expect(stale.publish()).rejects.toThrow();
    // b continues the chain from a's last record and publishes it under its own epoch.
    new AuditTrail(dbB).append({ actor: 'system', kind: 'controller', target: 'controller b', oldValue: 'a led', newValue: 'b leads', reason: 'failover', outcome: 'ok' }, 0);
    await expect(rb.publish()).resolves.toBe(1);
    expect(problems).toEqual([]);
  }, 30_000);

  it('a standby whose file holds records the set never published, or that forks while following, is told; a state that does not fit too', async () => {
    const [la, lb] = set(['a', 'b'], 2);
    const dbA = openControlDb(':memory:');
    const ra = new Replication(la!, dbA, () => {});
    await la!.start();
    await until(() => la!.leading(), 5_000);
    const trailA = new AuditTrail(dbA);
    const rec = (who: string) => ({ actor: { user: who, role: 'operator' as const }, kind: 'override' as const, target: 'rack r1', oldValue: '', newValue: 'cap', reason: 'x', outcome: 'ok' as const });
    trailA.append(rec('ana'), 0);
    await ra.publish();
    // b's file: the published record, then one of its own the set never saw (it led, was deposed before publishing).
    const dbB = openControlDb(':memory:');
    const rb = new Replication(lb!, dbB, () => {});
    await rb.catchUp();
    new AuditTrail(dbB).append(rec('eve'), 0);
    await expect(new Replication(lb!, dbB, () => {}).catchUp()).rejects.toThrow(/never published/);
    // A clean copy follows; then its file is made to fork (a record of its own at the next seq): the leader's next
    // record is refused as a fork and following stops, with the problem said.
    const dbC = openControlDb(':memory:');
    const rc = new Replication(lb!, dbC, () => {});
    const problems: Error[] = [];
    await rc.follow((await rc.catchUp()).revision, (e) => problems.push(e));
    new AuditTrail(dbC).append(rec('mallory'), 0);
    trailA.append(rec('ana'), 1);
    await ra.publish();
    await until(() => problems.length > 0, 5_000);
    expect(problems[0]).toBeInstanceOf(ReplicaError);
    expect(problems[0]!.message).toMatch(/fork/);
    // A state with a column this controller does not have (a newer leader): said as such, nothing crashes.
    const dbD = openControlDb(':memory:');
    const rd = new Replication(lb!, dbD, () => {});
    const dProblems: Error[] = [];
    await rd.follow((await rd.catchUp()).revision, (e) => dProblems.push(e));
    const state = JSON.parse((await la!.etcd.get(`${la!.keyPrefix}state`).string())!) as { tables: Record<string, unknown[]> };
    state.tables.control_meta = [{ key: 'x', value: 'y', added_in_v2: 1 }];
    await la!.etcd.put(`${la!.keyPrefix}state`).value(JSON.stringify(state));
    await until(() => dProblems.length > 0, 5_000);
    expect(dProblems[0]).toBeInstanceOf(ReplicaSchemaError);
    expect(dProblems[0]!.message).toMatch(/added_in_v2/);
  }, 30_000);

  it('the leader keeps only the latest records in etcd; a controller whose chain ends before them is told to be seeded', async () => {
    const [la, lb] = set(['a', 'b'], 2);
    const dbA = openControlDb(':memory:');
    const ra = new Replication(la!, dbA, () => {}, { records: 50, prune: 10 });
    await la!.start();
    await until(() => la!.leading(), 5_000);
    // A standby that follows from the start keeps up whatever is pruned behind it.
    const dbB = openControlDb(':memory:');
    const rb = new Replication(lb!, dbB, () => {});
    const problems: Error[] = [];
    await rb.follow((await rb.catchUp()).revision, (e) => problems.push(e));
    const trail = new AuditTrail(dbA);
    for (let i = 0; i < 130; i++) {
      trail.append({ actor: { user: 'ana', role: 'operator' }, kind: 'override', target: `rack r${i}`, oldValue: '', newValue: 'cap', reason: 'x', outcome: 'ok' }, i);
      if (i % 20 === 19) await ra.publish();
    }
    await ra.publish();
    const keys = await la!.etcd.getAll().prefix(`${la!.keyPrefix}audit/`).keys();
    expect(keys.length).toBeGreaterThanOrEqual(50);
    expect(keys.length).toBeLessThan(50 + 10 + 20);
    await until(() => auditHeadOf(dbB).seq === 130, 5_000);
    expect(problems).toEqual([]);
    // A new controller with an empty control.db cannot rebuild the chain from what is kept: told, not set aside.
    const dbC = openControlDb(':memory:');
    await expect(new Replication(lb!, dbC, () => {}).catchUp()).rejects.toThrow(ReplicaBehindError);
    expect(auditHeadOf(dbC).seq).toBe(0);
  }, 30_000);

  it('publish refuses outright when this controller does not lead', async () => {
    const [l] = set(['x'], 2);
    await expect(new Replication(l!, openControlDb(':memory:'), () => {}).publish()).rejects.toThrow(DeposedError);
  });
});
