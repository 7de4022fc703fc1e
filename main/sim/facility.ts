import type { ScenarioEvent } from '../../shared/domain/scenario.js';
import type { Topology } from '../../shared/domain/topology.js';
import type { Aggregates } from '../core/aggregate.js';
import { applyOut, budgetsIn, capacityKW, copyState, healthyState, plantLoads, resolvePlant, secondsToTrip, type PlantState, type ResolvedPlant } from '../core/plant.js';

/**
 * The simulated plant's state (topology `plant:`): which devices are out — named by the deviceFailure events in force
 * (failures and maintenance) and tripped by overloads, which stay out (a breaker is reset by a person) — the budgets
 * the plant then allows per row and rack, and which racks have no supply. Overloads build up toward a trip: each step
 * adds dt / (time to trip at the load) for every device above its capacity (core/plant.ts `secondsToTrip`); at 1 it
 * trips. Below capacity it cools off over 10 min. Without a plant every method is a no-op.
 */
export class Facility {
  readonly plant: ResolvedPlant | null;
  now: PlantState | null = null;
  /** What the plant allows per row and rack (kW), the topology's budgets at most. */
  readonly rowKW: Float64Array;
  readonly rackKW: Float64Array;
  private key = '';
  private roots: { failed: string[]; maintenance: string[] } = { failed: [], maintenance: [] };
  private readonly tripped: Uint8Array;
  private readonly tripAcc: Float64Array;
  private readonly loadKW: Float64Array;
  private readonly rackLoadKW: Float64Array;

  constructor(private readonly t: Topology) {
    this.plant = t.plant ? resolvePlant(t.plant, t) : null;
    const n = this.plant?.ids.length ?? 0;
    this.rowKW = Float64Array.from(t.rows, (r) => r.budgetKW);
    this.rackKW = Float64Array.from(t.racks, (r) => r.budgetKW);
    this.tripped = new Uint8Array(n);
    this.tripAcc = new Float64Array(n);
    this.loadKW = new Float64Array(n);
    this.rackLoadKW = new Float64Array(t.racks.length);
  }

  /**
   * The plant under the events in force (`active` indexes `events`) and the trips so far. Returns the racks' supply
   * when it changed (true: the rack has none), else null.
   */
  update(events: readonly ScenarioEvent[], active: readonly number[]): Uint8Array | null {
    const p = this.plant;
    if (!p) return null;
    const s = healthyState(p);
    const roots: { failed: string[]; maintenance: string[] } = { failed: [], maintenance: [] };
    for (let x = 0; x < this.tripped.length; x++) {
      if (!this.tripped[x]) continue;
      s.out[x] = 1;
      roots.failed.push(p.ids[x]!);
    }
    for (const e of active) {
      const ev = events[e]!;
      if (ev.kind !== 'deviceFailure') continue;
      for (const d of ev.devices) applyOut(p, s, d);
      (ev.maintenance ? roots.maintenance : roots.failed).push(...ev.devices);
    }
    this.roots = roots;
    const key = `${s.out.join('')}|${s.upsModulesLost.join(',')}|${s.cooling.lost.join(',')}|${s.cooling.out.join('')}`;
    this.now = s;
    if (key === this.key) return null;
    this.key = key;
    const t = this.t;
    const b = budgetsIn(p, t, s);
    for (let r = 0; r < t.rows.length; r++) this.rowKW[r] = Math.min(t.rows[r]!.budgetKW, b.rowKW[r]!);
    for (let k = 0; k < t.racks.length; k++) this.rackKW[k] = Math.min(t.racks[k]!.budgetKW, b.rackKW[k]!);
    return Uint8Array.from(b.rackKW, (kw) => (kw === 0 ? 1 : 0));
  }

  /** Advance the trip accumulators by `dtS` at the racks' power now. */
  stepTrips(agg: Aggregates, dtS: number): void {
    const p = this.plant;
    const s = this.now;
    if (!p || !s) return;
    for (let r = 0; r < this.rackLoadKW.length; r++) this.rackLoadKW[r] = agg.rackW[r]! / 1000;
    const { nodeKW } = plantLoads(p, s, this.rackLoadKW, this.loadKW);
    for (let x = 0; x < nodeKW.length; x++) {
      if (s.out[x] || this.tripped[x]) continue;
      const tt = nodeKW[x]! > capacityKW(p, s, x) ? secondsToTrip(p, s, x, nodeKW[x]!) : null;
      if (tt === null) this.tripAcc[x] = Math.max(0, this.tripAcc[x]! - dtS / 600);
      else if ((this.tripAcc[x]! += dtS / Math.max(1e-3, tt)) >= 1) this.tripped[x] = 1;
    }
  }

  /** The plant now (devices out, modules lost), or null without a plant. A copy. */
  state(): PlantState | null {
    return this.now ? copyState(this.now) : null;
  }

  /** What is out of service and why: the devices named by failures (and trips) and by maintenance windows in force. */
  outRoots(): { failed: string[]; maintenance: string[] } {
    return { failed: [...this.roots.failed], maintenance: [...this.roots.maintenance] };
  }

  trippedDevices(): string[] {
    return this.plant ? this.plant.ids.filter((_, x) => this.tripped[x] === 1) : [];
  }

  /** Per device (resolvePlant's order), the share of its time-to-trip used (live, not a copy); null without a plant. */
  allowanceUsed(): { ids: readonly string[]; used: ArrayLike<number> } | null {
    return this.plant ? { ids: this.plant.ids, used: this.tripAcc } : null;
  }
}
