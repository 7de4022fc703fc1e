import type { SourceHealth } from '../../shared/domain/fleet.js';

/** Full-fleet readings delivered by a source in one poll. Columns are indexed like the topology. */
export interface SourceBatch {
  tMs: number;
  powerW: ArrayLike<number>;
  tempC: ArrayLike<number>;
  clockMHz: ArrayLike<number>;
  limitW: ArrayLike<number>;
  util: ArrayLike<number>;
  flags: ArrayLike<number>;
  /** Facility readings where the source has them (the simulator does; GPU agents do not). */
  rackInletC?: ArrayLike<number>;
  rowBudgetKW?: ArrayLike<number>;
  rowCoolingKW?: ArrayLike<number>;
}

/** A port that brings samples in. `poll` advances to nowMs; it returns null when nothing arrived. */
export interface Source {
  readonly id: string;
  readonly kind: SourceHealth['kind'];
  poll(nowMs: number, dtS: number): SourceBatch | null;
  /** Health per feed, when the source is made of several (a real fleet); otherwise the engine derives one. */
  health?(): SourceHealth[];
}
