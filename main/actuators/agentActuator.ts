import type { CommandAction, Hello } from '../../shared/agentProtocol.js';
import type { Actuator } from '../engine/ports.js';
import type { AgentLink } from '../sources/agentLink.js';
import type { Inventory } from '../sources/inventory.js';

export interface AgentActuatorOptions {
  /** How long a setpoint holds on the agent without renewal (ms). */
  leaseMs?: number;
  /** Log line for re-applies and failures. */
  log?: (line: string) => void;
}

interface Setpoint {
  limitW: number;
  /** 0 = no lock. */
  lockMHz: number;
  brake: boolean;
}

/**
 * Carries the control service's setpoints to real GPUs through their host agents. It keeps the desired setpoint of
 * every GPU (initially the model's default limit, no lock, no brake), batches a tick's changes into one signed command
 * per host, renews every agent's lease at a third of its length, and re-sends a host's full setpoints whenever its agent
 * says hello (first contact, reconnect, or restart — a restarted agent starts at its safe cap, having lost them).
 */
export class AgentActuator implements Actuator {
  readonly id = 'agents';
  readonly leaseMs: number;
  /** Full re-applies sent after a hello (tests and the bench read it). */
  reapplies = 0;
  private readonly links = new Map<string, AgentLink>();
  private readonly desired: Setpoint[];
  private readonly queued = new Map<string, CommandAction[]>();
  private flushScheduled = false;
  private readonly renewTimer: NodeJS.Timeout;
  private readonly log: (line: string) => void;

  constructor(
    private readonly inventory: Inventory,
    o: AgentActuatorOptions = {},
  ) {
    this.leaseMs = o.leaseMs ?? 15_000;
    this.log = o.log ?? (() => {});
    const t = inventory.topology;
    this.desired = [];
    for (const s of t.servers) {
      const m = t.models[s.model]!;
      for (let i = 0; i < s.gpuCount; i++) this.desired.push({ limitW: m.defaultLimitW, lockMHz: 0, brake: false });
    }
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
  onHello(link: AgentLink, hello: Hello, restarted: boolean): void {
    this.reapply(link, restarted ? 'agent (re)started' : 'reconnected');
  }

  /** Send every setpoint of the link's host in one command. */
  private reapply(link: AgentLink, why: string): void {
    const h = this.inventory.hosts.get(link.host);
    if (!h) return;
    const actions: CommandAction[] = [];
    for (const g of h.gpus) {
      const uuid = this.inventory.uuidOf(g);
      const d = this.desired[g]!;
      actions.push({ kind: 'setPowerLimit', uuid, watts: d.limitW });
      actions.push(d.lockMHz > 0 ? { kind: 'lockClocks', uuid, minMHz: d.lockMHz, maxMHz: d.lockMHz } : { kind: 'resetClocks', uuid });
      if (d.brake) actions.push({ kind: 'brake', uuid, on: true });
    }
    this.reapplies++;
    this.log(`agents: ${why}: re-applying ${h.gpus.length} GPUs' setpoints on ${link.host}`);
    this.sendTo(link, actions);
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
   * Renew every lease. An agent that reports `safe` has let our lease lapse (a stall longer than the lease) and put its
   * GPUs at the safe cap: a bare renewal would revive the lease over the wrong setpoints, so it gets all of them again.
   */
  private renew(): void {
    for (const link of this.links.values()) {
      if (!link.connected) continue;
      if (link.lastState?.mode === 'safe') this.reapply(link, 'lease had lapsed');
      else this.sendTo(link, []);
    }
  }

  /** Clamp to the agent's own GPU limits (the inventory's model may differ slightly from the part) and send. */
  private sendTo(link: AgentLink, actions: CommandAction[]): void {
    // A read-only agent, or a connection whose certificate may only read: nothing to send (its health says why).
    if (!link.hello?.scopes.includes('control') || link.lastState?.mode === 'read-only') return;
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
    void link.send(clamped, this.leaseMs).then((r) => {
      if (!r.ok) this.log(`agents: ${link.host} refused setpoints (${r.code ?? 'error'}): ${r.error ?? ''}`);
    });
  }
}
