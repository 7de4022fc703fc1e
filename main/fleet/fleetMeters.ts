import type { Topology } from '../../shared/domain/topology.js';
import type { MeterReading, MeterReadings } from '../core/source.js';

/** A meter reading above this many times the most its rack (or row) could draw is refused (a W/kW mix-up reads 1000×). */
const MAX_FACTOR = 2;

/** Per rack and per row: the newest meter reading, when it arrived, and how long it stays fresh. */
class Slots {
  readonly kW: Float64Array;
  readonly tMs: Float64Array;
  readonly seenWallMs: Float64Array;
  readonly freshForMs: Float64Array;
  readonly out: Float64Array;

  constructor(
    readonly ids: ReadonlyMap<string, number>,
    /** The most each could draw (kW): its GPUs at their maximum limit plus its servers fully busy. */
    readonly maxKW: Float64Array,
  ) {
    const n = maxKW.length;
    this.kW = new Float64Array(n).fill(NaN);
    this.tMs = new Float64Array(n).fill(-Infinity);
    this.seenWallMs = new Float64Array(n).fill(-Infinity);
    this.freshForMs = new Float64Array(n);
    this.out = new Float64Array(n).fill(NaN);
  }

  /** Each one's reading if it arrived within its freshness limit, else NaN. */
  fresh(wallMs: number): Float64Array {
    for (let i = 0; i < this.out.length; i++) this.out[i] = wallMs - this.seenWallMs[i]! <= this.freshForMs[i]! ? this.kW[i]! : NaN;
    return this.out;
  }
}

/**
 * The site's meters as the FleetSource keeps them: readings by rack and row id, checked against the inventory. A rack
 * or row the inventory does not list is reported once per feed (then only counted), never fatal; a reading above
 * twice what the rack could draw is refused and counted (a unit mix-up must not brake a row). A meter counts as
 * fresh for as long as its feed's GPU readings do.
 */
export class FleetMeters {
  private readonly racks: Slots;
  private readonly rows: Slots;
  /** Per feed: unknown rack and row ids already reported, and how many readings named one. */
  private readonly unknown = new Map<string, { reported: Set<string>; count: number }>();
  /** True once any meter reading was accepted: until then batches carry no meter columns. */
  seen = false;

  constructor(t: Topology) {
    const rackMaxKW = new Float64Array(t.racks.length);
    for (const s of t.servers) {
      const m = t.models[s.model]!;
      rackMaxKW[s.rack]! += (s.gpuCount * m.maxLimitW + s.idleW + s.activeW) / 1000;
    }
    const rowMaxKW = new Float64Array(t.rows.length);
    t.racks.forEach((r, i) => (rowMaxKW[r.row]! += rackMaxKW[i]!));
    this.racks = new Slots(new Map(t.racks.map((r, i) => [r.id, i])), rackMaxKW);
    this.rows = new Slots(new Map(t.rows.map((r, i) => [r.id, i])), rowMaxKW);
  }

  /** Take one feed's meter readings; `error` counts a problem against the feed. */
  accept(feedId: string, m: MeterReadings, wallMs: number, freshForMs: number, maxSkewMs: number, error: (message: string) => void): void {
    const newUnknown: string[] = [];
    const take = (slots: Slots, kind: 'rack' | 'row', list: readonly MeterReading[]) => {
      for (const x of list) {
        const i = slots.ids.get(x.id);
        if (i === undefined) {
          const u = this.unknown.get(feedId) ?? { reported: new Set<string>(), count: 0 };
          this.unknown.set(feedId, u);
          u.count++;
          if (!u.reported.has(`${kind} ${x.id}`)) {
            u.reported.add(`${kind} ${x.id}`);
            newUnknown.push(`${kind} "${x.id}"`);
          }
          continue;
        }
        if (!(x.kW >= 0 && x.kW <= MAX_FACTOR * slots.maxKW[i]!)) {
          error(`${kind} ${x.id}: meter reads ${x.kW.toFixed(1)} kW, more than ${MAX_FACTOR}× the ${slots.maxKW[i]!.toFixed(1)} kW it could draw (unit or multiplier wrong?): ignored`);
          continue;
        }
        const tMs = Math.min(x.tMs, wallMs + maxSkewMs);
        if (tMs < slots.tMs[i]!) continue;
        slots.kW[i] = x.kW;
        slots.tMs[i] = tMs;
        slots.seenWallMs[i] = wallMs;
        slots.freshForMs[i] = freshForMs;
        this.seen = true;
      }
    };
    take(this.racks, 'rack', m.racks);
    take(this.rows, 'row', m.rows);
    if (newUnknown.length) error(`meter readings name ${newUnknown.join(', ')}, not in the inventory: ignored (reported once; ${this.unknownCount(feedId)} such readings so far)`);
  }

  /** Readings naming a rack or row the inventory does not list, from this feed so far. */
  unknownCount(feedId: string): number {
    return this.unknown.get(feedId)?.count ?? 0;
  }

  /** Per rack and per row: the fresh metered kW, NaN where none (the arrays are reused between calls). */
  fresh(wallMs: number): { rackMeteredKW: Float64Array; rowMeteredKW: Float64Array } {
    return { rackMeteredKW: this.racks.fresh(wallMs), rowMeteredKW: this.rows.fresh(wallMs) };
  }
}
