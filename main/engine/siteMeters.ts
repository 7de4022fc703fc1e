import type { Topology } from '../../shared/domain/topology.js';
import type { Aggregates } from '../core/aggregate.js';
import { compareMeters, comparableModel, controlPower, createControlPower, createRackParts, MeterWindow, rackParts, type ControlPower, type Drift, type RackParts } from '../core/meters.js';
import type { SourceBatch } from '../core/source.js';

/** Longest drift window kept, in samples (an hour of 1 s ticks). */
const MAX_WINDOW_SAMPLES = 3600;

/**
 * The engine's side of the site's meters (core/meters.ts holds the rules): the metered kW the last batch carried, the
 * power the control plane sees per rack and row, and the window of samples the meterDrift rules smooth over.
 * Without meters (the simulator, a fleet without them) control sees exactly the model and nothing else is computed.
 */
export class SiteMeters {
  /** Per rack and per row: metered kW from the source, NaN where none or stale. */
  readonly rackMeteredKW: Float64Array;
  readonly rowMeteredKW: Float64Array;
  /** Rack and row power as control sees it (W): metered where fresh, else modelled. */
  readonly control: ControlPower;
  /** True once a batch carried meter columns. */
  active = false;
  private readonly parts: RackParts;
  private readonly rackWindow: MeterWindow | null;
  private readonly rowWindow: MeterWindow | null;
  private readonly comparable: { rackW: Float64Array; rowW: Float64Array };
  private readonly rowMeteredW: Float64Array;
  private readonly rackMeteredW: Float64Array;

  /** `windowMs`: the longest drift window any rule asks for (0: none). */
  constructor(
    private readonly t: Topology,
    stepMs: number,
    windowMs: number,
  ) {
    this.rackMeteredKW = new Float64Array(t.racks.length).fill(NaN);
    this.rowMeteredKW = new Float64Array(t.rows.length).fill(NaN);
    this.control = createControlPower(t);
    this.parts = createRackParts(t);
    const samples = windowMs > 0 ? Math.min(MAX_WINDOW_SAMPLES, Math.ceil(windowMs / stepMs) + 1) : 0;
    this.rackWindow = samples ? new MeterWindow(t.racks.length, samples) : null;
    this.rowWindow = samples ? new MeterWindow(t.rows.length, samples) : null;
    this.comparable = { rackW: new Float64Array(t.racks.length), rowW: new Float64Array(t.rows.length) };
    this.rackMeteredW = new Float64Array(t.racks.length);
    this.rowMeteredW = new Float64Array(t.rows.length);
  }

  /** Take a batch's meter columns (a batch without them: no meter is fresh). */
  take(b: Pick<SourceBatch, 'rackMeteredKW' | 'rowMeteredKW'>): void {
    copyOrNaN(this.rackMeteredKW, b.rackMeteredKW);
    copyOrNaN(this.rowMeteredKW, b.rowMeteredKW);
    if (b.rackMeteredKW || b.rowMeteredKW) this.active = true;
  }

  /** The source went silent: no meter reading is fresh any more. */
  lose(): void {
    this.rackMeteredKW.fill(NaN);
    this.rowMeteredKW.fill(NaN);
  }

  /** After aggregation: the power control sees, and one sample for the drift windows. */
  update(gpu: { powerW: ArrayLike<number>; flags: ArrayLike<number> }, model: Pick<Aggregates, 'rackW' | 'rowW'>, nowMs: number): void {
    const c = this.control;
    if (!this.active) {
      c.rackW.set(model.rackW);
      c.rowW.set(model.rowW);
      return;
    }
    rackParts(this.t, gpu, this.parts);
    controlPower(this.t, model, this.parts, { rack: this.rackMeteredKW, row: this.rowMeteredKW }, c);
    if (!this.rackWindow || !this.rowWindow) return;
    comparableModel(this.t, model, this.parts, this.comparable);
    for (let r = 0; r < this.rackMeteredW.length; r++) this.rackMeteredW[r] = this.rackMeteredKW[r]! * 1000;
    for (let r = 0; r < this.rowMeteredW.length; r++) this.rowMeteredW[r] = this.rowMeteredKW[r]! * 1000;
    this.rackWindow.push(nowMs, this.rackMeteredW, this.comparable.rackW);
    this.rowWindow.push(nowMs, this.rowMeteredW, this.comparable.rowW);
  }

  /** Drift over the last `windowMs` (at most the longest window asked for at construction), or null without meters. */
  drift(nowMs: number, windowMs: number, thresholdPct: number): { racks: Drift; rows: Drift } | null {
    if (!this.active || !this.rackWindow || !this.rowWindow) return null;
    return { racks: compareMeters(this.rackWindow, nowMs, windowMs, thresholdPct), rows: compareMeters(this.rowWindow, nowMs, windowMs, thresholdPct) };
  }

  /** Forget the drift windows (the clock moved). */
  clear(): void {
    this.rackWindow?.clear();
    this.rowWindow?.clear();
  }
}

function copyOrNaN(dst: Float64Array, src: ArrayLike<number> | undefined): void {
  if (!src) {
    dst.fill(NaN);
    return;
  }
  if (src.length !== dst.length) throw new Error(`batch meter column has ${src.length} values, the site ${dst.length}`);
  for (let i = 0; i < dst.length; i++) dst[i] = src[i]!;
}
