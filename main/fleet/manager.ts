import { SourceConfigSchema, type SourceConfig, type SourcesView, type SourceTestResult } from '../../shared/domain/sources.js';
import type { Actor } from '../../shared/domain/control.js';
import type { AgentActuator } from './agentActuator.js';
import { describeCert, type TlsIdentity } from '../pki/certs.js';
import type { AuditSink, SourcesState } from '../core/ports.js';
import { RefusalError } from '../core/ports.js';
import { AgentLink } from './agentLink.js';
import { DcgmFeed } from '../sources/dcgmFeed.js';
import type { FleetSource } from './fleetSource.js';
import type { Feed } from '../core/source.js';
import { PromFeed } from '../sources/promFeed.js';
import { configProblems, type ConfigProblem, type ReportedGpu } from '../core/configSanity.js';
import type { AuditHead, Hello } from '../../shared/agentProtocol.js';
import type { Countersigned } from '../pki/countersig.js';

export interface SourceManagerOptions {
  fleet: FleetSource;
  actuator: AgentActuator;
  /** The console's client identity for agents; an error text when it could not be loaded. */
  identity: TlsIdentity | { error: string };
  inventoryFile: string;
  /** Where added sources persist (control.db in the app). */
  store: SourcesState;
  audit: AuditSink;
  now: () => number;
  log?: (line: string) => void;
  /** The configuration's problems changed (checked at every agent hello; the engine's configSanity alert reads them). */
  onConfigProblems?: (problems: readonly ConfigProblem[]) => void;
  /**
   * The audit trail's committed head, carried by every command to every agent, and where the agents'
   * countersignatures of it go (control.db). Absent: agents are shown the empty trail's head (tests).
   */
  auditHeads?: { head: () => AuditHead; countersigned: (c: Countersigned) => void };
  /** The controller's leadership epoch carried by every command (`serve --controller`); absent: none. */
  epoch?: () => number | undefined;
}

/**
 * Settings → Sources for a real fleet: adds, tests and removes agents, dcgm-exporters and Prometheus servers, keeps
 * them in control.db (so a restart brings them back) and audits every change. An agent must be a host the inventory
 * lists; all sources feed the one FleetSource, and agents are attached to the actuator so setpoints reach them.
 */
export class SourceManager {
  private readonly configs = new Map<string, SourceConfig>();
  /** What each GPU's agent reported in its last hello (null: not yet). */
  private readonly reported: Array<ReportedGpu | null>;
  private problemTexts = new Set<string>();

  constructor(private readonly o: SourceManagerOptions) {
    this.reported = new Array<ReportedGpu | null>(o.fleet.inventory.topology.gpuCount).fill(null);
  }

  /** An agent said hello: record its GPUs' limits and safe caps, re-check the configuration, warn about what is new. */
  private hello(h: Hello): void {
    const inv = this.o.fleet.inventory;
    for (const g of h.gpus) {
      const i = inv.gpuIndex(h.host, g.uuid);
      if (i !== undefined) this.reported[i] = { minLimitW: g.minLimitW, maxLimitW: g.maxLimitW, defaultLimitW: g.defaultLimitW, name: g.name, safeCapW: g.safeCapW ?? h.state.safeCapW };
    }
    const problems = configProblems(inv.topology, this.reported);
    const texts = new Set(problems.map((p) => p.text));
    for (const t of texts) if (!this.problemTexts.has(t)) this.o.log?.(`warning: ${t}`);
    this.problemTexts = texts;
    this.o.onConfigProblems?.(problems);
  }

  /** Start the sources saved in control.db, then those from a sources file that are not saved yet. */
  startSaved(fromFile: readonly SourceConfig[] = []): void {
    const rows = this.o.store.list();
    for (const r of rows) {
      const parsed = SourceConfigSchema.safeParse(JSON.parse(r.body));
      if (!parsed.success) {
        this.o.log?.(`sources: saved source "${r.id}" is no longer valid and was not started: ${parsed.error.issues[0]?.message}`);
        continue;
      }
      this.start(parsed.data);
    }
    for (const c of fromFile) if (!this.configs.has(c.id)) this.start(c);
  }

  view(): SourcesView {
    const health = new Map(this.o.fleet.health().map((h) => [h.id, h]));
    const inv = this.o.fleet.inventory;
    const id = this.o.identity;
    let identity: SourcesView['identity'];
    if ('error' in id) identity = id;
    else {
      const d = describeCert(id.cert);
      identity = { subject: d.subject, scopes: d.scopes, notAfter: d.notAfter };
    }
    return {
      mode: 'fleet',
      sources: [...this.configs.values()].map((config) => ({
        config,
        health: health.get(config.id) ?? { id: config.id, kind: config.kind, state: 'down', lastSampleAgeMs: 0, errors: 0 },
      })),
      inventory: { file: this.o.inventoryFile, hosts: inv.hosts.size, gpus: inv.topology.gpuCount },
      identity,
    };
  }

  async test(config: SourceConfig): Promise<SourceTestResult> {
    this.check(config, false);
    switch (config.kind) {
      case 'agent':
        return AgentLink.test(config, this.identity());
      case 'dcgm':
        return DcgmFeed.test(config);
      case 'prometheus':
        return PromFeed.test(config);
    }
  }

  add(config: SourceConfig, reason: string, actor: Actor): SourcesView {
    this.check(config, true);
    // Stored and audited together, before the feed starts: a source is never running unrecorded.
    this.o.store.transaction(() => {
      this.o.store.save(config.id, JSON.stringify(config), actor.user, this.o.now());
      this.o.audit.append({ actor, kind: 'source', target: `source ${config.id}`, oldValue: '', newValue: JSON.stringify(config), reason, outcome: 'ok' }, this.o.now());
    });
    this.start(config);
    return this.view();
  }

  async remove(id: string, reason: string, actor: Actor): Promise<SourcesView> {
    const config = this.configs.get(id);
    if (!config) throw new RefusalError(`no source "${id}"`);
    this.o.store.transaction(() => {
      this.o.store.delete(id);
      this.o.audit.append({ actor, kind: 'source', target: `source ${id}`, oldValue: JSON.stringify(config), newValue: '', reason, outcome: 'ok' }, this.o.now());
    });
    this.configs.delete(id);
    if (config.kind === 'agent') this.o.actuator.detach(config.host);
    await this.o.fleet.removeFeed(id);
    return this.view();
  }

  async close(): Promise<void> {
    await this.o.fleet.close();
  }

  private identity(): TlsIdentity {
    const id = this.o.identity;
    if ('error' in id) throw new RefusalError(`agents need the console's certificate: ${id.error}`);
    return id;
  }

  private check(config: SourceConfig, adding: boolean): void {
    if (adding && this.configs.has(config.id)) throw new RefusalError(`a source with id "${config.id}" already exists`);
    if (config.kind === 'agent') {
      if (!this.o.fleet.inventory.hosts.has(config.host)) throw new RefusalError(`host "${config.host}" is not in the inventory (${this.o.inventoryFile})`);
      const dup = [...this.configs.values()].find((c) => c.kind === 'agent' && c.host === config.host);
      if (adding && dup) throw new RefusalError(`host "${config.host}" already has agent source "${dup.id}"`);
      this.identity();
    }
  }

  private start(config: SourceConfig): void {
    let feed: Feed;
    if (config.kind === 'agent') {
      const id = this.o.identity;
      if ('error' in id) {
        this.o.log?.(`sources: agent "${config.id}" not started: ${id.error}`);
        return;
      }
      const act = this.o.actuator;
      const link = new AgentLink(config, {
        identity: id,
        audit: this.o.auditHeads,
        ...(this.o.epoch ? { epoch: this.o.epoch } : {}),
        onHello: (l, h, restarted) => {
          this.hello(h);
          act.onHello(l, h, restarted);
        },
      });
      act.attach(link);
      feed = link;
    } else if (config.kind === 'dcgm') feed = new DcgmFeed(config);
    else feed = new PromFeed(config);
    this.configs.set(config.id, config);
    this.o.fleet.addFeed(feed);
  }
}
