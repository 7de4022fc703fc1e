import { Range, type Watcher } from 'etcd3';
import { z } from 'zod';
import { AUDIT_KIND_VALUES } from '../../shared/domain/control.js';
import type { DB } from '../store/db.js';
import { applyStateSnapshot, auditHeadOf, auditRecordAt, auditRecordsAfter, importAuditRecords, REPLICATED_TABLES, ReplicaError, ReplicaSchemaError, stateSnapshot } from '../store/replica.js';
import type { Leadership } from './leadership.js';

const Hash = z.string().regex(/^[0-9a-f]{64}$/);
const AuditRecordWire = z.object({
  seq: z.number().int().positive(),
  atMs: z.number().int(),
  simMs: z.number().int(),
  actor: z.string().max(4000),
  role: z.enum(['viewer', 'operator', 'admin', 'system']),
  kind: z.enum(AUDIT_KIND_VALUES),
  target: z.string().max(4000),
  oldValue: z.string().max(4000),
  newValue: z.string().max(4000),
  reason: z.string().max(4000),
  outcome: z.enum(['ok', 'refused', 'failed']),
  prevHash: Hash,
  hash: Hash,
});
const Cell = z.union([z.string(), z.number(), z.null()]);
const StateWire = z.object({
  atMs: z.number(),
  epoch: z.number().int(),
  tables: z.object(Object.fromEntries(REPLICATED_TABLES.map((t) => [t, z.array(z.record(z.string().regex(/^[a-z_]{1,64}$/), Cell))])) as Record<(typeof REPLICATED_TABLES)[number], z.ZodArray<z.ZodRecord<z.ZodString, typeof Cell>>>),
});

/** etcd's default limit on operations in one transaction is 128: a batch stays below it. */
const OPS_PER_TXN = 100;
const seqKey = (seq: number) => String(seq).padStart(16, '0');

/** Audit records the set keeps in etcd by default (`serve --controller --etcd-audit-keep`). */
export const DEFAULT_AUDIT_KEEP = 100_000;

/**
 * This controller's chain ends before the oldest record the set still keeps in etcd (it was away longer than the
 * set keeps records, or it is new with an empty control.db on a set with a long chain): it cannot catch up from etcd
 * and must be seeded with a copy of a peer's control.db. Not a fork: its file is kept as it is.
 */
export class ReplicaBehindError extends Error {
  override readonly name = 'ReplicaBehindError';
}

/** The leader's writes were refused: its leader key is gone or is another's (it was deposed). */
export class DeposedError extends Error {
  override readonly name = 'DeposedError';
}

/**
 * Replication of control.db through etcd (docs/RELIABILITY.md "Controllers"). The leader publishes every new audit
 * record under `/headroom/<cluster>/audit/<seq>` and a copy of the operator state under `…/state`, each write in a
 * transaction guarded by its own leader key's create revision (its epoch): a deposed leader's writes fail, so the
 * shared copy is fenced like the agents are. Standbys read everything after their own head at start, then follow
 * the prefix with a watch and write what arrives into their own control.db (audit records verbatim, checked link by
 * link; the state tables replaced whole), so the controller that takes over starts from the chain and the state its
 * predecessor published. A controller whose own chain disagrees with the published one (it was deposed with records
 * it never published) is told so (ReplicaError) and must not lead from that file.
 */
export class Replication {
  private watcher: Watcher | null = null;
  private published = 0;
  /** Records below this seq are no longer kept in etcd (this leader pruned them). */
  private prunedBelow = 0;
  private readonly auditPrefix: string;
  private readonly stateKey: string;

  constructor(
    private readonly lead: Leadership,
    private readonly db: DB,
    private readonly log: (line: string) => void,
    /**
     * How many of the latest audit records the set keeps in etcd (older ones are deleted by the leader, `prune`
     * records at a time): etcd's space stays bounded (its default quota is 2 GB; 100,000 records are ~60 MB). A
     * controller whose chain ends before what is kept cannot catch up from etcd (ReplicaBehindError).
     */
    private readonly keep = { records: DEFAULT_AUDIT_KEEP, prune: 1_000 },
  ) {
    this.auditPrefix = `${lead.keyPrefix}audit/`;
    this.stateKey = `${lead.keyPrefix}state`;
  }

  /** The last seq published (leader) or held (standby). */
  get headSeq(): number {
    return auditHeadOf(this.db).seq;
  }

  /**
   * Bring this control.db up to the published copy: records after its head, then the state. Returns the etcd
   * revision read at and the last published seq. Throws ReplicaError when this file's chain is not the published one.
   */
  async catchUp(): Promise<{ revision: string; publishedSeq: number }> {
    const etcd = this.lead.etcd;
    const head = auditHeadOf(this.db);
    const last = await etcd.getAll().prefix(this.auditPrefix).sort('Key', 'Descend').limit(1).exec();
    const top = last.kvs[0] ? AuditRecordWire.parse(JSON.parse(last.kvs[0].value.toString())) : null;
    const publishedSeq = top?.seq ?? 0;
    if (head.seq > 0 && publishedSeq > 0) {
      // This file's record where the two chains meet must be the published one.
      const at = Math.min(head.seq, publishedSeq);
      const kv = at === publishedSeq ? last.kvs[0] : (await etcd.get(`${this.auditPrefix}${seqKey(at)}`).exec()).kvs[0];
      const theirs = kv ? AuditRecordWire.parse(JSON.parse(kv.value.toString())) : null;
      const mine = auditRecordAt(this.db, at);
      if (theirs && mine && theirs.hash !== mine.hash) throw new ReplicaError(`this control.db's audit record ${at} differs from the published one: it forked (records written by a deposed leader)`);
      // Records beyond the published chain were written by a leader that never published them: the set continued
      // without them, so they are a fork in the making (the first leader of a new set, with etcd empty, seeds instead).
      if (head.seq > publishedSeq) throw new ReplicaError(`this control.db holds audit records ${publishedSeq + 1}–${head.seq} the set never published (written by a leader before it was deposed)`);
    }
    const res = await etcd
      .getAll()
      .inRange(new Range(`${this.auditPrefix}${seqKey(head.seq + 1)}`, Range.prefix(this.auditPrefix).end))
      .exec();
    const records = res.kvs.map((kv) => AuditRecordWire.parse(JSON.parse(kv.value.toString())));
    if (records.length > 0 && records[0]!.seq > head.seq + 1) {
      throw new ReplicaBehindError(
        `this control.db's audit chain ends at record ${head.seq}, and the set keeps records from ${records[0]!.seq} on in etcd: seed this controller with a copy of a peer's control.db (docs/RELIABILITY.md "Controllers")`,
      );
    }
    const added = importAuditRecords(this.db, records);
    await this.applyState((await etcd.get(this.stateKey).exec()).kvs[0]?.value);
    if (added) this.log(`controller: caught up ${added} audit records from the leader (head ${this.headSeq})`);
    this.published = Math.max(this.published, publishedSeq);
    this.lead.replication = { auditSeq: this.headSeq, stateAtMs: this.lead.replication.stateAtMs, lagRecords: Math.max(0, publishedSeq - this.headSeq) };
    return { revision: res.header.revision, publishedSeq };
  }

  /**
   * Standby: follow what the leader publishes (from `revision` on) into this control.db. A gap (an event missed) is
   * mended by reading the copy again; a fork or a state that does not fit this controller goes to `onProblem`, and
   * following stops: this file must not be patched further.
   */
  async follow(revision: string, onProblem: (e: Error) => void): Promise<void> {
    const w = await this.lead.etcd.watch().prefix(this.lead.keyPrefix).startRevision(String(BigInt(revision) + 1n)).create();
    this.watcher = w;
    const problem = (e: Error) => {
      if (this.watcher !== w) return;
      this.lead.replication = { ...this.lead.replication, lagRecords: Math.max(0, this.published - this.headSeq) };
      if (e instanceof ReplicaError && !/gap/.test(e.message)) {
        void this.stopFollowing();
        onProblem(e);
        return;
      }
      if (e instanceof ReplicaSchemaError || e instanceof ReplicaBehindError) {
        void this.stopFollowing();
        onProblem(e);
        return;
      }
      // A gap, a watch cancelled by the server, bad JSON: read the published copy again and follow from there.
      this.log(`controller: replication: ${e.message}; reading the published copy again`);
      void this.stopFollowing()
        .then(() => this.catchUp())
        .then((c) => this.follow(c.revision, onProblem))
        .catch((e2: Error) => (e2 instanceof ReplicaError || e2 instanceof ReplicaSchemaError || e2 instanceof ReplicaBehindError ? onProblem(e2) : this.log(`controller: replication: ${e2.message}`)));
    };
    w.on('error', (e: Error) => problem(e));
    w.on('put', (kv) => {
      const key = kv.key.toString();
      try {
        if (key === this.stateKey) void this.applyState(kv.value).catch(problem);
        else if (key.startsWith(this.auditPrefix)) {
          const rec = AuditRecordWire.parse(JSON.parse(kv.value.toString()));
          // Published by the leader: never to be published again by this controller.
          this.published = Math.max(this.published, rec.seq);
          importAuditRecords(this.db, [rec]);
          this.lead.replication = { ...this.lead.replication, auditSeq: this.headSeq, lagRecords: Math.max(0, this.published - this.headSeq) };
        }
      } catch (e) {
        problem(e as Error);
      }
    });
  }

  async stopFollowing(): Promise<void> {
    const w = this.watcher;
    this.watcher = null;
    await w?.cancel().catch(() => {});
  }

  /**
   * Leader: publish the records after the last published one and the state, guarded by the leader key. Throws
   * DeposedError when the guard fails (another leads).
   */
  async publish(): Promise<number> {
    const key = this.lead.leaderKey;
    const epoch = this.lead.epoch;
    if (key === null || epoch === null) throw new DeposedError('not the leader');
    const records = auditRecordsAfter(this.db, this.published);
    const etcd = this.lead.etcd;
    for (let i = 0; i < records.length; i += OPS_PER_TXN) {
      const batch = records.slice(i, i + OPS_PER_TXN);
      const r = await etcd
        .if(key, 'Create', '==', epoch)
        .then(...batch.map((rec) => etcd.put(`${this.auditPrefix}${seqKey(rec.seq)}`).value(JSON.stringify(rec))))
        .commit();
      if (!r.succeeded) throw new DeposedError(`etcd refused the write of audit records ${batch[0]!.seq}…: this controller's leader key (epoch ${epoch}) is gone`);
      this.published = batch[batch.length - 1]!.seq;
    }
    const state = { atMs: Date.now(), epoch, tables: stateSnapshot(this.db) };
    const s = await etcd.if(key, 'Create', '==', epoch).then(etcd.put(this.stateKey).value(JSON.stringify(state))).commit();
    if (!s.succeeded) throw new DeposedError(`etcd refused the write of the operator state: this controller's leader key (epoch ${epoch}) is gone`);
    this.lead.replication = { auditSeq: this.published, stateAtMs: state.atMs, lagRecords: 0 };
    await this.prune(key, epoch);
    return records.length;
  }

  /** Leader: delete the audit records older than the last `keep.records`, `keep.prune` at a time (guarded). */
  private async prune(key: string, epoch: number): Promise<void> {
    const below = this.published - this.keep.records + 1;
    if (below - this.prunedBelow < this.keep.prune) return;
    const etcd = this.lead.etcd;
    const r = await etcd
      .if(key, 'Create', '==', epoch)
      .then(etcd.delete().inRange(new Range(`${this.auditPrefix}${seqKey(0)}`, `${this.auditPrefix}${seqKey(below)}`)))
      .commit();
    if (!r.succeeded) throw new DeposedError(`etcd refused pruning audit records below ${below}: this controller's leader key (epoch ${epoch}) is gone`);
    this.prunedBelow = below;
  }

  /** Replace the state tables with the published copy (ReplicaSchemaError when it does not fit this controller). */
  private async applyState(value: Buffer | undefined): Promise<void> {
    if (!value) return;
    let parsed: unknown;
    try {
      parsed = JSON.parse(value.toString());
    } catch {
      throw new ReplicaSchemaError('the published operator state is not JSON');
    }
    const s = StateWire.safeParse(parsed);
    if (!s.success) throw new ReplicaSchemaError(`the published operator state does not validate (${s.error.issues[0]?.path.join('.')}: ${s.error.issues[0]?.message})`);
    applyStateSnapshot(this.db, s.data.tables);
    this.lead.replication = { ...this.lead.replication, stateAtMs: s.data.atMs };
  }
}
