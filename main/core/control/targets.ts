import type { OverrideAction, Target } from '../../../shared/domain/control.js';
import type { GpuModel, Topology } from '../../../shared/domain/topology.js';
import { RefusalError } from '../ports.js';

/** "\"A01\", \"A02\" and 3 more": ids for a refusal message, at most five shown. */
export function listIds(xs: ReadonlyArray<string | number>): string {
  const shown = xs.slice(0, 5).map((x) => (typeof x === 'string' ? `"${x}"` : String(x)));
  return shown.join(', ') + (xs.length > 5 ? ` and ${xs.length - 5} more` : '');
}

/**
 * Turns what an operator selected (GPU indices, server / rack ids, a row) into GPU indices, and checks an action
 * against the targeted GPU models. Pure over the topology; refusals name what is unknown or out of range.
 */
export class Targets {
  readonly rowIndex = new Map<string, number>();
  private readonly rackIndex = new Map<string, number>();
  private readonly serverIndex = new Map<string, number>();
  private readonly n: number;

  constructor(
    private readonly topo: Topology,
    private readonly gpuModel: Int32Array,
  ) {
    this.n = topo.gpuCount;
    topo.rows.forEach((r, i) => this.rowIndex.set(r.id, i));
    topo.racks.forEach((rk, i) => this.rackIndex.set(rk.id, i));
    topo.servers.forEach((sv, i) => this.serverIndex.set(sv.id, i));
  }

  /** Index of a row id; RefusalError listing the rows for an unknown one. */
  row(id: string): number {
    const r = this.rowIndex.get(id);
    if (r === undefined) throw new RefusalError(`unknown row "${id}" (rows: ${[...this.rowIndex.keys()].join(', ')})`);
    return r;
  }

  /** GPU ids must exist in this fleet. */
  checkGpus(ids: readonly number[]): void {
    const bad = ids.filter((g) => !(Number.isInteger(g) && g >= 0 && g < this.n));
    if (bad.length) throw new RefusalError(`unknown GPU id${bad.length > 1 ? 's' : ''} ${listIds(bad)} (this fleet has GPUs 0–${this.n - 1})`);
  }

  /** GPU indices of a target, sorted and unique; RefusalError naming what is unknown. */
  resolve(t: Target): number[] {
    const topo = this.topo;
    const out = new Set<number>();
    const addServer = (s: number) => {
      const sv = topo.servers[s]!;
      for (let g = sv.gpuStart; g < sv.gpuStart + sv.gpuCount; g++) out.add(g);
    };
    const addRack = (k: number) => {
      const rk = topo.racks[k]!;
      for (let s = rk.serverStart; s < rk.serverStart + rk.serverCount; s++) addServer(s);
    };
    if (t.kind === 'gpus') {
      this.checkGpus(t.ids);
      for (const g of t.ids) out.add(g);
    } else if (t.kind === 'servers') {
      const bad = t.ids.filter((id) => !this.serverIndex.has(id));
      if (bad.length) throw new RefusalError(`unknown server${bad.length > 1 ? 's' : ''} ${listIds(bad)}`);
      for (const id of t.ids) addServer(this.serverIndex.get(id)!);
    } else if (t.kind === 'racks') {
      const bad = t.ids.filter((id) => !this.rackIndex.has(id));
      if (bad.length) throw new RefusalError(`unknown rack${bad.length > 1 ? 's' : ''} ${listIds(bad)}`);
      for (const id of t.ids) addRack(this.rackIndex.get(id)!);
    } else {
      const r = this.row(t.id);
      const row = topo.rows[r]!;
      for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) addRack(k);
    }
    return [...out].sort((a, b) => a - b);
  }

  /** A cap or lock must lie within every targeted GPU model's range. */
  checkAction(a: OverrideAction, gpus: readonly number[], models: readonly GpuModel[]): void {
    if (a.kind === 'exempt') return;
    const modelIdx = new Set(gpus.map((g) => this.gpuModel[g]!));
    for (const mi of modelIdx) {
      const m = models[mi]!;
      if (a.kind === 'powerCap') {
        if (!(Number.isFinite(a.watts) && a.watts >= m.minLimitW && a.watts <= m.maxLimitW)) {
          throw new RefusalError(`power cap ${a.watts} W is outside ${m.id}'s power limit range ${m.minLimitW}–${m.maxLimitW} W`);
        }
      } else if (!(Number.isFinite(a.mhz) && a.mhz >= m.minClockMHz && a.mhz <= m.maxClockMHz)) {
        throw new RefusalError(`clock lock ${a.mhz} MHz is outside ${m.id}'s clock range ${m.minClockMHz}–${m.maxClockMHz} MHz`);
      }
    }
  }
}
