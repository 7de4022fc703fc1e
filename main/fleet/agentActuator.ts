import type { CommandAction, Hello } from '../../shared/agentProtocol.js';
import type { Actuator } from '../core/ports.js';
import type { AgentLink } from './agentLink.js';
import type { Inventory } from './inventory.js';

export interface AgentActuatorOptions {
  /** How long a setpoint holds on the agent without renewal (ms). */
  leaseMs?: number;
  /** Log line for re-applies and failures. */
  log?: (line: string) => void;
  /**
   * Whether every GPU of a host has a fresh reading now (FleetSource.hostFresh). A re-apply to a host that is not
   * fresh loosens nothing (see `reapply`). Default: always fresh.
   */
  fresh?: (host: string) => boolean;
  /**
   * Whether this console may act now (`serve --controller`: only while it leads, by its own lease's clock). When it
   * may not, nothing is sent — no command, no renewal — and setpoints are only remembered. Default: always.
   */
  mayAct?: () => boolean;
  /** An agent refused a command as coming from a deposed leader (`stale-epoch`): this console must stop leading. */
  onFenced?: (host: string, error: string) => void;
  /**
   * A controller taking over from another (`serve --controller`): a host whose lease is still held — by the previous
   * leader's setpoints — and for which this one has asked nothing yet gets a bare renewal at once, under the new
   * epoch: the setpoints in force stay in force (no lapse to the safe cap during a hand-over) and the old leader is
   * fenced off at that agent from then on. Default off: a restarted single console lets such a lease lapse.
   */
  claimLeases?: boolean;
}

/**
 * What the control service has asked of one GPU. A channel it never set is `undefined`: the console does not know
 * better than the agent, so it leaves the GPU where the agent holds it (its safe cap after a start) and the control
 * service adopts that as its starting point from read-back.
 */
interface Setpoint {
  limitW?: number;
  /** 0 = no lock. */
  lockMHz?: number;
  brake?: boolean;
}

/** Refusals a re-send cannot fix (certificate scope, read-only agent, values the agent refuses, a refused audit head). */
const FINAL = new Set(['scope', 'read-only', 'range', 'unknown-gpu', 'audit-head', 'stale-epoch']);

/**
 * Carries the control service's setpoints to real GPUs through their host agents. It keeps what the control service
 * asked of every GPU, batches a tick's changes into one signed command per host, renews every agent's lease at a third
 * of its length, and re-sends a host's setpoints in full — brake first, then limits, then locks — whenever its agent
 * says hello (first contact, reconnect, restart: a restarted agent starts at its safe cap), when the agent reports its
 * lease lapsed (`safe`, or a `no-lease` refusal of a renewal), and after any failed command. An agent that refused
 * this console's audit head (`audit-head`: control.db's chain went back or forked from what that agent countersigned)
 * gets nothing more — no renewal, no re-apply — so its lease lapses to the safe cap; the link says why.
 */
export class AgentActuator implements Actuator {
  readonly id = 'agents';
  readonly leaseMs: number;
  /** Full re-applies sent (tests and the bench read it). */
  reapplies = 0;
  private readonly links = new Map<string, AgentLink>();
  private readonly desired: Setpoint[];
  private readonly queued = new Map<string, CommandAction[]>();
  /** Hosts whose last command failed: re-sent in full at the next renewal. */
  private readonly dirty = new Set<string>();
  /** Hosts re-applied while stale (loosening held back): re-sent in full at the first renewal they are fresh. */
  private readonly heldBack = new Set<string>();
  /** Commands sent and not yet answered, per host: a renewal waits for them (they renew the lease when they land). */
  private readonly inFlight = new Map<string, number>();
  private readonly fresh: (host: string) => boolean;
  private readonly mayAct: () => boolean;
  private readonly onFenced: (host: string, error: string) => void;
  private readonly claimLeases: boolean;
  /** Commands and renewals not sent because this console did not lead (tests and the health page read it). */
  withheld = 0;
  private flushScheduled = false;
  private readonly renewTimer: NodeJS.Timeout;
  private readonly log: (line: string) => void;

  constructor(
    private readonly inventory: Inventory,
    o: AgentActuatorOptions = {},
  ) {
    this.leaseMs = o.leaseMs ?? 15_000;
    this.log = o.log ?? (() => {});
    this.fresh = o.fresh ?? (() => true);
    this.mayAct = o.mayAct ?? (() => true);
    this.onFenced = o.onFenced ?? (() => {});
    this.claimLeases = o.claimLeases ?? false;
    this.desired = Array.from({ length: inventory.topology.gpuCount }, () => ({}));
    this.renewTimer = setInterval(() => this.renew(), Math.max(100, Math.floor(this.leaseMs / 3)));
    this.renewTimer.unref();
  }

  attach(link: AgentLink): void {
    this.links.set(link.host, link);
  }

  detach(host: string): void {
    this.links.delete(host);
  }

  close(): void {
    clearInterval(this.renewTimer);
  }

  setPowerLimit(gpu: number, watts: number): void {
    this.desired[gpu]!.limitW = watts;
    this.queue(gpu, (uuid) => ({ kind: 'setPowerLimit', uuid, watts }));
  }

  setClockLock(gpu: number, mhz: number): void {
    this.desired[gpu]!.lockMHz = mhz;
    this.queue(gpu, (uuid) => (mhz > 0 ? { kind: 'lockClocks', uuid, minMHz: mhz, maxMHz: mhz } : { kind: 'resetClocks', uuid }));
  }

  setBrake(gpu: number, on: boolean): void {
    this.desired[gpu]!.brake = on;
    this.queue(gpu, (uuid) => ({ kind: 'brake', uuid, on }));
  }

  /** The agent said hello: send every setpoint of its host (it may have restarted at its safe cap). */
  onHello(link: AgentLink, _hello: Hello, restarted: boolean): void {
    this.reapply(link, restarted ? 'agent (re)started' : 'reconnected');
  }

  /** Send every setpoint the control service made for the link's host, in one command: brake, limit, lock. */
  private reapply(link: AgentLink, why: string): void {
    const h = this.inventory.hosts.get(link.host);
    if (!h) return;
    const actions: CommandAction[] = [];
    for (const g of h.gpus) {
      const d = this.desired[g]!;
      if (d.brake !== undefined) actions.push({ kind: 'brake', uuid: this.inventory.uuidOf(g), on: d.brake });
    }
    for (const g of h.gpus) {
      const uuid = this.inventory.uuidOf(g);
      const d = this.desired[g]!;
      if (d.limitW !== undefined) actions.push({ kind: 'setPowerLimit', uuid, watts: d.limitW });
      if (d.lockMHz !== undefined) actions.push(d.lockMHz > 0 ? { kind: 'lockClocks', uuid, minMHz: d.lockMHz, maxMHz: d.lockMHz } : { kind: 'resetClocks', uuid });
    }
    this.dirty.delete(link.host);
    // Nothing asked yet: the agent keeps its safe cap and no lease is needed — unless a predecessor's lease holds
    // there and this controller takes it over (claimLeases).
    if (actions.length === 0) {
      if (this.claimLeases && (link.lastState ?? link.hello?.state)?.mode === 'leased') {
        this.log(`agents: ${why}: renewing the lease in force on ${link.host} under this controller's epoch`);
        this.sendTo(link, []);
      }
      return;
    }
    this.reapplies++;
    this.log(`agents: ${why}: re-applying ${h.gpus.length} GPUs' setpoints on ${link.host}${this.fresh(link.host) ? '' : ' (readings stale: nothing loosened until they are fresh)'}`);
    this.sendTo(link, actions);
  }

  /**
   * What may go to a host whose readings are not fresh: nothing that loosens. The agent may sit at its safe cap
   * (restarted, lease lapsed) or braked, and whatever the control service believes the GPUs hold was learnt from
   * readings that are old now — a "cap-down" from a default it never saw confirmed can be a raise above the safe cap.
   * So limits go no higher than the agent's safe cap, brakes go, brake-offs and clock locks of any kind are held (the
   * console cannot tell a lock from a release: a lock command whose release was lost leaves the agent lower). The
   * host is re-applied in full at the first renewal after its readings are fresh again. Found by the closed-loop soak
   * (a lapsed host's GPUs went from the 240 W safe cap to 700 W while every reading was stale) and the kill soak (a
   * restarted console sent an operator's 650 W override to an agent at its 400 W safe cap before reading it).
   */
  private holdLoosening(link: AgentLink, actions: CommandAction[]): CommandAction[] {
    const safeCap = new Map(link.gpus().map((g) => [g.uuid.toLowerCase(), g.safeCapW ?? link.lastState?.safeCapW ?? g.minLimitW]));
    let held = false;
    const out = actions.flatMap((a): CommandAction[] => {
      if ((a.kind === 'brake' && !a.on) || a.kind === 'resetClocks' || a.kind === 'lockClocks') return ((held = true), []);
      if (a.kind === 'setPowerLimit') {
        const cap = safeCap.get(a.uuid.toLowerCase()) ?? a.watts;
        if (a.watts > cap) held = true;
        return [{ ...a, watts: Math.min(a.watts, cap) }];
      }
      return [a];
    });
    if (held) this.heldBack.add(link.host);
    return out;
  }

  private queue(gpu: number, make: (uuid: string) => CommandAction): void {
    const host = this.inventory.hostOf(gpu);
    let list = this.queued.get(host);
    if (!list) this.queued.set(host, (list = []));
    list.push(make(this.inventory.uuidOf(gpu)));
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      queueMicrotask(() => this.flush());
    }
  }

  private flush(): void {
    this.flushScheduled = false;
    for (const [host, actions] of this.queued) {
      const link = this.links.get(host);
      // Not connected: the desired state is kept and sent in full at the next hello.
      if (link?.connected) this.sendTo(link, actions);
    }
    this.queued.clear();
  }

  /**
   * Renew every live lease. A host whose agent reports `safe` (its lease lapsed: a stall longer than the lease) or
   * whose last command failed gets all its setpoints again instead.
   */
  private renew(): void {
    for (const link of this.links.values()) {
      if (!link.connected) continue;
      // A command still on its way (nvidia-smi can be slow): re-sending the whole set behind it only queues more work
      // on the agent; its answer says whether the host needs anything more.
      if ((this.inFlight.get(link.host) ?? 0) > 0) continue;
      if (this.dirty.has(link.host) || link.lastState?.mode === 'safe') this.reapply(link, 'lease lapsed or a command failed');
      else if (this.heldBack.has(link.host) && this.fresh(link.host)) this.reapply(link, 'readings fresh again');
      else if (link.lastState?.mode === 'leased') this.sendTo(link, []);
    }
  }

  /** Re-send every connected host's setpoints in full (a controller that has just taken the lead). */
  reapplyAll(why: string): void {
    for (const link of this.links.values()) if (link.connected) this.reapply(link, why);
  }

  /** Clamp to the agent's own GPU limits (the inventory's model may differ slightly from the part) and send. */
  private sendTo(link: AgentLink, actions: CommandAction[]): void {
    // Not leading (a standby, or a leader whose lease may have lapsed): remembered, not sent; a new lead re-applies.
    if (!this.mayAct()) {
      this.withheld++;
      this.dirty.add(link.host);
      return;
    }
    const hello = link.hello;
    if (this.fresh(link.host)) this.heldBack.delete(link.host);
    else if (actions.length > 0) {
      actions = this.holdLoosening(link, actions);
      // Everything held: send nothing (an empty command is a bare renewal, refused by an agent with no lease).
      if (actions.length === 0) return;
    }
    // A read-only agent, or a connection whose certificate may only read: nothing to send (its health says why).
    if (!hello?.scopes.includes('control') || link.lastState?.mode === 'read-only') return;
    // The agent refused this console's audit chain head: acting on through it is what the check exists to stop.
    if (link.auditRefused !== null) return;
    const byUuid = new Map(link.gpus().map((g) => [g.uuid.toLowerCase(), g]));
    const clamped = actions.flatMap((a): CommandAction[] => {
      const g = byUuid.get(a.uuid.toLowerCase());
      if (!g) return [];
      if (a.kind === 'setPowerLimit') return [{ ...a, watts: Math.min(g.maxLimitW, Math.max(g.minLimitW, Math.round(a.watts * 100) / 100)) }];
      if (a.kind === 'lockClocks') {
        const mhz = Math.round(Math.min(g.maxClockMHz, Math.max(g.minClockMHz, a.maxMHz)));
        return [{ ...a, minMHz: g.minClockMHz, maxMHz: mhz }];
      }
      return [a];
    });
    this.inFlight.set(link.host, (this.inFlight.get(link.host) ?? 0) + 1);
    void link.send(clamped, Math.min(this.leaseMs, hello.maxLeaseMs)).then((r) => {
      this.inFlight.set(link.host, Math.max(0, (this.inFlight.get(link.host) ?? 1) - 1));
      if (r.ok) return;
      if (r.code === 'audit-head') {
        this.log(
          `agents: ERROR: ${link.host} refused this console's audit chain head: ${r.error ?? ''}. control.db's audit trail was rewritten or truncated ` +
            `after ${link.host} countersigned it; this console no longer acts on ${link.host} (its GPUs fall to the safe cap) until someone looks: ` +
            `run \`headroom audit verify\` on a copy of control.db`,
        );
        return;
      }
      if (r.code === 'stale-epoch') {
        this.log(`agents: ${link.host} refused this controller's epoch: ${r.error ?? ''}. A newer leader acts; this one stops.`);
        this.onFenced(link.host, r.error ?? '');
        return;
      }
      this.log(`agents: ${link.host} refused setpoints (${r.code ?? 'error'}): ${r.error ?? ''}`);
      if (!FINAL.has(r.code ?? '')) this.dirty.add(link.host);
    });
  }
}
