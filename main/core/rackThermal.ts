/**
 * Rack inlet air above its row's cold aisle: hot-air recirculation that depends on the rack's own power, its
 * neighbours' and its place in the row (a reconstruction, ours: TAPAS gives no formula; docs/MODEL.md "Rack air").
 *
 *   own_k    = RECIRC_C · w_k · (P_k / Pnom_k)                     w_k = END_WEIGHT at either end of the row, else 1
 *   inlet∞_k = row inlet + static offset_k + own_k + NEIGHBOUR_SHARE · (own_{k−1} + own_{k+1})    (neighbours in the row)
 *
 * and each rack's recirculation relaxes toward its target with RACK_TAU_S (the air over and around a rack changes
 * faster than the room's). Exhaust spills over the top and around the sides of a busy rack into its own and its
 * neighbours' intake; at the aisle ends it also wraps around the end of the row, so an end rack recirculates about
 * three times what a middle one does. An idle rack recirculates nothing. Pure: no I/O, writes into the caller's arrays.
 */

/** °C a middle rack's inlet rises at its nominal (provisioned) power. */
export const RECIRC_C = 0.5;
/** An end rack's recirculation relative to a middle rack's. */
export const END_WEIGHT = 2.5;
/** Share of a neighbour's own recirculation that reaches a rack. */
export const NEIGHBOUR_SHARE = 0.25;
/** The most any rack adds above its row's aisle at its nominal power: an end rack with a busy neighbour (°C). */
export const MAX_RACK_RECIRC_C = END_WEIGHT * RECIRC_C + NEIGHBOUR_SHARE * RECIRC_C;
/** Time constant of a rack's recirculation (s). */
export const RACK_TAU_S = 30;

/** Per rack, what the model needs of the topology (built once). */
export interface RackAirLayout {
  /** Recirculation weight (END_WEIGHT at a row end, 1 elsewhere) × RECIRC_C / nominal W: own_k = coef_k · P_k. */
  readonly coef: Float64Array;
  /** The racks on either side in the same row (−1: none). */
  readonly left: Int32Array;
  readonly right: Int32Array;
}

export function rackAirLayout(rows: ReadonlyArray<{ rackStart: number; rackCount: number }>, rackNominalKW: ArrayLike<number>): RackAirLayout {
  const n = rackNominalKW.length;
  const coef = new Float64Array(n);
  const left = new Int32Array(n).fill(-1);
  const right = new Int32Array(n).fill(-1);
  for (const row of rows) {
    for (let i = 0; i < row.rackCount; i++) {
      const k = row.rackStart + i;
      const end = row.rackCount > 1 && (i === 0 || i === row.rackCount - 1);
      const nominalW = rackNominalKW[k]! * 1000;
      coef[k] = nominalW > 0 ? ((end ? END_WEIGHT : 1) * RECIRC_C) / nominalW : 0;
      if (i > 0) left[k] = k - 1;
      if (i < row.rackCount - 1) right[k] = k + 1;
    }
  }
  return { coef, left, right };
}

/**
 * Advance every rack's recirculation (°C, `recircC`, in place) toward its target from the racks' power (W) by dtS,
 * and write each rack's inlet: its row's inlet + its static offset + its recirculation. `own` is scratch (racks long).
 */
export function stepRackAir(
  L: RackAirLayout,
  rackW: ArrayLike<number>,
  rowInletC: ArrayLike<number>,
  rackRow: ArrayLike<number>,
  offsetC: ArrayLike<number>,
  dtS: number,
  own: Float64Array,
  recircC: Float64Array,
  inletC: Float64Array,
): void {
  const n = L.coef.length;
  for (let k = 0; k < n; k++) {
    const w = rackW[k]!;
    own[k] = w > 0 ? L.coef[k]! * w : 0;
  }
  const a = 1 - Math.exp(-dtS / RACK_TAU_S);
  for (let k = 0; k < n; k++) {
    const l = L.left[k]!;
    const r = L.right[k]!;
    const target = own[k]! + NEIGHBOUR_SHARE * ((l >= 0 ? own[l]! : 0) + (r >= 0 ? own[r]! : 0));
    const c = recircC[k]! + (target - recircC[k]!) * a;
    recircC[k] = c;
    inletC[k] = rowInletC[rackRow[k]!]! + offsetC[k]! + c;
  }
}
