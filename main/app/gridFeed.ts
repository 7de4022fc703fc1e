import { EXAMPLE_UTILITY, type GridRequirement, type GridSource, type GridWindow, type MitigationName } from '../../shared/domain/grid.js';
import { gridFigures } from '../core/grid/figures.js';
import { bandStats, welch } from '../core/grid/spectrum.js';
import type { GridApi } from '../core/ports.js';
import type { Engine, TickService } from '../engine/engine.js';
import { SwingSim } from '../sim/gridSwings.js';
import { mitigationOf, trainingSwingsSite } from './gridSim.js';
import { describeGridMeter, ModbusGridMeter, type GridMeterSpec } from '../sources/gridMeter.js';

/** What the analysis gives (the window's series are added per request). */
type Analysis = Omit<GridWindow, 'siteMW' | 'rampMWps' | 'tEndMs'>;

/** The longest stretch kept and shown (s). */
export const GRID_KEEP_S = 600;
/** The analysis (figures, spectrum, contributors, the gridLimit alert) covers the last this many seconds. */
export const GRID_ANALYSIS_S = 120;
/** At most this many spectrum points go to the view (log-spaced). */
const SPECTRUM_POINTS = 300;
/** Re-analyse at most this often (wall ms) and after at least a second of new samples. */
const ANALYSE_EVERY_MS = 500;

/**
 * The grid view's feed (issue 15; `grid:window`), an engine service. Its source is one of
 *  - a **grid meter** (`serve --grid-meter modbus://…`, main/sources/gridMeter.ts): its readings, time-stamped on the
 *    console's clock, are put on an even grid at its poll rate (`sample`), the last value held over a gap;
 *  - a **simulated grid meter** (`serve --grid-meter sim`): the training-swings site (main/sim/gridSwings.ts) stepped
 *    at 10 ms in step with the engine's clock, with a remedy; per job its own power too (the contributors);
 *  - or the **engine's site power** at 1 Hz (any run): honest about what it is — the sum of per-GPU readings, ~1 s
 *    averages, which cannot show anything above 0.5 Hz.
 * It keeps the last GRID_KEEP_S in rings, analyses the last GRID_ANALYSIS_S against the requirement (throttled), and
 * sets `engine.gridCrossed` for the gridLimit alert.
 */
export class GridFeed implements TickService, GridApi {
  readonly source: GridSource;
  private readonly fs: number;
  private readonly cap: number;
  private readonly site: Float32Array;
  private readonly jobs: Float32Array[];
  private readonly jobIds: Array<{ id: string; gpus: number }>;
  private count = 0;
  private head = 0;
  private tEndMs = 0;
  private meter: SwingSim | null;
  /** Engine time (ms) at the meter's step 0; for a real meter, the console time of its first slot. */
  private meterT0Ms = NaN;
  private readonly external: { hz: number; label: string; connected: () => boolean } | null = null;
  /** A real meter's last slot written, and the slots held over gaps (per slot, 1 = held). */
  private lastSlot = -1;
  private readonly held: Uint8Array = new Uint8Array(0);
  private analysed: { wallMs: number; tEndMs: number; result: Analysis } | null = null;

  constructor(
    o: {
      meter: { mitigation: MitigationName; seed?: number } | null;
      /** A real meter pushing readings through `sample` (its rate, what it is, whether it is connected). */
      external?: { hz: number; label: string; connected: () => boolean };
      requirement?: GridRequirement;
      analyseEveryMs?: number;
    },
    private readonly requirement = o.requirement ?? EXAMPLE_UTILITY,
    private readonly mitigation: MitigationName | null = o.meter?.mitigation ?? null,
    private readonly analyseEveryMs = o.analyseEveryMs ?? ANALYSE_EVERY_MS,
  ) {
    if (o.external) {
      this.meter = null;
      this.fs = o.external.hz;
      this.jobIds = [];
      this.external = o.external;
      this.source = { kind: 'meter', rateHz: this.fs, label: o.external.label, resolves: `0–${this.fs / 2} Hz${this.fs / 2 < this.requirement.band.hiHz ? ` (the band above ${this.fs / 2} Hz needs a faster meter)` : ''}` };
    } else if (o.meter) {
      const site = trainingSwingsSite();
      this.meter = new SwingSim(site, mitigationOf(o.meter.mitigation), { seed: o.meter.seed ?? 1 });
      this.fs = Math.round(1 / this.meter.dt);
      this.jobIds = site.jobs.map((j) => ({ id: j.id, gpus: j.gpus }));
      this.source = { kind: 'sim-meter', rateHz: this.fs, label: `simulated grid meter at the point of interconnection, ${this.fs} Hz (training-swings site, ${o.meter.mitigation})`, resolves: `0–${this.fs / 2} Hz: every band the requirement names` };
    } else {
      this.meter = null;
      this.fs = 1;
      this.jobIds = [];
      this.source = { kind: 'engine', rateHz: 1, label: 'site power summed from per-GPU readings, 1 Hz (each ~1 s averages, not time-synchronised)', resolves: 'below 0.5 Hz only: the 0.5–20 Hz part of the band needs a grid meter' };
    }
    this.cap = GRID_KEEP_S * this.fs;
    this.site = new Float32Array(this.cap);
    this.held = new Uint8Array(this.cap);
    this.jobs = this.jobIds.map(() => new Float32Array(this.cap));
  }

  private heldCount = 0;

  private push(mw: number, jobMW?: ArrayLike<number>, held = 0): void {
    this.heldCount += held - this.held[this.head]!;
    this.held[this.head] = held;
    this.site[this.head] = mw;
    if (jobMW) for (let k = 0; k < this.jobs.length; k++) this.jobs[k]![this.head] = jobMW[k]!;
    this.head = (this.head + 1) % this.cap;
    if (this.count < this.cap) this.count++;
  }

  /**
   * A real meter's reading at console time tMs: it lands in its slot of the even grid at the meter's rate; slots
   * skipped since the last reading hold that reading's value (counted as held); a second reading in a slot replaces
   * the first; one older than the last slot is dropped.
   */
  sample(tMs: number, mw: number): void {
    if (!this.external) return;
    if (Number.isNaN(this.meterT0Ms)) this.meterT0Ms = tMs;
    const slot = Math.floor(((tMs - this.meterT0Ms) * this.fs) / 1000);
    if (slot < this.lastSlot) return;
    if (slot === this.lastSlot) this.site[(this.head - 1 + this.cap) % this.cap] = mw;
    else {
      const prev = this.count ? this.site[(this.head - 1 + this.cap) % this.cap]! : mw;
      // A long silence: at most the kept window is filled.
      for (let s = Math.max(this.lastSlot + 1, slot - this.cap); s < slot; s++) this.push(prev, undefined, 1);
      this.push(mw);
      this.lastSlot = slot;
    }
    this.tEndMs = this.meterT0Ms + (this.lastSlot * 1000) / this.fs;
  }

  /** The source now (a real meter's held slots and connection change). */
  private describeSource(): GridSource {
    return this.external ? { ...this.source, gapsHeld: this.heldCount, connected: this.external.connected() } : this.source;
  }

  onTick(engine: Engine, nowMs: number): void {
    const m = this.meter;
    if (this.external) {
      // Its readings arrive on their own (sample); the tick only analyses.
    } else if (!m) {
      this.push(engine.agg.siteW / 1e6);
      this.tEndMs = nowMs;
    } else {
      if (Number.isNaN(this.meterT0Ms)) this.meterT0Ms = nowMs;
      const stepMs = m.dt * 1000;
      // Catch up with the engine's clock; past a whole kept window behind, skip ahead (nothing older is shown).
      let due = Math.floor((nowMs - this.meterT0Ms) / stepMs) - m.i;
      if (due > this.cap) {
        this.meterT0Ms += (due - this.cap) * stepMs;
        due = this.cap;
      }
      const jobMW = new Float64Array(this.jobs.length);
      for (let n = 0; n < due; n++) {
        m.step();
        for (let k = 0; k < jobMW.length; k++) jobMW[k] = m.jobW[k]! / 1e6;
        this.push(m.gridW / 1e6, jobMW);
      }
      this.tEndMs = this.meterT0Ms + m.i * stepMs;
    }
    const a = this.analyse();
    engine.gridCrossed = a ? a.crossed : [];
  }

  /** The last n samples of a ring, oldest first. */
  private last(ring: Float32Array, n: number): Float32Array {
    const out = new Float32Array(n);
    const start = (this.head - n + this.cap) % this.cap;
    for (let i = 0; i < n; i++) out[i] = ring[(start + i) % this.cap]!;
    return out;
  }

  private analyse(): Analysis | null {
    if (this.count < 2 * this.fs) return this.analysed?.result ?? null;
    const now = performance.now();
    const prev = this.analysed;
    if (prev && (now - prev.wallMs < this.analyseEveryMs || this.tEndMs - prev.tEndMs < 1000)) return prev.result;
    const n = Math.min(this.count, GRID_ANALYSIS_S * this.fs);
    const x = this.last(this.site, n);
    const req = this.requirement;
    const figures = gridFigures(x, this.fs, req);
    const psd = welch(x, this.fs, 4096);
    const spectrum = { hz: [] as number[], psd: [] as number[] };
    const bins = psd.psd.length - 1;
    let lastK = 0;
    for (let i = 0; i < SPECTRUM_POINTS; i++) {
      const k = Math.round(Math.exp((Math.log(bins) * (i + 1)) / SPECTRUM_POINTS));
      if (k <= lastK) continue;
      lastK = k;
      spectrum.hz.push(Math.round(k * psd.df * 1e4) / 1e4);
      spectrum.psd.push(psd.psd[k]!);
    }
    const per = this.jobs.map((ring) => bandStats(welch(this.last(ring, n), this.fs, 4096), req.band.loHz, req.band.hiHz).band);
    const sum = per.reduce((s, e) => s + e, 0);
    const contributors = this.jobIds
      .map((j, k) => ({ id: j.id, gpus: j.gpus, bandRmsMW: Math.round(Math.sqrt(per[k]!) * 1e4) / 1e4, sharePct: sum > 0 ? Math.round((per[k]! / sum) * 1000) / 10 : 0 }))
      .sort((a, b) => b.bandRmsMW - a.bandRmsMW);
    const crossed: string[] = [];
    if (!figures.within.ramp) crossed.push(`ramp ${figures.rampMaxMWps} MW/s over ${req.rampWindowS} s, limit ${req.rampMWps}`);
    if (!figures.within.dynamicRange) crossed.push(`swing ${figures.dynamicRangeMW} MW within ${req.rangeWindowS} s, limit ${req.dynamicRangeMW}`);
    if (!figures.within.band) crossed.push(`${figures.bandEnergyPct} % of the energy in ${req.band.loHz}–${req.band.hiHz} Hz, limit ${req.band.maxSharePct} %`);
    const result = { source: this.describeSource(), requirement: req, mitigation: this.mitigation, fs: this.fs, analysisS: n / this.fs, figures, spectrum, contributors, crossed };
    this.analysed = { wallMs: now, tEndMs: this.tEndMs, result };
    return result;
  }

  window(p: { seconds: number }): GridWindow {
    const n = Math.min(this.count, Math.max(1, Math.round(p.seconds * this.fs)));
    const x = this.last(this.site, n);
    const w = Math.max(1, Math.round(this.requirement.rampWindowS * this.fs));
    const rampMWps: Array<number | null> = Array.from(x, (v, i) => (i >= w ? Math.round((Math.abs(v - x[i - w]!) / this.requirement.rampWindowS) * 1e4) / 1e4 : null));
    const a = this.analyse() ?? {
      source: this.describeSource(),
      requirement: this.requirement,
      mitigation: this.mitigation,
      fs: this.fs,
      analysisS: 0,
      figures: gridFigures(x, this.fs, this.requirement),
      spectrum: { hz: [], psd: [] },
      contributors: [],
      crossed: [],
    };
    return { ...a, source: this.describeSource(), tEndMs: this.tEndMs, siteMW: Array.from(x, (v) => Math.round(v * 1e5) / 1e5), rampMWps };
  }
}

/** `serve --grid-meter`: a remedy (a simulated meter on the training-swings site) or a real meter over Modbus/TCP. */
export type GridMeterOption = MitigationName | { modbus: GridMeterSpec };

/**
 * The grid view's feed for a run: a real meter polled into it, a simulated one (simulator only), or — without an
 * option, or a remedy on a real fleet — the engine's site power at 1 Hz. `stop` ends a real meter's polling.
 */
export function startGridFeed(option: GridMeterOption | undefined, o: { simulated: boolean; seed: number; log: (line: string) => void }): { feed: GridFeed; stop: () => void } {
  if (typeof option === 'object') {
    const spec = option.modbus;
    let meter: ModbusGridMeter | null = null;
    const feed = new GridFeed({ meter: null, external: { hz: spec.hz, label: describeGridMeter(spec), connected: () => meter?.stats.connected ?? false } });
    meter = new ModbusGridMeter(spec, (tMs, mw) => feed.sample(tMs, mw), o.log);
    meter.start();
    return { feed, stop: () => meter.stop() };
  }
  const feed = new GridFeed({ meter: option && o.simulated ? { mitigation: option, seed: o.seed } : null });
  return { feed, stop: () => {} };
}
