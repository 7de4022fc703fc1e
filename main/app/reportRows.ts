import { SampleFlag } from '../../shared/domain/fleet.js';
import type { Topology } from '../../shared/domain/topology.js';
import { unreachableRows } from '../core/feasibility.js';
import { resolvePlant } from '../core/plant.js';

/** A GPU reading that is not a measurement: its source is silent (stale) or it was invalid; counted at its worst case. */
export const UNMEASURED = SampleFlag.stale | SampleFlag.invalid;

/** What the report reads from the simulator's plant (Simulator implements it): see Simulator.tripAllowanceUsed. */
export interface PlantReportSource {
  tripAllowanceUsed(): { ids: readonly string[]; used: ArrayLike<number> } | null;
  trippedDevices(): string[];
}

/** One stretch during which a row's budget in force was unreachable (core/feasibility.ts). */
interface Unreachable {
  row: number;
  fromS: number;
  toS: number | null;
  /** The lowest budget in force during it, the row's floor, the most servers to shed. */
  budgetKW: number;
  floorKW: number;
  shedServers: number;
  servers: number;
}

/**
 * The honest part of the report's row figures, tick by tick: what was measured apart from what was assumed.
 *
 * A row's tick is **measured** when none of its GPUs' readings is stale or invalid; otherwise the engine counts those
 * GPUs at their worst case (their maximum limit) — right for control, but an assumption, not a reading. Measured
 * figures (peak, time over budget, longest stretch over it) use measured ticks only; an unmeasured tick ends a
 * stretch over budget (nothing is known about it). The assumed peak is over every tick, as control saw it.
 */
export class RowTracker {
  readonly rows: number;
  readonly peakKW: Float64Array;
  readonly peakAssumedKW: Float64Array;
  readonly staleS: Float64Array;
  readonly longestOverS: Float64Array;
  readonly measuredTicks: Int32Array;
  /** Per tick: whether every row was measured (for the site's measured peak). */
  allMeasured = true;
  private readonly overRunS: Float64Array;
  private readonly gpuStart: Int32Array;
  private readonly gpuEnd: Int32Array;
  private readonly open: Array<Unreachable | null>;
  private readonly unreachable: Unreachable[] = [];
  /** Per plant device: the most of its time-to-trip used; per row: the devices that feed it. */
  private readonly deviceMax: Float64Array | null;
  private readonly rowDevices: number[][] | null;
  private deviceIds: readonly string[] = [];

  constructor(
    private readonly t: Topology,
    private readonly plant: PlantReportSource | null = null,
  ) {
    const n = t.rows.length;
    this.rows = n;
    this.peakKW = new Float64Array(n);
    this.peakAssumedKW = new Float64Array(n);
    this.staleS = new Float64Array(n);
    this.longestOverS = new Float64Array(n);
    this.overRunS = new Float64Array(n);
    this.measuredTicks = new Int32Array(n);
    this.open = new Array<Unreachable | null>(n).fill(null);
    // Children are contiguous (topology.ts): a row's GPUs are one range.
    this.gpuStart = Int32Array.from(t.rows, (row) => t.servers[t.racks[row.rackStart]!.serverStart]!.gpuStart);
    this.gpuEnd = Int32Array.from(t.rows, (row) => {
      const rack = t.racks[row.rackStart + row.rackCount - 1]!;
      const srv = t.servers[rack.serverStart + rack.serverCount - 1]!;
      return srv.gpuStart + srv.gpuCount;
    });
    const p = plant && t.plant ? resolvePlant(t.plant, t) : null;
    this.deviceMax = p ? new Float64Array(p.ids.length) : null;
    this.rowDevices = p
      ? t.rows.map((row) => {
          const set = new Set<number>();
          for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) {
            for (let x of [p.rackA[k]!, p.rackB[k]!]) for (; x >= 0; x = p.parent[x]!) set.add(x);
          }
          return [...set];
        })
      : null;
  }

  /** Whether row r's readings this tick are all measurements. */
  measured(flags: Uint32Array, r: number): boolean {
    for (let g = this.gpuStart[r]!, end = this.gpuEnd[r]!; g < end; g++) if (flags[g]! & UNMEASURED) return false;
    return true;
  }

  /**
   * One tick: row power (W, as the engine counts it), budgets in force (kW), the GPUs' flags, the tick's end (s from
   * the report's start) and length (s). Returns, per row, whether it was measured (into `measuredOut`).
   */
  record(rowW: ArrayLike<number>, budgetKW: ArrayLike<number>, flags: Uint32Array, endS: number, dtS: number, measuredOut: Uint8Array): void {
    this.allMeasured = true;
    for (let r = 0; r < this.rows; r++) {
      const kw = rowW[r]! / 1000;
      if (kw > this.peakAssumedKW[r]!) this.peakAssumedKW[r] = kw;
      const m = this.measured(flags, r);
      measuredOut[r] = m ? 1 : 0;
      if (!m) {
        this.allMeasured = false;
        this.staleS[r]! += dtS;
        this.overRunS[r] = 0;
        continue;
      }
      this.measuredTicks[r]!++;
      if (kw > this.peakKW[r]!) this.peakKW[r] = kw;
      // The same test as the report's secondsOver100 (% of the budget in force above 100).
      if ((kw / budgetKW[r]!) * 100 > 100) {
        this.overRunS[r]! += dtS;
        if (this.overRunS[r]! > this.longestOverS[r]!) this.longestOverS[r] = this.overRunS[r]!;
      } else this.overRunS[r] = 0;
    }
    this.recordFeasibility(budgetKW, endS - dtS);
    this.recordPlant();
  }

  /** Stretches of unreachable budgets: one per entry into the state, with its deepest budget and shed count. */
  private recordFeasibility(budgetKW: ArrayLike<number>, startS: number): void {
    const bad = unreachableRows(this.t, budgetKW);
    for (const f of bad) {
      const o = this.open[f.row];
      if (!o) {
        const u: Unreachable = { row: f.row, fromS: startS, toS: null, budgetKW: f.budgetKW, floorKW: f.floorKW, shedServers: f.shedServers, servers: f.servers };
        this.open[f.row] = u;
        this.unreachable.push(u);
      } else if (f.budgetKW < o.budgetKW) {
        o.budgetKW = f.budgetKW;
        o.shedServers = Math.max(o.shedServers, f.shedServers);
      }
    }
    for (let r = 0; r < this.rows; r++) {
      const o = this.open[r];
      if (o && !bad.some((f) => f.row === r)) {
        o.toS = startS;
        this.open[r] = null;
      }
    }
  }

  private recordPlant(): void {
    const max = this.deviceMax;
    if (!max) return;
    const a = this.plant!.tripAllowanceUsed();
    if (!a) return;
    this.deviceIds = a.ids;
    for (let x = 0; x < max.length; x++) if (a.used[x]! > max[x]!) max[x] = a.used[x]!;
  }

  /** Row r's worst share of any feeding device's time-to-trip used (%, 2 decimals); null without a plant model. */
  overloadAllowanceUsedPct(r: number): number | null {
    if (!this.deviceMax || !this.rowDevices) return null;
    let worst = 0;
    for (const x of this.rowDevices[r]!) worst = Math.max(worst, this.deviceMax[x]!);
    return Math.round(worst * 10_000) / 100;
  }

  /** What a reader must know to trust the figures: unreachable budgets, assumed peaks, unmeasured rows, trips. */
  warnings(endS: number): string[] {
    const t = this.t;
    const kw = (x: number) => `${Number(x.toFixed(2))} kW`;
    const s = (x: number) => `${Number(x.toFixed(1))} s`;
    const out: string[] = [];
    for (const u of this.unreachable) {
      const to = u.toS ?? endS;
      out.push(
        `Row ${t.rows[u.row]!.id}: budget unreachable from ${s(u.fromS)} for ${s(to - u.fromS)}${u.toS === null ? ' (to the end of the run)' : ''}: ` +
          `lowest budget in force ${kw(u.budgetKW)}, below its floor of ${kw(u.floorKW)} (non-GPU server power at full activity + every GPU busy at its minimum cap); ` +
          `shed ${u.shedServers} of its ${u.servers} server${u.servers === 1 ? '' : 's'} to fit`,
      );
    }
    const stale: string[] = [];
    const above: string[] = [];
    for (let r = 0; r < this.rows; r++) {
      if (this.staleS[r]! <= 0) continue;
      const id = t.rows[r]!.id;
      stale.push(`${id} ${s(this.staleS[r]!)}`);
      if (this.measuredTicks[r] === 0) out.push(`Row ${id}: no reading of the run was measured (stale or invalid throughout): its peakKW 0 means unknown`);
      else if (this.peakAssumedKW[r]! > this.peakKW[r]!) above.push(`${id} (${kw(this.peakAssumedKW[r]!)} vs ${kw(this.peakKW[r]!)})`);
    }
    if (stale.length > 0) {
      out.push(
        `Stale or invalid GPU readings (counted at their maximum limit, left out of the measured figures): ${stale.join(', ')}` +
          (above.length > 0 ? `; the assumed peak (what control used) is above the measured one on ${above.join(', ')}` : ''),
      );
    }
    for (const d of this.plant?.trippedDevices() ?? []) out.push(`Plant device ${d} tripped on overload (it stays out until reset)`);
    if (this.deviceMax) {
      for (let x = 0; x < this.deviceMax.length; x++) {
        const used = this.deviceMax[x]!;
        if (used >= 0.5 && used < 1) out.push(`Plant device ${this.deviceIds[x] ?? x}: its overload used ${Math.round(used * 100)} % of its time to trip`);
      }
    }
    return out;
  }
}
