import { existsSync, renameSync } from 'node:fs';
import type { ControllerStatus } from '../../shared/domain/controller.js';
import type { FleetOptions } from '../app/plants.js';
import type { Runtime } from '../app/runtime.js';
import { EventBus } from '../engine/bus.js';
import type { Face } from '../server/server.js';
import type { DB } from '../store/db.js';
import { openControlDb } from '../store/controlDb.js';
import { ReplicaError, ReplicaSchemaError } from '../store/replica.js';
import { Leadership } from './leadership.js';
import { DEFAULT_AUDIT_KEEP, DeposedError, ReplicaBehindError, Replication } from './replication.js';
import { standbyHandlers } from './standbyFace.js';

/** Exit status of a controller that lost the lead while running: its supervisor (systemd) starts it again as a standby. */
export const EXIT_DEPOSED = 75;

export interface ControllerProcessOptions {
  id: string;
  /** Where clients reach this controller's face (announced to the set). */
  url: string;
  endpoints: string[];
  cluster: string;
  /** The etcd lease (s): a leader that stops answering is replaced after at most this long. */
  ttlS: number;
  /** etcd over TLS (Leadership's `tls`). */
  tls?: { ca?: string; cert?: string; key?: string };
  /** Audit records kept in etcd (default DEFAULT_AUDIT_KEEP). */
  auditKeep?: number;
  /** This controller's control.db (its replica of the set's operator state and audit chain). */
  controlDbFile: string;
  log: (line: string) => void;
  /** Start the engine, store and fleet once elected (createRuntime with these). */
  startRuntime: (ha: { fencing: NonNullable<FleetOptions['fencing']>; controller: { status: () => ControllerStatus }; bus: EventBus }) => Promise<Runtime>;
  /** The face clients get: the standby's until elected, then the runtime's. */
  onFace: (face: Face) => void;
  /** How a deposed controller leaves (default process.exit). */
  exit?: (code: number) => void;
  /** The faces' event bus (default: a new one). */
  bus?: EventBus;
}

/**
 * One controller of a redundant set (`headroom serve --controller`; docs/RELIABILITY.md "Controllers"). As a standby
 * it holds no engine: it follows the leader's audit chain and operator state into its own control.db (Replication)
 * and its face says who leads. Elected, it reads the last of the published copy, publishes anything of its own not
 * yet there, starts the runtime — fleet commands carrying its epoch and sent only while its lease holds —, audits
 * and alerts the failover, marks the telemetry gap, re-sends every host's setpoints, and from then on publishes each
 * new audit record and the state. Deposed while running (its lease lost, an agent or etcd refusing its epoch), it
 * stops acting at once and exits with EXIT_DEPOSED for its supervisor to start it again as a standby. SIGTERM
 * resigns cleanly: the last records published, the lease revoked, so a standby leads at once.
 */
export class ControllerProcess {
  readonly bus: EventBus;
  readonly lead: Leadership;
  private db: DB;
  private repl: Replication;
  private rt: Runtime | null = null;
  private publishing: Promise<void> | null = null;
  private publishAgain = false;
  private leaving = false;

  constructor(private readonly o: ControllerProcessOptions) {
    this.bus = o.bus ?? new EventBus();
    this.lead = new Leadership({ endpoints: o.endpoints, id: o.id, url: o.url, cluster: o.cluster, ttlS: o.ttlS, log: o.log, ...(o.tls ? { tls: o.tls } : {}) });
    this.db = openControlDb(o.controlDbFile);
    this.repl = new Replication(this.lead, this.db, o.log, { records: o.auditKeep ?? DEFAULT_AUDIT_KEEP, prune: 1_000 });
    this.lead.on('change', (s: ControllerStatus) => this.bus.emit('controller:changed', s));
    this.lead.on('elected', (epoch: number) => void this.takeOver(epoch));
    this.lead.on('deposed', (why: string) => this.deposed(why));
  }

  status(): ControllerStatus {
    return this.lead.status();
  }

  /** The face of a standby (who leads; everything else refused). */
  standbyFace(): Face {
    return { handlers: standbyHandlers(() => this.status()), ready: false };
  }

  /**
   * Catch up with the published copy (a forked control.db set aside first), follow it, then campaign — unless the
   * published state does not fit this controller (a newer schema): then it only watches, and says why.
   */
  async start(): Promise<void> {
    const { revision, unfit } = await this.catchUp();
    await this.repl.follow(revision, (e) => void this.replicaProblem(e));
    await this.lead.start({ campaign: !unfit });
    if (unfit) this.o.log(`controller ${this.o.id}: not campaigning: ${unfit}`);
  }

  private async catchUp(): Promise<{ revision: string; unfit: string | null }> {
    try {
      return { revision: (await this.repl.catchUp()).revision, unfit: null };
    } catch (e) {
      if (e instanceof ReplicaSchemaError || e instanceof ReplicaBehindError) return { revision: (await this.lead.etcd.get(`${this.lead.keyPrefix}state`).exec()).header.revision, unfit: e.message };
      if (!(e instanceof ReplicaError)) throw e;
      this.moveAside(e.message);
      return { revision: (await this.repl.catchUp()).revision, unfit: null };
    }
  }

  /** Following found a fork (set the file aside, start again from the published copy) or a state that does not fit. */
  private async replicaProblem(e: Error): Promise<void> {
    if (this.leaving) return;
    try {
      await this.lead.withdraw(e.message);
      if (e instanceof ReplicaSchemaError || e instanceof ReplicaBehindError) {
        this.o.log(`controller ${this.o.id}: ${e.message}: standing by without campaigning`);
        return;
      }
      this.moveAside(e.message);
      const { revision, unfit } = await this.catchUp();
      await this.repl.follow(revision, (e2) => void this.replicaProblem(e2));
      if (!unfit) await this.lead.rejoin();
    } catch (e2) {
      this.o.log(`controller ${this.o.id}: replication: ${(e2 as Error).message}`);
    }
  }

  /** SIGTERM: hand over cleanly. */
  async stop(): Promise<void> {
    this.leaving = true;
    this.o.onFace(this.standbyFace());
    const rt = this.rt;
    this.rt = null;
    const t0 = performance.now();
    if (rt) {
      await rt.close();
      await this.flush().catch((e: Error) => this.o.log(`controller ${this.o.id}: last records not published: ${e.message}`));
    }
    const t1 = performance.now();
    await this.repl.stopFollowing();
    await this.lead.resign();
    this.db.close();
    if (rt) this.o.log(`controller ${this.o.id}: handed over: runtime closed and its last records published in ${Math.round(t1 - t0)} ms, lease revoked in ${Math.round(performance.now() - t1)} ms`);
  }

  private async takeOver(epoch: number): Promise<void> {
    try {
      await this.becomeLeader(epoch);
    } catch (e) {
      // Half a leader is worse than none: whatever failed, hand over.
      this.deposed(`taking the lead failed: ${(e as Error).message}`);
    }
  }

  private async becomeLeader(epoch: number): Promise<void> {
    const log = this.o.log;
    try {
      await this.repl.stopFollowing();
      await this.repl.catchUp();
      // Records of this file the set has not seen (the first leader of a set, with a control.db of its own).
      await this.repl.publish();
    } catch (e) {
      this.deposed(`cannot take the lead from the published copy: ${(e as Error).message}`);
      return;
    }
    const t0 = performance.now();
    const rt = await this.o.startRuntime({
      fencing: { epoch: () => this.lead.epoch ?? undefined, mayAct: () => this.lead.leading() && !this.leaving, onFenced: (host, err) => this.deposed(`agent ${host} refused epoch ${epoch}: ${err}`) },
      controller: { status: () => this.status() },
      bus: this.bus,
    });
    if (!this.lead.leading()) {
      await rt.close();
      this.deposed(`lost the lead while starting (epoch ${epoch})`);
      return;
    }
    this.rt = rt;
    const s = this.status();
    const f = s.failovers.find((x) => x.to === this.o.id && x.epoch === epoch) ?? null;
    const from = f?.from ?? null;
    const what = f?.what ?? `${this.o.id} leads from epoch ${epoch}`;
    rt.audit.append({ actor: 'system', kind: 'controller', target: `controller ${this.o.id}`, oldValue: from ? `${from} led` : 'no leader', newValue: `${this.o.id} leads, epoch ${epoch}`, reason: what, outcome: 'ok' }, rt.engine.nowMs);
    if (from && from !== this.o.id) {
      rt.engine.controllerFailover = { what, atMs: rt.engine.nowMs, leader: this.o.id };
      // This controller's telemetry starts here: the leader before it kept its own (a gap in this store's history).
      rt.engine.note({ kind: 'gap', subject: 'site', body: { reason: 'controller failover', from, to: this.o.id, epoch, tookMs: f?.tookMs ?? null } });
    }
    rt.bus.on('audit:appended', () => this.schedulePublish());
    this.schedulePublish();
    rt.fleet?.actuator.reapplyAll(`controller ${this.o.id} took the lead at epoch ${epoch}`);
    rt.runner.start();
    this.o.onFace({ handlers: rt.handlers, onRefused: rt.auditRefusal, roles: rt.roles, ready: true });
    log(`controller ${this.o.id}: serving as leader (runtime up in ${Math.round(performance.now() - t0)} ms)`);
  }

  /**
   * Publish new records and the state; one publication at a time, coalesced. Never from inside the append: a record
   * appended within an operator's transaction (the override and its record together) is committed when the caller's
   * transaction ends, later in this same turn — so the read waits for the next turn of the event loop.
   */
  private schedulePublish(): void {
    if (this.publishing) {
      this.publishAgain = true;
      return;
    }
    this.publishing = new Promise<void>((next) => setImmediate(next))
      .then(() => this.flush())
      .catch((e: Error) => {
        if (e instanceof DeposedError) this.deposed(e.message);
        else this.o.log(`controller ${this.o.id}: publishing to etcd failed (${e.message}); retrying with the next record`);
      })
      .finally(() => {
        this.publishing = null;
        if (this.publishAgain) {
          this.publishAgain = false;
          this.schedulePublish();
        }
      });
  }

  private async flush(): Promise<void> {
    await this.repl.publish();
  }

  private deposed(why: string): void {
    if (this.leaving) return;
    this.leaving = true;
    this.o.log(`controller ${this.o.id}: DEPOSED: ${why}. Acting stopped; exiting (${EXIT_DEPOSED}) to start again as a standby`);
    this.rt?.runner.stop();
    // Revoke the lease if it still holds (a standby then leads at once instead of after the TTL); at most 1 s.
    const exit = this.o.exit ?? ((c: number) => process.exit(c));
    void Promise.race([this.lead.resign().catch(() => {}), new Promise((r) => setTimeout(r, 1_000))]).then(() => exit(EXIT_DEPOSED));
  }

  /** This control.db forked from the published chain: kept aside for whoever investigates, a fresh replica started. */
  private moveAside(why: string): void {
    const file = this.o.controlDbFile;
    const aside = `${file}.forked-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    this.db.close();
    for (const ext of ['', '-wal', '-shm']) if (existsSync(file + ext)) renameSync(file + ext, aside + ext);
    this.o.log(`controller ${this.o.id}: ${why}; kept it as ${aside} and starting from the published copy`);
    this.db = openControlDb(file);
    this.repl = new Replication(this.lead, this.db, this.o.log, { records: this.o.auditKeep ?? DEFAULT_AUDIT_KEEP, prune: 1_000 });
  }
}
