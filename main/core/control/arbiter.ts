import type { SetpointSource } from '../../../shared/domain/control.js';

/**
 * The arbiter: merges every contribution to a GPU's setpoint into one. Contributions come in layers (POLCA, manual
 * overrides, playbooks, manual row brakes…), each tagged with its source. Rules:
 *   - caps (power limit, clock lock): the LOWEST value wins across all sources; on a tie the higher-priority
 *     source (emergency > manual > automatic) is credited;
 *   - brake: engaged if any source asks;
 *   - power floor (minimum draw, grid smoothing; levers.ts): the HIGHEST floor wins, then it is held at or below the
 *     winning power limit, and a brake drops it: a cap always beats a floor;
 *   - a GPU marked exempt (a manual override) ignores automatic contributions only; emergencies still apply;
 *   - 0, NaN, ±Infinity or a negative value mean "no contribution".
 * Typed arrays in and out: 10,240 GPUs decide in microseconds (no allocation per decision).
 */

export const SOURCE = { none: 0, auto: 1, manual: 2, emergency: 3 } as const;

/**
 * The floor in force given the winning power limit and brake (the rule above: a cap always beats a floor). Every
 * floor — the arbiter's merge, the training-swings site's smoothing and burn (main/sim/gridSwings.ts) — goes through it.
 * `limitW` ≤ 0 means no limit.
 */
export function floorInForce(floorW: number, limitW: number, brake: boolean): number {
  if (!(floorW > 0) || brake) return 0;
  return limitW > 0 && floorW > limitW ? limitW : floorW;
}
export const SOURCE_NAMES: readonly SetpointSource[] = ['none', 'auto', 'manual', 'emergency'];
type SourceCode = (typeof SOURCE)[keyof typeof SOURCE];

/** One layer of contributions: value columns (0 = none) and, per value, the index of its reason text. */
export interface Layer {
  readonly name: string;
  readonly source: SourceCode;
  readonly lockMHz: Float64Array;
  readonly limitW: Float64Array;
  readonly brake: Uint8Array;
  /** Minimum draw asked (W; 0 = none). Write it with Arbiter.floor: the merge skips layers that never held one. */
  readonly floorW: Float64Array;
  /** True once the layer has held a floor (set by Arbiter.floor). */
  floors: boolean;
  readonly lockWhy: Int32Array;
  readonly limitWhy: Int32Array;
  readonly brakeWhy: Int32Array;
  readonly floorWhy: Int32Array;
}

/** The decision, per GPU. Values 0 = none. `*Src` = SOURCE code of the winner; `source` = the highest of them. */
export interface Decision {
  lockMHz: Float64Array;
  limitW: Float64Array;
  brake: Uint8Array;
  /** The floor in force: the highest asked, at most the winning limit, 0 under a brake. */
  floorW: Float64Array;
  lockSrc: Uint8Array;
  limitSrc: Uint8Array;
  brakeSrc: Uint8Array;
  floorSrc: Uint8Array;
  source: Uint8Array;
  lockWhy: Int32Array;
  limitWhy: Int32Array;
  brakeWhy: Int32Array;
  floorWhy: Int32Array;
}

export interface Contribution {
  source: SetpointSource;
  layer: string;
  what: string;
  why: string;
  winner: boolean;
}

const valid = (v: number) => v > 0 && v < Infinity;

export class Arbiter {
  readonly layers: Layer[] = [];
  readonly exempt: Uint8Array;
  readonly out: Decision;
  /** Layers in decision order: highest priority first (ties credit the first). */
  private ordered: Layer[] = [];
  private readonly whyText: string[] = [''];
  private readonly whyIndex = new Map<string, number>([['', 0]]);
  /** GPUs [from, to) re-decided since the last takeChanged() (everything, at first). */
  private changedFrom = 0;
  private changedTo: number;

  constructor(readonly n: number) {
    this.changedTo = n;
    this.exempt = new Uint8Array(n);
    this.out = {
      lockMHz: new Float64Array(n),
      limitW: new Float64Array(n),
      brake: new Uint8Array(n),
      floorW: new Float64Array(n),
      lockSrc: new Uint8Array(n),
      limitSrc: new Uint8Array(n),
      brakeSrc: new Uint8Array(n),
      floorSrc: new Uint8Array(n),
      source: new Uint8Array(n),
      lockWhy: new Int32Array(n),
      limitWhy: new Int32Array(n),
      brakeWhy: new Int32Array(n),
      floorWhy: new Int32Array(n),
    };
  }

  /** Add a layer of contributions from one source. */
  addLayer(name: string, source: SetpointSource): Layer {
    const n = this.n;
    const code = SOURCE[source];
    const layer: Layer = {
      name,
      source: code,
      lockMHz: new Float64Array(n),
      limitW: new Float64Array(n),
      brake: new Uint8Array(n),
      floorW: new Float64Array(n),
      floors: false,
      lockWhy: new Int32Array(n),
      limitWhy: new Int32Array(n),
      brakeWhy: new Int32Array(n),
      floorWhy: new Int32Array(n),
    };
    this.layers.push(layer);
    this.ordered = [...this.layers].sort((a, b) => b.source - a.source);
    return layer;
  }

  /** Intern a reason text; contributions carry its index. */
  why(text: string): number {
    let i = this.whyIndex.get(text);
    if (i === undefined) {
      i = this.whyText.length;
      this.whyText.push(text);
      this.whyIndex.set(text, i);
    }
    return i;
  }

  whyOf(i: number): string {
    return this.whyText[i] ?? '';
  }

  /** Ask a floor of `watts` (0: none) for GPU g in a layer, with a reason (an index from `why`). */
  static floor(layer: Layer, g: number, watts: number, why: number): void {
    layer.floorW[g] = watts;
    layer.floorWhy[g] = why;
    if (watts > 0) layer.floors = true;
  }

  /** Remove a layer's contributions for GPUs [from, to). */
  static clear(layer: Layer, from = 0, to = layer.lockMHz.length): void {
    layer.lockMHz.fill(0, from, to);
    layer.limitW.fill(0, from, to);
    layer.brake.fill(0, from, to);
    layer.floorW.fill(0, from, to);
    layer.lockWhy.fill(0, from, to);
    layer.limitWhy.fill(0, from, to);
    layer.brakeWhy.fill(0, from, to);
    layer.floorWhy.fill(0, from, to);
  }

  /**
   * Merge every layer into `out` for GPUs [from, to). Layer-major passes over typed arrays (monomorphic loops):
   * layers are visited highest priority first, and a later layer wins only with a strictly lower value.
   */
  decide(from = 0, to = this.n): void {
    if (from < this.changedFrom) this.changedFrom = from;
    if (to > this.changedTo) this.changedTo = to;
    const o = this.out;
    const { lockMHz: oLock, limitW: oLimit, brake: oBrake, lockSrc: oLockSrc, limitSrc: oLimitSrc, brakeSrc: oBrakeSrc, lockWhy: oLockWhy, limitWhy: oLimitWhy, brakeWhy: oBrakeWhy } = o;
    oLock.fill(0, from, to);
    oLimit.fill(0, from, to);
    oBrake.fill(0, from, to);
    oLockSrc.fill(0, from, to);
    oLimitSrc.fill(0, from, to);
    oBrakeSrc.fill(0, from, to);
    oLockWhy.fill(0, from, to);
    oLimitWhy.fill(0, from, to);
    oBrakeWhy.fill(0, from, to);
    const { floorW: oFloor, floorSrc: oFloorSrc, floorWhy: oFloorWhy } = o;
    oFloor.fill(0, from, to);
    oFloorSrc.fill(0, from, to);
    oFloorWhy.fill(0, from, to);
    const ex = this.exempt;
    for (const ly of this.ordered) {
      const src = ly.source;
      const skipExempt = src === SOURCE.auto;
      const { lockMHz, limitW, brake, lockWhy, limitWhy, brakeWhy } = ly;
      for (let g = from; g < to; g++) {
        if (skipExempt && ex[g] === 1) continue;
        const v = lockMHz[g]!;
        if (v > 0 && v < Infinity) {
          const cur = oLock[g]!;
          if (cur === 0 || v < cur) {
            oLock[g] = v;
            oLockSrc[g] = src;
            oLockWhy[g] = lockWhy[g]!;
          }
        }
        const w = limitW[g]!;
        if (w > 0 && w < Infinity) {
          const cur = oLimit[g]!;
          if (cur === 0 || w < cur) {
            oLimit[g] = w;
            oLimitSrc[g] = src;
            oLimitWhy[g] = limitWhy[g]!;
          }
        }
        if (brake[g] === 1 && oBrake[g] === 0) {
          oBrake[g] = 1;
          oBrakeSrc[g] = src;
          oBrakeWhy[g] = brakeWhy[g]!;
        }
      }
      // Floors are rare (grid smoothing): a layer without any is skipped.
      if (!ly.floors) continue;
      const { floorW, floorWhy } = ly;
      for (let g = from; g < to; g++) {
        if (skipExempt && ex[g] === 1) continue;
        const f = floorW[g]!;
        if (f > 0 && f < Infinity && f > oFloor[g]!) {
          oFloor[g] = f;
          oFloorSrc[g] = src;
          oFloorWhy[g] = floorWhy[g]!;
        }
      }
    }
    const oSrc = o.source;
    for (let g = from; g < to; g++) {
      // A cap beats a floor: held at or below the winning limit; none under a brake.
      if (oFloor[g]! > 0) {
        oFloor[g] = floorInForce(oFloor[g]!, oLimit[g]!, oBrake[g] === 1);
        if (oFloor[g] === 0) {
          oFloorSrc[g] = 0;
          oFloorWhy[g] = 0;
        }
      }
      const a = oLockSrc[g]!;
      const b = oLimitSrc[g]!;
      const c = oBrakeSrc[g]!;
      const d = oFloorSrc[g]!;
      const abc = a > b ? (a > c ? a : c) : b > c ? b : c;
      oSrc[g] = abc > d ? abc : d;
    }
  }

  /**
   * The GPUs re-decided since the last call, as a range (empty: from >= to), and reset it: outside it `out` is
   * unchanged (the actuation model visits only these, and its unsettled GPUs).
   */
  takeChanged(): { from: number; to: number } {
    const r = { from: this.changedFrom, to: this.changedTo };
    this.changedFrom = this.n;
    this.changedTo = 0;
    return r;
  }

  /**
   * Every contribution to GPU g, winners first (brake, lock, limit), then the rest by priority. Ignored automatic
   * contributions of an exempt GPU are listed with the reason they were ignored.
   */
  explain(g: number): Contribution[] {
    const o = this.out;
    const exempt = this.exempt[g] === 1;
    const winners: Contribution[] = [];
    const others: Contribution[] = [];
    let brakeCredited = false;
    let lockCredited = false;
    let limitCredited = false;
    let floorCredited = false;
    for (const ly of this.ordered) {
      const source = SOURCE_NAMES[ly.source]!;
      const ignored = exempt && ly.source === SOURCE.auto;
      const suffix = ignored ? ' (ignored: GPU exempt from automation)' : '';
      if (ly.brake[g] === 1) {
        const win = !ignored && !brakeCredited && o.brake[g] === 1 && o.brakeSrc[g] === ly.source && o.brakeWhy[g] === ly.brakeWhy[g];
        if (win) brakeCredited = true;
        (win ? winners : others).push({ source, layer: ly.name, what: 'power brake', why: this.whyOf(ly.brakeWhy[g]!) + suffix, winner: win });
      }
      const v = ly.lockMHz[g]!;
      if (valid(v)) {
        const win = !ignored && !lockCredited && v === o.lockMHz[g] && o.lockSrc[g] === ly.source;
        if (win) lockCredited = true;
        (win ? winners : others).push({ source, layer: ly.name, what: `clock lock ${Math.round(v)} MHz`, why: this.whyOf(ly.lockWhy[g]!) + suffix, winner: win });
      }
      const w = ly.limitW[g]!;
      if (valid(w)) {
        const win = !ignored && !limitCredited && w === o.limitW[g] && o.limitSrc[g] === ly.source;
        if (win) limitCredited = true;
        (win ? winners : others).push({ source, layer: ly.name, what: `power limit ${Math.round(w)} W`, why: this.whyOf(ly.limitWhy[g]!) + suffix, winner: win });
      }
      const f = ly.floorW[g]!;
      if (valid(f)) {
        // Credited to the layer that set the winning floor (it may have been held down to the limit).
        const win = !ignored && !floorCredited && o.floorW[g]! > 0 && o.floorSrc[g] === ly.source && o.floorWhy[g] === ly.floorWhy[g];
        if (win) floorCredited = true;
        const held = win && o.floorW[g]! < f ? ` (held at ${Math.round(o.floorW[g]!)} W by the power limit)` : '';
        (win ? winners : others).push({ source, layer: ly.name, what: `power floor ${Math.round(f)} W${held}`, why: this.whyOf(ly.floorWhy[g]!) + suffix, winner: win });
      }
    }
    return [...winners, ...others];
  }
}
