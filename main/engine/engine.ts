import type { AlertRule } from '../../shared/domain/alerts.js';
import { DEFAULT_ALERT_RULES } from '../../shared/domain/alerts.js';
import { READING_LIMITS, SampleFlag, type Alert, type Snapshot, type SourceHealth } from '../../shared/domain/fleet.js';
import type { Topology } from '../../shared/domain/topology.js';
import { aggregate, createAggregates, type Aggregates } from '../core/aggregate.js';
import { activeAlerts, createAlertBook, evaluateAlerts, type AlertBook } from '../core/alerts.js';
import { observe } from '../core/observe.js';
import { DropBursts, type DropReport } from '../core/storeDrops.js';
import type { ConfigProblem } from '../core/configSanity.js';
import type { Contingency } from '../../shared/domain/plant.js';
import type { GpuColumns } from '../core/physics.js';
import { indexTopology, type TopologyIndex } from '../core/topology.js';
import type { Source, SourceBatch } from '../core/source.js';
import type { TelemetrySink, TickEvent, TickRecord } from '../core/ports.js';
import { SiteMeters } from './siteMeters.js';
import { InletHistory } from '../core/inletHistory.js';
import type { PlantOut } from '../core/observeSite.js';
import type { RowControl } from '../../shared/domain/control.js';

const TEMP_RANGE_C = READING_LIMITS.tempC;
const POWER_FACTOR = READING_LIMITS.powerLimitFactor;

export interface EngineOptions {
  topology: Topology;
  source: Source;
  stepMs: number;
  startMs: number;
  sink?: TelemetrySink | null;
  alertRules?: readonly AlertRule[];
  /** A source silent longer than this is stale: its GPUs count at their power limit (ms). */
  staleAfterMs?: number;
}

export interface TickResult {
  tMs: number;
  tickMs: number;
  alertsChanged: boolean;
  fired: Alert[];
  /** Alert groups (rule × row, shared/domain/alertGroups.ts) notified this tick. */
  notified: string[];
  /** A burst of ticks the store dropped, to log (at its end, or while it lasts at most once a minute). */
  storeDrops: DropReport | null;
}

/** Copy a batch column into a live column: memcpy when the source is a typed array of the same kind. */
function copyInto(dst: Float64Array | Uint32Array, src: ArrayLike<number>): void {
  if (src.length !== dst.length) throw new Error(`batch column has ${src.length} values, fleet has ${dst.length} GPUs`);
  if (src instanceof Float64Array || src instanceof Uint32Array) dst.set(src);
  else for (let i = 0; i < dst.length; i++) dst[i] = src[i]!;
}

/** A service that runs inside every tick after aggregation and the store hand-off (policies, actuation). */
export interface TickService {
  /** `stale` is true while the source is silent and live power counts as worst case. */
  onTick(engine: Engine, nowMs: number, stale: boolean): void;
}

type Live = Pick<GpuColumns, 'powerW' | 'tempC' | 'clockMHz' | 'limitW' | 'util' | 'flags'>;

/**
 * The engine: one tick = poll the source, validate into live state (typed arrays), aggregate, hand off to the
 * store, evaluate alerts. Plain Node, no timers: the caller (runner or batch CLI) decides when to tick.
 */
export class Engine {
  readonly topology: Topology;
  readonly index: TopologyIndex;
  readonly live: Live;
  readonly agg: Aggregates;
  readonly rackInletC: Float64Array;
  readonly rowBudgetKW: Float64Array;
  readonly rowCoolingKW: Float64Array;
  readonly alerts: AlertBook = createAlertBook();
  readonly rules: readonly AlertRule[];
  nowMs: number;
  ticks = 0;
  /** Wall time of the last tick (ms), and the part of it spent inside the source's poll (the simulator's physics). */
  lastTickMs = 0;
  lastSourceMs = 0;
  invalidReadings = 0;
  /** Single failures of the plant not survivable in time (PlantWatch sets it): the contingencyUnsafe alert reads it. */
  contingencyUnsafe: readonly Contingency[] = [];
  /** What is wrong with the configuration (a real fleet's SourceManager sets it): the configSanity alert reads it. */
  configProblems: readonly ConfigProblem[] = [];
  /** The grid limits crossed at the point of interconnection (the grid feed sets it): the gridLimit alert reads it. */
  gridCrossed: readonly string[] = [];
  /** The last failover of the control service (serve --controller sets it at takeover): the controllerFailover alert. */
  controllerFailover: { what: string; atMs: number; leader: string } | null = null;
  /** Plant devices out by failure and the rows whose budget each lowered (PlantWatch sets it): plantOut reads it. */
  plantOut: readonly PlantOut[] = [];
  /** Per row, a lever other than caps in force (TAPAS's SaaS levers set it; the control summary shows it); null: none. */
  rowLever: Array<{ label: string; reason: string } | null> | null = null;
  /** Each row's controller state (the control service sets it): rowBrake and controllerStage read it. */
  rowControl: readonly RowControl[] | null = null;
  /** Rack inlets of the last minutes, for the inletRise rule (null when no rule needs it). */
  private readonly inletHistory: InletHistory | null;
  /** Per rack, its CDU's design loop supply (°C; NaN: air-cooled); per row, whether it has a liquid rack. */
  private readonly rackLoopSupplyC: Float64Array;
  private readonly rowHasLiquid: Uint8Array;
  /** Ticks the store dropped, in bursts: the storeDropped alert reads the current one. */
  readonly storeDrops = new DropBursts();
  /** Rack-PDU and branch-circuit meters where the source has them, and the power control sees (siteMeters.ts). */
  readonly meters: SiteMeters;
  private lastSampleMs: number;
  private seq = 0;
  private readonly stepMs: number;
  private readonly staleAfterMs: number;
  private readonly source: Source;
  private readonly sink: TelemetrySink | null;
  private readonly pendingEvents: TickEvent[] = [];
  /** Row budgets last stored as events (NaN: none yet). */
  private readonly notedBudgetKW: Float64Array;
  private readonly prevTempC: Float64Array;
  /** Per-GPU bounds for validation (W), resolved from the models once. */
  private readonly minLimitW: Float64Array;
  /** Each GPU's model maximum power limit (W): what a GPU nobody can see could draw. */
  readonly maxLimitW: Float64Array;
  private readonly services: TickService[] = [];
  /** Applied to alerts when they are read (acks, silences, inhibition). */
  alertDecorator: ((alerts: Alert[], nowMs: number) => Alert[]) | null = null;

  constructor(opts: EngineOptions) {
    const t = opts.topology;
    this.topology = t;
    this.index = indexTopology(t);
    this.source = opts.source;
    this.sink = opts.sink ?? null;
    this.stepMs = opts.stepMs;
    this.staleAfterMs = opts.staleAfterMs ?? Math.max(3000, 3 * opts.stepMs);
    this.rules = opts.alertRules ?? DEFAULT_ALERT_RULES;
    this.nowMs = opts.startMs;
    this.lastSampleMs = opts.startMs;
    const n = t.gpuCount;
    this.live = {
      powerW: new Float64Array(n),
      tempC: new Float64Array(n),
      clockMHz: new Float64Array(n),
      limitW: Float64Array.from({ length: n }, (_, g) => t.models[this.index.gpuModel[g]!]!.defaultLimitW),
      util: new Float64Array(n),
      flags: new Uint32Array(n),
    };
    this.prevTempC = new Float64Array(n);
    this.minLimitW = Float64Array.from({ length: n }, (_, g) => t.models[this.index.gpuModel[g]!]!.minLimitW);
    this.maxLimitW = Float64Array.from({ length: n }, (_, g) => t.models[this.index.gpuModel[g]!]!.maxLimitW);
    this.agg = createAggregates(t);
    this.rackInletC = new Float64Array(t.racks.length).fill(NaN);
    this.rowBudgetKW = Float64Array.from(t.rows, (r) => r.budgetKW);
    this.notedBudgetKW = new Float64Array(t.rows.length).fill(NaN);
    this.rowCoolingKW = Float64Array.from(t.rows, (r) => r.coolingKW);
    this.rackLoopSupplyC = new Float64Array(t.racks.length).fill(NaN);
    this.rowHasLiquid = new Uint8Array(t.rows.length);
    for (const cdu of t.plant?.cooling.liquid ?? []) {
      for (const id of cdu.racks) {
        const k = t.racks.findIndex((r) => r.id === id);
        if (k < 0) continue;
        this.rackLoopSupplyC[k] = cdu.supplyC;
        this.rowHasLiquid[t.racks[k]!.row] = 1;
      }
    }
    const riseS = Math.max(0, ...this.rules.map((r) => (r.kind === 'inletRise' ? r.windowS : 0)));
    this.inletHistory = riseS > 0 ? new InletHistory(t.racks.length, Math.ceil((riseS * 1000) / this.stepMs) + 2) : null;
    const windowS = Math.max(0, ...this.rules.map((r) => (r.kind === 'meterDrift' ? r.windowS : 0)));
    this.meters = new SiteMeters(t, this.stepMs, windowS * 1000);
  }

  /**
   * Per row, the power the control plane sees (W): the row's branch circuits, else the sum over its racks of the
   * rack's meter where a fresh reading exists, else the model (GPU readings + server overhead). Equal to `agg.rowW`
   * where the site has no meters.
   */
  get controlRowW(): Float64Array {
    return this.meters.control.rowW;
  }

  /** Per rack, the power the control plane sees (W); see controlRowW. */
  get controlRackW(): Float64Array {
    return this.meters.control.rackW;
  }

  get step(): number {
    return this.stepMs;
  }

  /** Register a service to run inside every tick, in registration order. */
  addService(s: TickService): void {
    this.services.push(s);
  }

  /** True while the source is silent beyond the stale limit (power counts at the limit). */
  get stale(): boolean {
    return this.nowMs - this.lastSampleMs > this.staleAfterMs;
  }

  sourceHealth(): SourceHealth[] {
    if (this.source.health) return this.source.health();
    const age = this.nowMs - this.lastSampleMs;
    const state = age > 60_000 ? 'down' : age > this.staleAfterMs ? 'stale' : 'up';
    return [{ id: this.source.id, kind: this.source.kind, state, lastSampleAgeMs: age, errors: this.invalidReadings }];
  }

  /**
   * Move the clock (playback of a recording): the next tick reads tMs. Alerts restart from there (their pending and
   * firing state belongs to the time left behind); events not yet stored are dropped with it.
   */
  seek(tMs: number): void {
    this.nowMs = tMs - this.stepMs;
    this.lastSampleMs = this.nowMs;
    this.alerts.alerts.clear();
    this.alerts.lastTrueMs.clear();
    this.alerts.resolved.length = 0;
    this.pendingEvents.length = 0;
    this.meters.clear();
  }

  /** Advance one step. */
  tick(): TickResult {
    const t0 = performance.now();
    this.nowMs += this.stepMs;
    const batch = this.source.poll(this.nowMs, this.stepMs / 1000);
    this.lastSourceMs = performance.now() - t0;
    if (batch) {
      this.ingest(batch);
      this.lastSampleMs = this.nowMs;
    } else if (this.nowMs - this.lastSampleMs > this.staleAfterMs) {
      this.markStale();
    }
    aggregate(this.topology, this.index, this.live, this.agg);
    this.inletHistory?.push(this.rackInletC, this.nowMs);
    this.meters.update(this.live, this.agg, this.nowMs);
    if (this.sink && batch) this.sink.write(this.tickRecord());
    const dropReport = this.sink ? this.storeDrops.update(this.sink.stats().dropped, this.nowMs) : null;
    const stale = this.stale;
    for (const svc of this.services) svc.onTick(this, this.nowMs, stale);
    const obs = observe(this.topology, this.rules, {
      rowW: this.controlRowW,
      rowBudgetKW: this.rowBudgetKW,
      tempC: this.live.tempC,
      gpuModel: this.index.gpuModel,
      sources: this.sourceHealth(),
      storeDrops: this.storeDrops.current,
      contingencyUnsafe: this.contingencyUnsafe,
      configProblems: this.configProblems,
      gridCrossed: this.gridCrossed, controllerFailover: this.controllerFailover, nowMs: this.nowMs,
      meters: (windowS, thresholdPct) => this.meters.drift(this.nowMs, windowS * 1000, thresholdPct),
      rackInletC: this.rackInletC,
      rackLoopSupplyC: this.rackLoopSupplyC,
      rowHasLiquid: this.rowHasLiquid,
      rowCoolingKW: this.rowCoolingKW,
      inletRise: (windowS) => this.inletHistory?.risePerMin(windowS, this.nowMs) ?? null,
      flags: this.live.flags,
      rowControl: this.rowControl,
      plantOut: this.plantOut,
      isActive: (id) => this.alerts.alerts.has(id),
    });
    const { changed, fired, notified } = evaluateAlerts(this.alerts, this.rules, obs, this.nowMs);
    this.ticks++;
    this.lastTickMs = performance.now() - t0;
    return { tMs: this.nowMs, tickMs: this.lastTickMs, alertsChanged: changed, fired, notified, storeDrops: dropReport };
  }

  /**
   * Copy a batch into live state. Invalid readings (NaN, ±Inf, negative, power above twice the model's max limit,
   * temperature outside −20…150 °C) are flagged and replaced by the worst case: power = limit.
   */
  private ingest(b: SourceBatch): void {
    const L = this.live;
    const minLimit = this.minLimitW;
    const maxLimit = this.maxLimitW;
    // Bulk copy first (memcpy for typed arrays), then one validation pass that rewrites only bad readings.
    const prevTemp = this.prevTempC;
    prevTemp.set(L.tempC);
    copyInto(L.powerW, b.powerW);
    copyInto(L.tempC, b.tempC);
    copyInto(L.clockMHz, b.clockMHz);
    copyInto(L.limitW, b.limitW);
    copyInto(L.util, b.util);
    copyInto(L.flags, b.flags);
    const n = L.powerW.length;
    const { powerW, tempC, limitW, util, clockMHz } = L;
    for (let g = 0; g < n; g++) {
      const p = powerW[g]!;
      const temp = tempC[g]!;
      const limit = limitW[g]!;
      const u = util[g]!;
      const maxW = maxLimit[g]!;
      const okLimit = limit >= minLimit[g]! * 0.5 && limit <= maxW * 1.01;
      const okP = p >= 0 && p <= POWER_FACTOR * maxW;
      const okT = temp >= TEMP_RANGE_C[0] && temp <= TEMP_RANGE_C[1];
      if (okLimit && okP && okT && clockMHz[g]! >= 0 && u >= 0 && u <= 1) continue;
      this.invalidReadings++;
      const safeLimit = okLimit ? limit : maxW;
      L.limitW[g] = safeLimit;
      if (!okP) L.powerW[g] = safeLimit;
      if (!okT) L.tempC[g] = prevTemp[g]!;
      if (!(L.clockMHz[g]! >= 0)) L.clockMHz[g] = 0;
      if (!(u >= 0 && u <= 1)) L.util[g] = 1;
      L.flags[g] = (L.flags[g]! | SampleFlag.invalid) >>> 0;
    }
    if (b.rackInletC) for (let r = 0; r < this.rackInletC.length; r++) this.rackInletC[r] = b.rackInletC[r]!;
    if (b.rowBudgetKW) for (let r = 0; r < this.rowBudgetKW.length; r++) this.rowBudgetKW[r] = b.rowBudgetKW[r]!;
    if (b.rowCoolingKW) for (let r = 0; r < this.rowCoolingKW.length; r++) this.rowCoolingKW[r] = b.rowCoolingKW[r]!;
    this.meters.take(b);
  }

  /** No fresh data: every GPU counts at its power limit (and its server fully busy) until the source speaks again. */
  /**
   * A silent source: every GPU counts at the most it could draw — its model's maximum limit, not the last limit it
   * reported. A raise commanded before the silence (a brake released, a safe cap lifted, a lease re-applied) may land
   * during it, unseen; FleetSource counts a silent host the same way. Found by the closed-loop soak (soak/closedLoop.ts):
   * counting at the last reported limit hid a row at 107 % of its budget behind 74 % for 27 s.
   */
  private markStale(): void {
    const L = this.live;
    for (let g = 0; g < L.powerW.length; g++) {
      L.powerW[g] = Math.max(L.limitW[g]!, this.maxLimitW[g]!);
      L.util[g] = 1;
      L.flags[g] = (L.flags[g]! | SampleFlag.stale) >>> 0;
    }
    this.meters.lose();
  }

  /**
   * Note something that changed at this instant (a stage, a brake, an override, a scenario event); it is stored
   * with the next tick written, on the run's time line.
   */
  note(e: TickEvent): void {
    this.pendingEvents.push(e);
  }

  /** Budgets in force are events: noted at the first tick and whenever a row's budget changes. */
  private noteBudgets(): void {
    const b = this.rowBudgetKW;
    for (let r = 0; r < b.length; r++) {
      if (b[r] === this.notedBudgetKW[r]) continue;
      this.notedBudgetKW[r] = b[r]!;
      this.note({ kind: 'budget', subject: this.topology.rows[r]?.id ?? String(r), body: { budgetKW: b[r] } });
    }
  }

  private tickRecord(): TickRecord {
    const L = this.live;
    const a = this.agg;
    this.noteBudgets();
    const events = this.pendingEvents.length ? this.pendingEvents.splice(0) : undefined;
    return {
      ...(events ? { events } : {}),
      tMs: this.nowMs,
      powerW: L.powerW,
      tempC: L.tempC,
      clockMHz: L.clockMHz,
      limitW: L.limitW,
      util: L.util,
      flags: L.flags,
      rackW: a.rackW,
      rackMaxTempC: a.rackMaxTempC,
      rackInletC: this.rackInletC,
      rowW: a.rowW,
      rowMaxTempC: a.rowMaxTempC,
      siteW: a.siteW,
    };
  }

  /** A compact picture for the faces (allocates; call at display rate, not per tick). */
  snapshot(): Snapshot {
    const L = this.live;
    const a = this.agg;
    const r1 = (x: number) => Math.round(x * 10) / 10;
    const map = (arr: ArrayLike<number>, f: (x: number) => number) => Array.from(arr, f);
    return {
      tMs: this.nowMs,
      seq: ++this.seq,
      gpu: {
        powerW: map(L.powerW, r1),
        tempC: map(L.tempC, r1),
        clockMHz: map(L.clockMHz, Math.round),
        limitW: map(L.limitW, Math.round),
        util: map(L.util, (x) => Math.round(x * 100) / 100),
        flags: Array.from(L.flags),
      },
      rack: { powerW: map(a.rackW, Math.round), inletC: map(this.rackInletC, r1), maxTempC: map(a.rackMaxTempC, r1) },
      row: {
        powerW: map(a.rowW, Math.round),
        budgetKW: map(this.rowBudgetKW, r1),
        coolingKW: map(this.rowCoolingKW, r1),
        inletC: this.topology.rows.map((row) => {
          let s = 0;
          for (let r = row.rackStart; r < row.rackStart + row.rackCount; r++) s += this.rackInletC[r]!;
          return r1(s / row.rackCount);
        }),
        maxTempC: map(a.rowMaxTempC, r1),
      },
      site: { powerW: Math.round(a.siteW), budgetKW: r1(this.rowBudgetKW.reduce((x, y) => x + y, 0)) },
    };
  }

  activeAlerts(): Alert[] {
    const alerts = activeAlerts(this.alerts);
    return this.alertDecorator ? this.alertDecorator(alerts, this.nowMs) : alerts;
  }
}
