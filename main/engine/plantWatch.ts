import type { PolicyConfig } from '../../shared/domain/control.js';
import type { ArmedFiring, Contingency, PlantPicture } from '../../shared/domain/plant.js';
import { budgetsIn, healthyState, maintenanceState, resolvePlant, type PlantState, type ResolvedPlant } from '../core/plant.js';
import { contingencies, isUnsafe, worstByRow } from '../core/contingency.js';
import { armedLimits, capRoomW } from '../core/armed.js';
import { coolingOutIds } from '../core/cooling.js';
import { Arbiter, type Layer } from '../core/control/arbiter.js';
import { PeakHold } from '../core/peakHold.js';
import type { Topology } from '../../shared/domain/topology.js';
import type { Engine, TickService } from './engine.js';

/** How far back the N-1 analysis looks for each rack's (and GPU's) heaviest load: 30–60 s (core/peakHold.ts). */
export const LOAD_PEAK_WINDOW_MS = 60_000;

/** Each rack's power as the control sees it and each GPU's, held at their peak over the last `LOAD_PEAK_WINDOW_MS`. */
export class LoadPeaks {
  private readonly rack: PeakHold;
  private readonly gpu: PeakHold;
  constructor(t: Topology) {
    this.rack = new PeakHold(t.racks.length, LOAD_PEAK_WINDOW_MS);
    this.gpu = new PeakHold(t.gpuCount, LOAD_PEAK_WINDOW_MS);
  }
  observe(engine: Engine): void {
    this.rack.observe(engine.controlRackW, engine.nowMs);
    this.gpu.observe(engine.live.powerW, engine.nowMs);
  }
  /** Rack power (W) and GPU power (W) at their recent peak (NaN: never read). */
  get(): { rackW: Float64Array; powerW: Float64Array } {
    return { rackW: this.rack.max(), powerW: this.gpu.max() };
  }
}

/**
 * What the N-1 analysis needs from an engine: each rack's power, and per rack what power caps can take from its low-
 * and high-priority GPUs (power above the lowest settable limit, core/armed.ts), lowest priority first. With `load`,
 * those of the recent peak (LoadPeaks); without, this instant's.
 */
export function plantInputs(engine: Engine, priorities: Uint8Array, load?: { rackW: ArrayLike<number>; powerW: ArrayLike<number> }): { rackKW: Float64Array; lowKW: Float64Array; highKW: Float64Array } {
  const t = engine.topology;
  // The power control sees: a fresh meter where the site has one, else the model (GPU readings + server overhead).
  const rackKW = Float64Array.from(load?.rackW ?? engine.controlRackW, (w, r) => (Number.isFinite(w) ? w : engine.controlRackW[r]!) / 1000);
  const lowKW = new Float64Array(t.racks.length);
  const highKW = new Float64Array(t.racks.length);
  const { gpuRack } = engine.index;
  const room = capRoomW(t, engine.index, load?.powerW ?? engine.live.powerW);
  for (let g = 0; g < t.gpuCount; g++) {
    if (priorities[g]) highKW[gpuRack[g]!]! += room[g]! / 1000;
    else lowKW[gpuRack[g]!]! += room[g]! / 1000;
  }
  return { rackKW, lowKW, highKW };
}

/** Actuation latencies of a policy, as the analysis uses them. */
export function responseLatency(config: PolicyConfig) {
  const a = config.actuation;
  return { capS: a.capPath === 'inBand' ? a.inBandS : a.outOfBandCapS, capPath: a.capPath, brakeS: a.brakeS };
}

/**
 * Live contingency analysis: every `everyMs` of engine time, every single failure of the plant as it is now (with
 * what has failed or is out for maintenance) against each rack's heaviest load of the last 30–60 s (LoadPeaks: a
 * training row between two compute phases is not read as safe), core/contingency.ts, with the policy's
 * actuation latencies. The unsafe ones feed the `contingencyUnsafe` alert; the whole picture is what the faces read
 * (`plant:contingency`). ~7 ms for the default site's 97 failures, ~40 ms cold / ~18 ms warm at ×8 (bench `contingency`), so it runs
 * on the engine's thread every few seconds.
 *
 * Armed responses (`arm`): each analysis keeps, per failure that needs caps, the caps per rack it would take. Every
 * tick the plant's state is compared with the last: a device (or UPS module) that has just gone out fires its plan
 * at once — one power limit per GPU (core/armed.ts, from each GPU's recent peak, so a GPU caught in a lull is held
 * when it climbs back) in the arbiter's "armed response" layer (an emergency: exempt GPUs
 * get it too), before the control plane's budgets, POLCA or playbooks have reacted — and the plant is analysed
 * again so the next failure has a plan. The caps stay while the device is out; its return to service lifts them.
 */
export class PlantWatch implements TickService {
  readonly plant: ResolvedPlant;
  latest: PlantPicture | null = null;
  /** Plans fired and still in force, oldest first, with the limit per GPU each set. */
  private readonly firings: Array<{ f: ArmedFiring; limitW: Float64Array }> = [];
  private nextMs = -Infinity;
  private plans = new Map<string, Float64Array>();
  private planOf = new Map<string, Contingency>();
  private layer: Layer | null = null;
  private arbiter: Arbiter | null = null;
  private lastOut: string[] = [];
  private lastRoots = '';
  private readonly peaks: LoadPeaks;

  constructor(
    engine: Engine,
    private readonly priorities: Uint8Array,
    private readonly policy: () => PolicyConfig,
    /** The plant as it is now (devices failed or out for maintenance); null: healthy. */
    private readonly state: () => PlantState | null = () => null,
    private readonly everyMs = 5000,
    /** The devices named as out of service, by failure and by maintenance (the plantOut alert and its inhibition). */
    private readonly roots: () => { failed: readonly string[]; maintenance: readonly string[] } = () => ({ failed: [], maintenance: [] }),
  ) {
    const t = engine.topology;
    this.plant = resolvePlant(t.plant!, t);
    this.peaks = new LoadPeaks(t);
  }

  /** Plans fired and still in force, oldest first. */
  get engaged(): ArmedFiring[] {
    return this.firings.map((x) => ({ ...x.f }));
  }

  /** Arm responses through the control plane's arbiter (once; a layer "armed response", source emergency). */
  arm(arbiter: Arbiter): void {
    if (this.arbiter) return;
    this.arbiter = arbiter;
    this.layer = arbiter.addLayer('armed response', 'emergency');
  }

  onTick(engine: Engine, nowMs: number): void {
    this.peaks.observe(engine);
    this.watchRoots(engine);
    if (this.watchFailures(engine, nowMs)) this.nextMs = -Infinity;
    if (nowMs < this.nextMs) return;
    this.nextMs = nowMs + this.everyMs;
    this.analyse(engine);
  }

  /**
   * The failed devices and the rows whose budget each lowered (engine.plantOut, for the plantOut alert and the
   * inhibition of those rows' power alerts): a row is lowered by a device when the plant without that one failure
   * (everything else still out) would give it a higher budget. Recomputed only when the roots change.
   */
  private watchRoots(engine: Engine): void {
    const r = this.roots();
    const key = `${r.failed.join(',')}|${r.maintenance.join(',')}`;
    if (key === this.lastRoots) return;
    this.lastRoots = key;
    const t = engine.topology;
    const all = [...r.failed, ...r.maintenance];
    const now = budgetsIn(this.plant, t, this.state() ?? maintenanceState(this.plant, all));
    engine.plantOut = [...new Set(r.failed)].map((device) => {
      const without = budgetsIn(this.plant, t, maintenanceState(this.plant, all.filter((d) => d !== device)));
      const rows = t.rows.filter((_, i) => without.rowKW[i]! > now.rowKW[i]! + 1e-6 && now.rowKW[i]! < t.rows[i]!.budgetKW).map((row) => row.id);
      return { device, rows };
    });
  }

  /** Fire the plans of what has just gone out, lift those whose device is back. True when the plant changed. */
  private watchFailures(engine: Engine, nowMs: number): boolean {
    const out = outIds(this.plant, this.state() ?? healthyState(this.plant));
    const was = this.lastOut;
    if (out.length === was.length && out.every((id, i) => id === was[i])) return false;
    this.lastOut = out;
    if (!this.layer) return true;
    const remaining = [...was];
    let changed = false;
    for (const id of out) {
      const k = remaining.indexOf(id);
      if (k >= 0) {
        remaining.splice(k, 1);
        continue;
      }
      // Newly out: its plan, as armed by the last analysis (null: nothing needed caps).
      const plan = this.plans.get(id);
      const c = this.planOf.get(id);
      if (!plan || !c) continue;
      const limitW = new Float64Array(engine.topology.gpuCount);
      const capsKW = armedLimits(engine.topology, engine.index, plan, this.priorities, this.peakPowerW(engine), limitW);
      const gpus = limitW.reduce((a, v) => a + (v > 0 ? 1 : 0), 0);
      const trips = c.overloads.map((o) => o.secondsToTrip).filter((x): x is number => x !== null);
      const firing: ArmedFiring = { device: id, atMs: nowMs, capsKW: Math.round(capsKW * 10) / 10, gpus, landsInS: c.response.landsInS, firstTripS: trips.length ? Math.min(...trips) : null };
      this.firings.push({ f: firing, limitW });
      engine.note({ kind: 'armed', subject: id, body: { ...firing } });
      changed = true;
    }
    // Back in service: lift what its plan set (one firing per id still out stays).
    for (const id of remaining) {
      const k = this.firings.findIndex((x) => x.f.device === id);
      if (k < 0) continue;
      this.firings.splice(k, 1);
      engine.note({ kind: 'armed', subject: id, body: { lifted: true } });
      changed = true;
    }
    if (changed) this.redraw();
    return true;
  }

  /**
   * An operator lifts the (oldest) plan in force for `device` before the device is back: its caps go; the failure
   * stays as it is, so nothing fires again for it. Returns what it had set, or null when none is in force.
   */
  lift(device: string): ArmedFiring | null {
    const k = this.firings.findIndex((x) => x.f.device === device);
    if (k < 0 || !this.layer) return null;
    const [x] = this.firings.splice(k, 1);
    this.redraw();
    this.nextMs = -Infinity;
    return { ...x!.f };
  }

  /** Each GPU's recent peak power (W), this instant's where it has none yet. */
  private peakPowerW(engine: Engine): Float64Array {
    const p = this.peaks.get().powerW;
    const now = engine.live.powerW;
    for (let g = 0; g < p.length; g++) if (!Number.isFinite(p[g]!)) p[g] = now[g]!;
    return p;
  }

  /** The layer: the lowest limit any plan in force sets per GPU. */
  private redraw(): void {
    const layer = this.layer!;
    const arbiter = this.arbiter!;
    Arbiter.clear(layer);
    for (const { f, limitW } of this.firings) {
      const why = arbiter.why(`armed response: ${f.device} out of service`);
      for (let g = 0; g < limitW.length; g++) {
        const v = limitW[g]!;
        if (v > 0 && (layer.limitW[g] === 0 || v < layer.limitW[g]!)) {
          layer.limitW[g] = v;
          layer.limitWhy[g] = why;
        }
      }
    }
    arbiter.decide();
  }

  /**
   * Analyse now. With `maintenance` (device ids out of service), a what-if for planning a window: answered, not kept,
   * and no alert follows from it. PlantError for an unknown id.
   */
  analyse(engine: Engine, maintenance?: readonly string[]): PlantPicture {
    const t0 = performance.now();
    const now = this.state() ?? healthyState(this.plant);
    const base = maintenance?.length ? maintenanceState(this.plant, maintenance, now) : now;
    const inp = plantInputs(engine, this.priorities, { rackW: this.peaks.get().rackW, powerW: this.peakPowerW(engine) });
    const plans = maintenance?.length ? undefined : new Map<string, Float64Array>();
    const cs = contingencies(this.plant, engine.topology, inp.rackKW, { lowKW: inp.lowKW, highKW: inp.highKW }, responseLatency(this.policy()), base, plans);
    const out = outIds(this.plant, base);
    // The budgets the plant allows in that state (a window or a failure can lower them), no more than the topology's.
    const b = budgetsIn(this.plant, engine.topology, base);
    const budgets = engine.topology.rows.map((r, i) => ({ row: r.id, budgetKW: Math.min(r.budgetKW, b.rowKW[i]!), limitedBy: b.limitedBy[i]! }));
    const picture: PlantPicture = { armed: plans && this.layer ? [...plans.keys()] : [], engaged: this.engaged, atMs: engine.nowMs, tookMs: Math.round((performance.now() - t0) * 10) / 10, devices: this.plant.ids.length, out, budgets, contingencies: cs, worstByRow: worstByRow(this.plant, engine.topology, cs) };
    if (maintenance?.length || !plans) return picture;
    this.plans = plans;
    this.planOf = new Map(cs.filter((c) => plans.has(c.device)).map((c) => [c.device, c]));
    engine.contingencyUnsafe = cs.filter(isUnsafe);
    this.latest = picture;
    return picture;
  }
}

/** What is out of service in a state: device ids, "<UPS>/module" once per module lost, the cooling plant's; sorted. */
export function outIds(p: ResolvedPlant, s: PlantState): string[] {
  return [...p.ids.filter((_, x) => s.out[x] === 1), ...p.ids.flatMap((id, x) => Array.from({ length: s.upsModulesLost[x]! }, () => `${id}/module`)), ...coolingOutIds(p.cooling, s.cooling)].sort();
}
