import type { Topology } from '../../shared/domain/topology.js';
import type { DrillEvent, Scenario, ScenarioEvent } from '../../shared/domain/scenario.js';
import { aggregatePower, createAggregates, type Aggregates } from '../core/aggregate.js';
import { createGpuColumns, stepGpus, type GpuColumns } from '../core/physics.js';
import { stepInletC } from '../core/thermal.js';
import { rackAirLayout, stepRackAir, type RackAirLayout } from '../core/rackThermal.js';
import { serverPenalties } from '../core/slack.js';
import type { RoutingMode } from './routing.js';
import { indexTopology, type TopologyIndex } from '../core/topology.js';
import { InferenceServiceSim } from './inference.js';
import { createRng, deriveSeed } from './rng.js';
import type { Trace } from './traces.js';
import { checkReferences } from './references.js';
import type { PlantState } from '../core/plant.js';
import { Facility } from './facility.js';
import { CoolingSim } from './cooling.js';
import { composeEmergencies, createRemaining, type Emergency, type Remaining } from '../core/emergencies.js';

export { ScenarioError } from './references.js';
import type { TrainingJobSim } from './training.js';
import { buildWorkloads, type Workload } from './workloads.js';
import { Reconfigurator } from './reconfigure.js';
import { WorkflowPower } from './workflowPower.js';

/** What the simulator reports each step: the GPU columns as a real fleet would, plus facility readings. */
export interface SimSample {
  tMs: number;
  gpu: GpuColumns;
  rackInletC: Float64Array;
  /** Effective (after events) row budget and cooling capacity (kW). */
  rowBudgetKW: Float64Array;
  rowCoolingKW: Float64Array;
  /** Effective rack budget (kW): provisioned, within what the plant allows, less its share of emergencies. */
  rackBudgetKW: Float64Array;
}


/**
 * The built-in datacenter simulator: trace-driven inference services, synchronous training, GPU physics, row air
 * and timeline events. Deterministic for a scenario and seed; advances only when stepped (the caller owns time).
 */
export class Simulator {
  readonly gpu: GpuColumns;
  readonly index: TopologyIndex;
  readonly services: InferenceServiceSim[] = [];
  readonly training: TrainingJobSim[] = [];
  private readonly workloads: Workload[];
  private readonly agg: Aggregates;
  private readonly rowInletC: Float64Array;
  /** Per rack: its static offset (°C, seeded), recirculation in force (°C, core/rackThermal.ts) and scratch. */
  private readonly rackOffsetC: Float64Array;
  private readonly rackRecircC: Float64Array;
  private readonly rackOwnC: Float64Array;
  private readonly rackAir: RackAirLayout;
  private readonly rackInletC: Float64Array;
  private readonly rowBudgetKW: Float64Array;
  private readonly rowCoolingKW: Float64Array;
  private readonly startMs: number;
  /** The timeline: the scenario's events plus drills injected while running. */
  private events: ScenarioEvent[];
  /** Per event, per workload: whether a load spike applies to it. */
  private spikeApplies: boolean[][];
  /** Per event: the emergency it is (scope resolved to indices), or null for other kinds. */
  private emergencies: Array<Emergency | null> = [];
  private readonly remaining: Remaining;
  private readonly rackBudgetKW: Float64Array;
  private elapsedS = 0;
  /** The plant (topology `plant:`): devices out from events and trips, the budgets it allows, trips building up. */
  private readonly facility: Facility;
  /** The cooling plant's dynamics (air shares, CDU loops); null without a plant or with no cooling groups. */
  private readonly cooling: CoolingSim | null;
  private readonly rackKW: Float64Array;
  private routing: RoutingMode = 'affinity';
  /** The SaaS instances' configurations asked per row and landing (sim/reconfigure.ts). */
  readonly reconfig: Reconfigurator;
  /** Workflow re-plans per rack, asked and landing (sim/workflowPower.ts). */
  readonly workflowPower: WorkflowPower;

  constructor(
    readonly topology: Topology,
    readonly scenario: Scenario,
    traces: Record<'code' | 'conv', Trace>,
    seed = scenario.seed,
  ) {
    const t = topology;
    this.index = indexTopology(t);
    this.gpu = createGpuColumns(t.gpuCount, this.index.gpuModel, t.models, this.index.gpuRack, t.racks.length);
    this.agg = createAggregates(t);
    this.startMs = Date.parse(scenario.startTime);
    this.rowInletC = Float64Array.from(t.rows, (r) => r.supplyC);
    this.rowBudgetKW = Float64Array.from(t.rows, (r) => r.budgetKW);
    this.rowCoolingKW = Float64Array.from(t.rows, (r) => r.coolingKW);
    this.rackInletC = this.gpu.rackInletC;
    this.facility = new Facility(t);
    const plant = this.facility.plant;
    this.cooling = plant && plant.cooling.ids.length ? new CoolingSim(plant.cooling, t) : null;
    this.rackBudgetKW = Float64Array.from(t.racks, (r) => r.budgetKW);
    this.remaining = createRemaining(t);
    this.rackKW = new Float64Array(t.racks.length);

    // Static variation: ±0.5 °C per rack (tiles, blanking); silicon and thermal-paste lottery per GPU; about 1 in 500
    // GPUs has a poor heatsink contact (the "odd one out"). Row ends run warmer by recirculation, with their power
    // (core/rackThermal.ts).
    const rng = createRng(deriveSeed(seed, 'hardware'));
    this.rackOffsetC = Float64Array.from(t.racks, () => rng() - 0.5);
    this.rackRecircC = new Float64Array(t.racks.length);
    this.rackOwnC = new Float64Array(t.racks.length);
    this.rackAir = rackAirLayout(t.rows, Float64Array.from(t.racks, (r) => r.budgetKW));
    for (let g = 0; g < t.gpuCount; g++) {
      this.gpu.powerScale[g] = 0.97 + 0.06 * rng();
      this.gpu.thermalOffsetC[g] = 3 * (rng() - 0.5) + (rng() < 0.002 ? 9 : 0);
    }

    checkReferences(scenario, t);
    this.workloads = buildWorkloads(t, this.index, scenario, traces, seed);
    this.reconfig = new Reconfigurator(this.workloads, t.rows.length);
    this.workflowPower = new WorkflowPower(t.racks.length);
    for (const w of this.workloads) {
      if (w.sim instanceof InferenceServiceSim) this.services.push(w.sim);
      else this.training.push(w.sim);
    }
    this.events = [...scenario.events];
    this.spikeApplies = [];
    this.indexEvents();
    for (let r = 0; r < t.racks.length; r++) this.rackInletC[r] = this.rowInletC[t.racks[r]!.row]! + this.rackOffsetC[r]!;
  }

  /**
   * How the SaaS services' requests are routed (sim/routing.ts): 'affinity' (the default: no router), 'leastLoaded', or
   * 'slack' (TAPAS: toward thermal and power slack). IaaS services are never routed.
   */
  setRouting(mode: RoutingMode): void {
    this.routing = mode;
    for (const w of this.workloads) if (w.sim instanceof InferenceServiceSim && w.sim.spec.kind !== 'iaas') w.sim.router.mode = mode;
  }

  /** SaaS port: row r's SaaS instances to rung `rung` of the reconfiguration ladder (they land after their reload). */
  reconfigureRow(r: number, rung: number): number {
    return this.reconfig.request(r, rung, this.elapsedS);
  }

  /** Workflow port: row r's workflow racks draw `ratio` of the plans in force from `latencyS` on. */
  replanWorkflows(r: number, racks: readonly number[], ratio: number, latencyS: number): number {
    return this.workflowPower.request(r, racks, ratio, this.elapsedS, latencyS);
  }

  get routingMode(): RoutingMode {
    return this.routing;
  }

  /** Per GPU: 1 if it serves a high-priority workload, 0 otherwise (low priority or idle). */
  gpuPriority(): Uint8Array {
    const out = new Uint8Array(this.gpu.n);
    for (const w of this.workloads) {
      if (w.sim.spec.priority !== 'high') continue;
      for (let i = 0; i < w.servers.length; i++) out.fill(1, w.gpuStart[i], w.gpuEnd[i]);
    }
    return out;
  }

  get timeMs(): number {
    return this.startMs + Math.round(this.elapsedS * 1000);
  }

  /** Resolve emergency scopes and load-spike targets of the timeline once (not per tick). */
  private indexEvents(): void {
    const t = this.topology;
    this.emergencies = this.events.map((ev): Emergency | null => {
      if (ev.kind !== 'powerBudgetLoss' && ev.kind !== 'coolingLoss') return null;
      // References are checked (checkReferences): the row or rack exists.
      const scope: Emergency['scope'] =
        ev.row !== undefined ? { kind: 'row', row: t.rows.findIndex((x) => x.id === ev.row) } : ev.rack !== undefined ? { kind: 'rack', rack: t.racks.findIndex((x) => x.id === ev.rack) } : { kind: 'site' };
      return { kind: ev.kind, scope, fraction: ev.fraction };
    });
    this.spikeApplies = this.events.map((ev) =>
      this.workloads.map((w) => {
        if (ev.kind !== 'loadSpike' || !(w.sim instanceof InferenceServiceSim)) return false;
        if (!ev.rows && !ev.service) return true;
        const onRow = (ev.rows ?? []).some((id) => w.rows.has(t.rows.findIndex((x) => x.id === id)));
        return onRow || ev.service === w.sim.spec.id;
      }),
    );
  }

  /**
   * A drill: start an event now. Rows are checked like a scenario's (ScenarioError for an unknown one); the event
   * takes effect from the next step and stays on the timeline, so a run stays reproducible from its audit trail.
   */
  inject(ev: DrillEvent): ScenarioEvent {
    return this.schedule([{ ...ev, atS: 0 }])[0]!;
  }

  /**
   * Events `atS` seconds from now (a library drill's timeline), checked together (ScenarioError, nothing added, when
   * one refers to a row or device the site lacks). Returns them as placed on the timeline.
   */
  schedule(evs: readonly ScenarioEvent[]): ScenarioEvent[] {
    const placed = evs.map((e) => ({ ...e, atS: this.elapsedS + e.atS }));
    checkReferences({ ...this.scenario, events: placed }, this.topology);
    this.events.push(...placed);
    this.indexEvents();
    return placed;
  }

  /** End events of the timeline now (a drill ended early): those running stop, those not started are dropped. */
  endEvents(evs: readonly ScenarioEvent[]): void {
    const now = this.elapsedS;
    const ending = new Set(evs);
    this.events = this.events.filter((e) => !(ending.has(e) && e.atS > now));
    for (const e of this.events) if (ending.has(e) && 'durationS' in e && (e.durationS === undefined || e.atS + e.durationS > now)) (e as { durationS?: number }).durationS = Math.max(0.001, now - e.atS);
    this.indexEvents();
  }

  /** The timeline as it stands (the scenario's events and those started while running), for a re-simulation. */
  timeline(): ScenarioEvent[] {
    return this.events.map((e) => ({ ...e }));
  }

  /** Simulated seconds since the start. */
  get elapsed(): number {
    return this.elapsedS;
  }

  /** Events active during (t, t+dt]. */
  private isActive(ev: ScenarioEvent, tS: number): boolean {
    const end = 'durationS' in ev && ev.durationS !== undefined ? ev.atS + ev.durationS : Infinity;
    return tS >= ev.atS && tS < end;
  }

  /** True while a `sourceStall` event is running: the simulated telemetry path delivers nothing. */
  stalled(): boolean {
    return this.events.some((e) => e.kind === 'sourceStall' && this.isActive(e, this.elapsedS));
  }

  /** Advance the simulation by dtS seconds and return the new readings. */
  step(dtS: number): SimSample {
    const t = this.topology;
    const tS = this.elapsedS;
    const events = this.events;

    // Facility state from events: the plant's devices out (failures, maintenance, trips) set what each row may draw
    // and which racks have no supply; emergencies in force (budget and cooling losses) then scale what is left,
    // composed (core/emergencies.ts): concurrent losses multiply, and one ending restores the value before it.
    const active: number[] = [];
    const emergencies: Emergency[] = [];
    for (let e = 0; e < events.length; e++) {
      if (!this.isActive(events[e]!, tS)) continue;
      active.push(e);
      const em = this.emergencies[e];
      if (em) emergencies.push(em);
    }
    const dark = this.facility.update(events, active);
    // Racks with no live side: their GPUs (and servers) go dark.
    if (dark) {
      for (let r = 0; r < t.racks.length; r++) {
        const rack = t.racks[r]!;
        for (let sv = rack.serverStart; sv < rack.serverStart + rack.serverCount; sv++) {
          const server = t.servers[sv]!;
          this.gpu.unpowered.fill(dark[r]!, server.gpuStart, server.gpuStart + server.gpuCount);
        }
      }
    }
    const plantNow = this.facility.now;
    for (let r = 0; r < t.rows.length; r++) this.rowCoolingKW[r] = t.rows[r]!.coolingKW;
    // Rows with an air group of the plant: its live units' share, in place of the typed capacity.
    if (this.cooling && plantNow) this.cooling.rowCooling(plantNow.cooling, this.rowCoolingKW);
    const left = composeEmergencies(t, emergencies, this.remaining);
    for (let r = 0; r < t.rows.length; r++) {
      this.rowBudgetKW[r] = this.facility.rowKW[r]! * left.rowBudget[r]!;
      this.rowCoolingKW[r] = this.rowCoolingKW[r]! * left.rowCooling[r]!;
    }
    for (let k = 0; k < t.racks.length; k++) this.rackBudgetKW[k] = this.facility.rackKW[k]! * left.rackBudget[k]!;

    // Workloads: usable clock per server = slowest GPU (ranks wait for each other).
    this.reconfig.apply(tS);
    this.workflowPower.apply(tS);
    const rackScale = this.workflowPower.rackScale;
    const gpu = this.gpu;
    for (let wi = 0; wi < this.workloads.length; wi++) {
      const w = this.workloads[wi]!;
      const n = w.servers.length;
      for (let i = 0; i < n; i++) {
        let r = 1;
        for (let g = w.gpuStart[i]!; g < w.gpuEnd[i]!; g++) {
          const x = gpu.clockRatio[g]!;
          if (x < r) r = x;
        }
        w.clockRatio[i] = r;
      }
      if (w.sim instanceof InferenceServiceSim) {
        const router = w.sim.router;
        if (router.mode === 'slack') {
          // Slack from the last step's state: what a router reading published weights would see.
          serverPenalties(w, gpu.tempC, this.rackInletC, this.agg.rowW, this.rowBudgetKW, w.raw);
          router.observe(w.raw, dtS);
        }
        let spike = 1;
        for (const e of active) {
          const ev = events[e]!;
          if (ev.kind === 'loadSpike' && this.spikeApplies[e]![wi]) spike *= ev.factor;
        }
        w.sim.step(tS, dtS, spike, w.clockRatio, w.activity, w.memBound);
      } else {
        w.sim.step(tS, dtS, w.clockRatio, w.activity, w.memBound);
      }
      for (let i = 0; i < n; i++) {
        const a = w.activity[i]! * rackScale[w.rack[i]!]!;
        const mb = w.memBound[i]!;
        for (let g = w.gpuStart[i]!; g < w.gpuEnd[i]!; g++) {
          gpu.activity[g] = a;
          gpu.memBound[g] = mb;
        }
      }
    }

    // Air: row inlet follows row heat against (effective) cooling; racks add their offset.
    for (let r = 0; r < t.rows.length; r++) {
      this.rowInletC[r] = stepInletC(this.rowInletC[r]!, t.rows[r]!.supplyC, this.agg.rowW[r]! / 1000, this.rowCoolingKW[r]!, dtS);
    }
    stepRackAir(this.rackAir, this.agg.rackW, this.rowInletC, this.index.rackRow, this.rackOffsetC, dtS, this.rackOwnC, this.rackRecircC, this.rackInletC);
    // Liquid: racks on a CDU see its loop's supply (their heat went into the loop, not the room).
    if (this.cooling && plantNow) {
      for (let r = 0; r < this.rackKW.length; r++) this.rackKW[r] = this.agg.rackW[r]! / 1000;
      this.cooling.step(plantNow.cooling, this.rackKW, dtS, this.rackInletC);
    }

    stepGpus(gpu, t.models, dtS);
    aggregatePower(t, this.index, gpu, this.agg);
    this.facility.stepTrips(this.agg, dtS);
    this.elapsedS = tS + dtS;
    return { tMs: this.timeMs, gpu, rackInletC: this.rackInletC, rowBudgetKW: this.rowBudgetKW, rowCoolingKW: this.rowCoolingKW, rackBudgetKW: this.rackBudgetKW };
  }

  /** The plant now (devices out, modules lost), or null without a plant. A copy. */
  plantState(): PlantState | null {
    return this.facility.state();
  }

  /** What is out of service and why: the devices named by failures (and trips) and by maintenance windows in force. */
  plantOutRoots(): { failed: string[]; maintenance: string[] } {
    return this.facility.outRoots();
  }

  /** Devices that tripped on overload (they stay out: a breaker is reset by a person). */
  trippedDevices(): string[] {
    return this.facility.trippedDevices();
  }

  /** Actuator port: set a GPU's power limit (W), clamped to its model's range, as the driver would. */
  setPowerLimit(g: number, watts: number): void {
    const m = this.topology.models[this.gpu.model[g]!]!;
    if (!Number.isFinite(watts)) return;
    this.gpu.limitW[g] = Math.min(m.maxLimitW, Math.max(m.minLimitW, watts));
  }

  /** Actuator port: lock the SM clock's upper bound (MHz), clamped to the model's range; 0 resets. */
  setClockLock(g: number, mhz: number): void {
    const m = this.topology.models[this.gpu.model[g]!]!;
    if (!Number.isFinite(mhz)) return;
    this.gpu.lockMHz[g] = mhz <= 0 ? 0 : Math.min(m.maxClockMHz, Math.max(m.minClockMHz, mhz));
  }

  /** Actuator port: assert or release the external power brake of a GPU. */
  setBrake(g: number, on: boolean): void {
    this.gpu.brake[g] = on ? 1 : 0;
  }

  /**
   * Read-only: per plant device (`ids`, resolvePlant's order), the share of its time-to-trip its overload has used so
   * far (the trip accumulator of stepTrips: 0 none, ≥ 1 tripped). Live values, not a copy; null without a plant.
   */
  tripAllowanceUsed(): { ids: readonly string[]; used: ArrayLike<number> } | null {
    return this.facility.allowanceUsed();
  }
}
