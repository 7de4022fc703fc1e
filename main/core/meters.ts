import { SampleFlag } from '../../shared/domain/fleet.js';
import type { Topology } from '../../shared/domain/topology.js';

/**
 * The site's meters against the model (pure; no I/O, time passed in). Where a rack has PDU meters (or a row branch
 * circuits), two things follow:
 *   - the power the control plane sees is the meter's where a fresh reading exists, else the model's (GPU readings +
 *     server overhead) — never less than what the GPUs themselves report (a PDU reading 0 from a failing card must not
 *     uncap a rack), and never less than the model's worst case where a GPU's reading is stale or invalid;
 *   - the drift between the two, (metered − modelled) / metered, smoothed over a window, says when the model (server
 *     overhead, PSU losses, something unlisted plugged in) or the meter is wrong: the meterDrift alert.
 */

/** A GPU reading replaced by the worst case (stale or invalid): its rack's model is an upper bound, not a reading. */
const WORST = SampleFlag.stale | SampleFlag.invalid;

/** Per rack: the GPUs' own power (W) and whether any of its GPUs counts at the worst case. */
export interface RackParts {
  gpuW: Float64Array;
  worst: Uint8Array;
}

export function createRackParts(t: Topology): RackParts {
  return { gpuW: new Float64Array(t.racks.length), worst: new Uint8Array(t.racks.length) };
}

/** One pass over the GPUs, rack by rack (racks hold contiguous servers, servers contiguous GPUs). Writes into `out`. */
export function rackParts(t: Topology, gpu: { powerW: ArrayLike<number>; flags: ArrayLike<number> }, out: RackParts): void {
  for (let r = 0; r < t.racks.length; r++) {
    const rack = t.racks[r]!;
    const first = t.servers[rack.serverStart]!;
    const last = t.servers[rack.serverStart + rack.serverCount - 1]!;
    let w = 0;
    let worst = 0;
    for (let g = first.gpuStart; g < last.gpuStart + last.gpuCount; g++) {
      w += gpu.powerW[g]!;
      if ((gpu.flags[g]! & WORST) !== 0) worst = 1;
    }
    out.gpuW[r] = w;
    out.worst[r] = worst;
  }
}

/** What the control plane reads per rack and row (W), and how many racks and rows a meter decided. */
export interface ControlPower {
  rackW: Float64Array;
  rowW: Float64Array;
  meteredRacks: number;
  meteredRows: number;
  /** Scratch: per row, the sum of its racks' floors (W). */
  rowFloorW: Float64Array;
}

export function createControlPower(t: Topology): ControlPower {
  return { rackW: new Float64Array(t.racks.length), rowW: new Float64Array(t.rows.length), meteredRacks: 0, meteredRows: 0, rowFloorW: new Float64Array(t.rows.length) };
}

/**
 * Per rack: the fresh meter reading where there is one, else the model; a meter never counts for less than the floor
 * (the GPUs' own readings, or the whole model where a GPU counts at its worst case). Per row: its branch circuits'
 * reading where fresh (never less than its racks' floors), else the sum of its racks as above.
 */
export function controlPower(t: Topology, model: { rackW: ArrayLike<number> }, parts: RackParts, meteredKW: { rack: ArrayLike<number>; row: ArrayLike<number> }, out: ControlPower): void {
  out.rowW.fill(0);
  const rowFloorW = out.rowFloorW;
  rowFloorW.fill(0);
  let racks = 0;
  let rows = 0;
  for (let r = 0; r < t.racks.length; r++) {
    const modelW = model.rackW[r]!;
    const floorW = parts.worst[r] ? modelW : parts.gpuW[r]!;
    const m = meteredKW.rack[r]! * 1000;
    const w = Number.isNaN(m) ? modelW : Math.max(m, floorW);
    if (!Number.isNaN(m)) racks++;
    out.rackW[r] = w;
    const row = t.racks[r]!.row;
    out.rowW[row]! += w;
    rowFloorW[row]! += floorW;
  }
  for (let row = 0; row < t.rows.length; row++) {
    const c = meteredKW.row[row]! * 1000;
    if (Number.isNaN(c)) continue;
    out.rowW[row] = Math.max(c, rowFloorW[row]!);
    rows++;
  }
  out.meteredRacks = racks;
  out.meteredRows = rows;
}

/**
 * The last samples of metered and modelled power per entity (rack or row), in a ring: enough to smooth over the
 * longest window asked for. NaN metered or modelled: no comparison at that instant (no fresh meter, or a worst-case
 * model).
 */
export class MeterWindow {
  private readonly tMs: Float64Array;
  private readonly meteredW: Float64Array;
  private readonly modelledW: Float64Array;
  private next = 0;
  private count = 0;

  constructor(
    readonly size: number,
    /** Samples held: the longest window over the tick step, plus one. */
    readonly capacity: number,
  ) {
    this.tMs = new Float64Array(capacity);
    this.meteredW = new Float64Array(capacity * size);
    this.modelledW = new Float64Array(capacity * size);
  }

  push(tMs: number, meteredW: ArrayLike<number>, modelledW: ArrayLike<number>): void {
    const k = this.next;
    this.tMs[k] = tMs;
    const o = k * this.size;
    for (let i = 0; i < this.size; i++) {
      this.meteredW[o + i] = meteredW[i]!;
      this.modelledW[o + i] = modelledW[i]!;
    }
    this.next = (k + 1) % this.capacity;
    this.count = Math.min(this.count + 1, this.capacity);
  }

  clear(): void {
    this.next = 0;
    this.count = 0;
  }

  /** Visit the held samples newer than `sinceMs`, newest first; `f` gets the sample's offset into the columns. */
  each(sinceMs: number, f: (offset: number, newest: boolean) => void): void {
    for (let j = 0; j < this.count; j++) {
      const k = (this.next - 1 - j + this.capacity) % this.capacity;
      if (!(this.tMs[k]! > sinceMs)) break;
      f(k * this.size, j === 0);
    }
  }

  metered(offset: number, i: number): number {
    return this.meteredW[offset + i]!;
  }

  modelled(offset: number, i: number): number {
    return this.modelledW[offset + i]!;
  }
}

/** The meters against the model over one window. */
export interface Drift {
  /** Per entity: (metered − modelled) / metered over the window's comparable samples, %; NaN where not judged. */
  driftPct: Float64Array;
  /** Per entity: mean metered and modelled power over those samples (W). */
  meteredW: Float64Array;
  modelledW: Float64Array;
  /** Per entity: comparable samples in the window. */
  samples: Int32Array;
  /** Entities whose drift is beyond ±threshold. */
  above: number[];
}

/** Shown and compared drift is clamped here: a meter reading 0 under a loaded rack is "−1000 %", not −Infinity. */
export const DRIFT_CLAMP_PCT = 1000;

/**
 * Drift per entity over the samples in (nowMs − windowMs, nowMs]: sums of metered and modelled power over the
 * samples where both exist, drift = (Σmetered − Σmodelled) / Σmetered. An entity whose newest sample has no fresh
 * meter is not judged (NaN): a stale meter neither raises nor holds an alert. Above threshold means |drift| strictly
 * greater than `thresholdPct`.
 */
export function compareMeters(w: MeterWindow, nowMs: number, windowMs: number, thresholdPct: number): Drift {
  const n = w.size;
  const sumM = new Float64Array(n);
  const sumModel = new Float64Array(n);
  const samples = new Int32Array(n);
  const judged = new Uint8Array(n);
  w.each(nowMs - windowMs, (o, newest) => {
    for (let i = 0; i < n; i++) {
      const m = w.metered(o, i);
      const model = w.modelled(o, i);
      if (Number.isNaN(m) || Number.isNaN(model)) continue;
      if (newest) judged[i] = 1;
      sumM[i]! += m;
      sumModel[i]! += model;
      samples[i]!++;
    }
  });
  const driftPct = new Float64Array(n).fill(NaN);
  const meteredW = new Float64Array(n).fill(NaN);
  const modelledW = new Float64Array(n).fill(NaN);
  const above: number[] = [];
  for (let i = 0; i < n; i++) {
    if (!judged[i]) continue;
    meteredW[i] = sumM[i]! / samples[i]!;
    modelledW[i] = sumModel[i]! / samples[i]!;
    const raw = sumM[i]! > 0 ? ((sumM[i]! - sumModel[i]!) / sumM[i]!) * 100 : sumModel[i]! > 0 ? -Infinity : 0;
    const d = Math.max(-DRIFT_CLAMP_PCT, Math.min(DRIFT_CLAMP_PCT, raw));
    driftPct[i] = d;
    if (Math.abs(d) > thresholdPct) above.push(i);
  }
  return { driftPct, meteredW, modelledW, samples, above };
}

/** The modelled power to compare with the meters (W): NaN for a rack (or a row with a rack) whose model is a worst case. */
export function comparableModel(t: Topology, model: { rackW: ArrayLike<number>; rowW: ArrayLike<number> }, parts: RackParts, out: { rackW: Float64Array; rowW: Float64Array }): void {
  out.rowW.set(model.rowW);
  for (let r = 0; r < t.racks.length; r++) {
    if (!parts.worst[r]) out.rackW[r] = model.rackW[r]!;
    else {
      out.rackW[r] = NaN;
      out.rowW[t.racks[r]!.row] = NaN;
    }
  }
}
