import { EventEmitter } from 'node:events';
import { Etcd3, type Lease, type Watcher } from 'etcd3';
import type { ControllerPeer, ControllerStatus, Failover } from '../../shared/domain/controller.js';
import { describeFailover, leaseStillHolds } from '../core/ha/fence.js';

export interface LeadershipOptions {
  /** etcd endpoints, e.g. ["http://127.0.0.1:2379"]. */
  endpoints: string[];
  /** This controller's id (unique in the set) and the URL clients reach its face at. */
  id: string;
  url: string;
  /** The set's name: its keys live under /headroom/<cluster>/. */
  cluster: string;
  /** The leader lease (s): how long after a leader stops answering another may lead. */
  ttlS: number;
  /**
   * etcd over TLS: the CA that signed etcd's certificate (PEM; absent: the system's roots, no client certificate) and
   * this controller's client certificate and key for a cluster that requires them (`--client-cert-auth`).
   */
  tls?: { ca?: string; cert?: string; key?: string };
  log: (line: string) => void;
  /** Monotonic clock (ms); default performance.now (a wall-clock step never extends a lease). */
  monoMs?: () => number;
}

interface PeerValue {
  id: string;
  url: string;
}

const decode = (b: Buffer | Uint8Array | null | undefined): PeerValue | null => {
  if (!b) return null;
  try {
    const v = JSON.parse(Buffer.from(b).toString('utf8')) as Partial<PeerValue>;
    return typeof v.id === 'string' && typeof v.url === 'string' ? { id: v.id.slice(0, 64), url: v.url.slice(0, 512) } : null;
  } catch {
    return null;
  }
};

/**
 * Leadership of a set of controllers, elected in etcd (the recipe of etcd's own `concurrency.Election`, on the
 * maintained `etcd3` client's lease, transaction, range and watch calls): each candidate holds a lease (TTL `ttlS`,
 * kept alive at a third of it) and creates `/headroom/<cluster>/leader/<lease id>` under it; the candidate whose key
 * has the lowest create revision leads; the others watch the key just before theirs and wait for it to go (its
 * lease lapsed, or it resigned). The leader's **epoch** is its key's create revision — an etcd revision, so every
 * later leader's is higher — and travels with every command to the agents (fencing, agent/epochFence.ts).
 * Each candidate also announces itself under `/peers/<id>` (same lease) with the URL of its face.
 *
 * `leading()` is the controller's own guard (core/ha/fence.ts): true only while this process leads AND its lease was
 * confirmed by etcd within the TTL less a margin, by a monotonic clock. A lost lease ends the lead at once and starts
 * a new campaign (a new lease: a new, higher epoch if it wins again). Events: `change` (status), `elected` (epoch),
 * `deposed` (why).
 */
export class Leadership extends EventEmitter {
  private readonly client: Etcd3;
  private readonly prefix: string;
  private readonly mono: () => number;
  private lease: Lease | null = null;
  private myKey: string | null = null;
  private myRev = 0;
  private confirmedMs = -Infinity;
  private role: ControllerStatus['role'] = 'connecting';
  private leader: PeerValue | null = null;
  private leaderEpoch: number | null = null;
  private leaderSinceMs: number | null = null;
  private peers: ControllerPeer[] = [];
  private readonly failovers: Failover[] = [];
  private watcher: Watcher | null = null;
  private reachable = false;
  private stopped = false;
  /** Not campaigning (see `withdraw`). */
  private withdrawn = false;
  /** When the previous leader's key vanished (monotonic ms; NaN: not seen). */
  private leaderGoneAtMono = NaN;
  private lastLeaderId: string | null = null;
  private leaderKeyName: string | null = null;
  /** Replication figures, filled in by the replicator (shown in the status). */
  replication: ControllerStatus['replication'] = { auditSeq: 0, stateAtMs: null, lagRecords: 0 };

  constructor(private readonly o: LeadershipOptions) {
    super();
    const t = o.tls;
    const credentials = t?.ca ? { rootCertificate: Buffer.from(t.ca), ...(t.cert && t.key ? { certChain: Buffer.from(t.cert), privateKey: Buffer.from(t.key) } : {}) } : undefined;
    this.client = new Etcd3({ hosts: o.endpoints, dialTimeout: 2_000, ...(credentials ? { credentials } : {}) });
    this.prefix = `/headroom/${o.cluster}/`;
    this.mono = o.monoMs ?? (() => performance.now());
  }

  get etcd(): Etcd3 {
    return this.client;
  }

  get keyPrefix(): string {
    return this.prefix;
  }

  /** This process's epoch while it leads (null otherwise). */
  get epoch(): number | null {
    return this.role === 'leader' ? this.myRev : null;
  }

  /** The leader key this process holds (for guarded writes), null when not leading. */
  get leaderKey(): string | null {
    return this.role === 'leader' ? this.myKey : null;
  }

  /** Whether this process may act now: it leads and its lease is confirmed recently enough (monotonic clock). */
  leading(): boolean {
    return this.role === 'leader' && !this.stopped && !this.withdrawn && leaseStillHolds(this.confirmedMs, this.o.ttlS * 1000, this.mono());
  }

  status(): ControllerStatus {
    return {
      self: this.o.id,
      role: this.role,
      leader: this.leader?.id ?? null,
      leaderUrl: this.leader?.url ?? null,
      epoch: this.leaderEpoch,
      sinceMs: this.leaderSinceMs,
      peers: this.peers,
      etcd: { endpoints: this.o.endpoints, reachable: this.reachable },
      failovers: [...this.failovers],
      replication: { ...this.replication },
    };
  }

  /**
   * Join the set: watch it, announce this controller, campaign (returns once the first campaign has its key). With
   * `campaign: false` it only watches (a controller whose copy of the state does not fit: see `withdraw`).
   */
  async start(o: { campaign?: boolean } = {}): Promise<void> {
    await this.watchSet();
    if (o.campaign === false) {
      this.withdrawn = true;
      this.setRole('standby');
      return;
    }
    await this.campaign();
  }

  /** Leave cleanly: revoke the lease, so that a standby leads at once instead of after the TTL. */
  async resign(): Promise<void> {
    this.stopped = true;
    const wasLeader = this.role === 'leader';
    this.role = 'standby';
    try {
      await this.lease?.revoke();
    } catch {
      /* etcd unreachable: the lease lapses by itself */
    }
    if (wasLeader) this.o.log(`controller ${this.o.id}: resigned the lead (lease revoked)`);
    await this.watcher?.cancel().catch(() => {});
    this.client.close();
  }

  /**
   * Stop keeping the lease alive without revoking it — what a crash or a partition from etcd does: the lease lapses
   * after its TTL and another controller leads. Used by the fault-injection tests; not by the service.
   */
  abandon(): void {
    this.stopped = true;
    this.lease?.release();
    void this.watcher?.cancel().catch(() => {});
  }

  /**
   * Stop campaigning (the lease revoked: if this controller led, another leads at once) but keep watching the set:
   * a standby whose copy of the state cannot be trusted (a fork being set aside, a newer schema) must not lead.
   */
  async withdraw(why: string): Promise<void> {
    this.withdrawn = true;
    const lease = this.lease;
    this.lease = null;
    this.myKey = null;
    const was = this.role;
    this.setRole('standby');
    await lease?.revoke().catch(() => {});
    this.o.log(`controller ${this.o.id}: not campaigning: ${why}`);
    if (was === 'leader') this.emit('deposed', `withdrew from the lead: ${why}`);
  }

  /** Campaign again after `withdraw`. */
  async rejoin(): Promise<void> {
    if (!this.withdrawn || this.stopped) return;
    this.withdrawn = false;
    await this.campaign();
  }

  private async campaign(): Promise<void> {
    while (!this.stopped && !this.withdrawn) {
      try {
        await this.campaignOnce();
        return;
      } catch (e) {
        // A lease granted before the failure would be kept alive by the client for ever, and a leader key written
        // under it (etcd may apply a write the client saw time out) would hold the lead for no one: revoke it.
        const orphan = this.lease;
        this.lease = null;
        this.myKey = null;
        await orphan?.revoke().catch(() => orphan.release());
        this.reachable = false;
        this.setRole('connecting');
        this.o.log(`controller ${this.o.id}: etcd: ${(e as Error).message}; retrying in 1 s`);
        await new Promise((r) => setTimeout(r, 1_000));
      }
    }
  }

  private async campaignOnce(): Promise<void> {
    const lease = this.client.lease(this.o.ttlS);
    this.lease = lease;
    // The lease runs from when etcd took the request, which is no earlier than when it was sent: a reply read late
    // (a frozen process, a blocked event loop) must not extend it.
    const askedMs = this.mono();
    const leaseId = await lease.grant();
    this.confirmedMs = askedMs;
    this.reachable = true;
    let firedMs = NaN;
    lease.on('keepaliveFired', () => (firedMs = this.mono()));
    lease.on('keepaliveSucceeded', () => {
      if (this.lease === lease && Number.isFinite(firedMs)) {
        this.confirmedMs = Math.max(this.confirmedMs, firedMs);
        this.reachable = true;
      }
    });
    lease.on('lost', (err: Error) => {
      if (this.lease !== lease || this.stopped) return;
      this.lease = null;
      const was = this.role;
      this.setRole('standby');
      this.myKey = null;
      if (was === 'leader') {
        this.o.log(`controller ${this.o.id}: DEPOSED: lost the lease of epoch ${this.myRev} (${err.message}); campaigning again`);
        this.emit('deposed', `lost the lease of epoch ${this.myRev}: ${err.message}`);
      }
      void this.campaign();
    });
    const me = JSON.stringify({ id: this.o.id, url: this.o.url });
    await this.client.put(`${this.prefix}peers/${this.o.id}`).value(me).lease(leaseId).exec();
    const key = `${this.prefix}leader/${leaseId}`;
    const r = await this.client.if(key, 'Create', '==', 0).then(this.client.put(key).value(me).lease(leaseId)).else(this.client.get(key)).commit();
    this.myKey = key;
    this.myRev = Number(r.succeeded ? r.header.revision : r.responses[0]!.response_range.kvs[0]!.create_revision);
    this.setRole('standby');
    void this.waitForLead(lease, key);
  }

  /** Wait until no key created before ours remains; then lead (unless the lease went meanwhile). */
  private async waitForLead(lease: Lease, key: string): Promise<void> {
    try {
      for (;;) {
        if (this.lease !== lease || this.stopped) return;
        const before = await this.client
          .getAll()
          .prefix(`${this.prefix}leader/`)
          .maxCreateRevision(String(this.myRev - 1))
          .sort('Create', 'Descend')
          .limit(1)
          .exec();
        if (before.kvs.length === 0) break;
        await this.waitDeleted(before.kvs[0]!.key.toString());
      }
      if (this.lease !== lease || this.stopped || this.myKey !== key) return;
      this.setRole('leader');
      this.o.log(`controller ${this.o.id}: ELECTED: leads from epoch ${this.myRev} (lease ${this.o.ttlS} s)`);
      this.emit('elected', this.myRev);
      await this.refresh();
    } catch (e) {
      if (this.lease !== lease || this.stopped) return;
      this.o.log(`controller ${this.o.id}: campaign interrupted (${(e as Error).message}); campaigning again`);
      this.lease = null;
      this.myKey = null;
      const was = this.role;
      this.setRole('standby');
      if (was === 'leader') this.emit('deposed', `campaign interrupted while leading: ${(e as Error).message}`);
      await lease.revoke().catch(() => {});
      await this.campaign();
    }
  }

  private async waitDeleted(key: string): Promise<void> {
    const w = await this.client.watch().key(key).create();
    try {
      await new Promise<void>((resolve, reject) => {
        w.on('delete', () => resolve());
        w.on('error', reject);
        // The key may have gone between the range read and the watch: look once more.
        void this.client
          .get(key)
          .exec()
          .then((g) => {
            if (g.kvs.length === 0) resolve();
          }, reject);
      });
    } finally {
      await w.cancel().catch(() => {});
    }
  }

  /** Watch the whole set: leader and peers re-read on every change. */
  private async watchSet(): Promise<void> {
    this.watcher = await this.client.watch().prefix(this.prefix).create();
    const again = () => void this.refresh().catch(() => {});
    this.watcher.on('put', again);
    this.watcher.on('delete', (kv) => {
      if (kv.key.toString() === this.leaderKeyName) {
        this.leaderGoneAtMono = this.mono();
      }
      again();
    });
    this.watcher.on('connected', again);
    this.watcher.on('disconnected', () => {
      this.reachable = false;
      this.emit('change', this.status());
    });
    // A watch the server cancelled (compaction, etcd restarted): watch again, from now.
    this.watcher.on('error', (e: Error) => {
      if (this.stopped) return;
      this.o.log(`controller ${this.o.id}: watch of the set failed (${e.message}); watching again in 1 s`);
      const w = this.watcher;
      this.watcher = null;
      void w?.cancel().catch(() => {});
      setTimeout(() => void this.watchSet().catch((e2: Error) => this.o.log(`controller ${this.o.id}: ${e2.message}`)), 1_000).unref();
    });
    await this.refresh();
  }

  /** Re-read leader and peers from etcd; note a failover when the leader changed. */
  private async refresh(): Promise<void> {
    const [leaders, peers] = await Promise.all([
      this.client.getAll().prefix(`${this.prefix}leader/`).sort('Create', 'Ascend').limit(1).exec(),
      this.client.getAll().prefix(`${this.prefix}peers/`).exec(),
    ]);
    this.reachable = true;
    const top = leaders.kvs[0];
    const leader = top ? decode(top.value) : null;
    const epoch = top ? Number(top.create_revision) : null;
    if (leader && epoch !== this.leaderEpoch) {
      const from = this.lastLeaderId;
      const tookMs = Number.isFinite(this.leaderGoneAtMono) ? Math.round(this.mono() - this.leaderGoneAtMono) : null;
      this.leaderSinceMs = Date.now();
      if (this.leaderEpoch !== null || from !== null) {
        const why = from === leader.id ? 're-elected itself (new lease)' : 'lost its lease or resigned';
        const f: Failover = { atMs: Date.now(), from, to: leader.id, epoch: epoch!, what: describeFailover(from, leader.id, epoch!, why), tookMs };
        this.failovers.unshift(f);
        this.failovers.length = Math.min(this.failovers.length, 10);
        this.emit('failover', f);
      }
      this.lastLeaderId = leader.id;
      this.leaderGoneAtMono = NaN;
    }
    this.leader = leader;
    this.leaderEpoch = epoch;
    this.leaderKeyName = top ? top.key.toString() : null;
    this.peers = peers.kvs
      .map((kv) => decode(kv.value))
      .filter((p): p is PeerValue => p !== null)
      .map((p) => ({ id: p.id, url: p.url, role: p.id === leader?.id ? ('leader' as const) : ('standby' as const) }))
      .sort((a, b) => a.id.localeCompare(b.id));
    this.emit('change', this.status());
  }

  private setRole(role: ControllerStatus['role']): void {
    if (this.role === role) return;
    this.role = role;
    this.emit('change', this.status());
  }
}
