import type { GpuModel } from '../../shared/domain/topology.js';
import { ClockEvent, SampleFlag } from '../../shared/domain/fleet.js';

/**
 * Live per-GPU state as columns (structure of arrays), indexed by the topology's GPU index.
 * Inputs are written by workloads and actuators; outputs by `stepGpus`.
 */
export interface GpuColumns {
  n: number;
  model: Int32Array;
  // inputs
  /** Demanded activity: 0 idle, ~0.9 a compute burn at full clock, > 1 a prefill spike above TDP. */
  activity: Float64Array;
  /** Fraction of the work that is memory-bound (0 compute-bound … 1 memory-bound). */
  memBound: Float64Array;
  /** Power limit in effect (W). */
  limitW: Float64Array;
  /** SM clock lock, upper bound (MHz); 0 = not locked. */
  lockMHz: Float64Array;
  /** External power brake asserted (1) or not (0). */
  brake: Uint8Array;
  /** 1: the GPU's rack has no supply (plant failure): it draws nothing. */
  unpowered: Uint8Array;
  /** Rack of each GPU, and the inlet air temperature per rack (°C). */
  rack: Int32Array;
  rackInletC: Float64Array;
  /** Static per-GPU variation: power efficiency multiplier and thermal offset (°C). */
  powerScale: Float64Array;
  thermalOffsetC: Float64Array;
  // outputs
  powerW: Float64Array;
  tempC: Float64Array;
  clockMHz: Float64Array;
  /** Reported utilisation 0..1. */
  util: Float64Array;
  /** Work done per second relative to the same work at max clock, 0..1. */
  throughput: Float64Array;
  /** Usable SM clock as a fraction of max (what the workload gets, idle or not), 0..1. */
  clockRatio: Float64Array;
  /** ClockEvent bits | SampleFlag bits. */
  flags: Uint32Array;
}

/** SM clock under the power brake (POLCA: ~288 MHz on A100). */
export const BRAKE_CLOCK_MHZ = 288;
/** Throughput of memory-bound work scales only weakly with SM clock. */
const MEMORY_BOUND_CLOCK_EXPONENT = 0.3;
/** Below this activity a GPU reports idle clocks and idle power. */
const IDLE_ACTIVITY = 0.02;

export function createGpuColumns(n: number, modelOf: Int32Array, models: readonly GpuModel[], rackOf: Int32Array = new Int32Array(n), racks = 1): GpuColumns {
  const c: GpuColumns = {
    n,
    model: modelOf,
    activity: new Float64Array(n),
    memBound: new Float64Array(n),
    limitW: new Float64Array(n),
    lockMHz: new Float64Array(n),
    brake: new Uint8Array(n),
    unpowered: new Uint8Array(n),
    rack: rackOf,
    rackInletC: new Float64Array(racks).fill(22),
    powerScale: new Float64Array(n).fill(1),
    thermalOffsetC: new Float64Array(n),
    powerW: new Float64Array(n),
    tempC: new Float64Array(n),
    clockMHz: new Float64Array(n),
    util: new Float64Array(n),
    throughput: new Float64Array(n).fill(1),
    clockRatio: new Float64Array(n).fill(1),
    flags: new Uint32Array(n),
  };
  for (let g = 0; g < n; g++) {
    const m = models[modelOf[g]!]!;
    c.limitW[g] = m.defaultLimitW;
    c.powerW[g] = m.idleW;
    c.clockMHz[g] = m.idleClockMHz;
    c.tempC[g] = 22 + m.chassisOffsetC + m.thermalResistanceCPerW * m.idleW;
  }
  return c;
}

/** Steady-state power (W) of a GPU at activity `a` and clock `f`. */
export function powerAt(m: GpuModel, a: number, f: number, scale = 1): number {
  return m.idleW * scale + (m.maxLimitW - m.idleW) * scale * a * Math.pow(f / m.maxClockMHz, m.clockPowerExponent);
}

/** Highest clock (MHz) at which activity `a` stays within `limitW`; NaN-free, clamped to the model's range. */
export function clockForLimit(m: GpuModel, a: number, limitW: number, scale = 1): number {
  const dyn = (m.maxLimitW - m.idleW) * scale * a;
  if (dyn <= 0) return m.maxClockMHz;
  const headroom = limitW - m.idleW * scale;
  if (headroom <= 0) return m.minClockMHz;
  const f = m.maxClockMHz * Math.pow(headroom / dyn, 1 / m.clockPowerExponent);
  return Math.min(m.maxClockMHz, Math.max(m.minClockMHz, f));
}

/** Relative throughput of work with memory-bound fraction `mb` at clock `f` vs max clock. */
export function relativeThroughput(m: GpuModel, f: number, mb: number): number {
  const r = f / m.maxClockMHz;
  return (1 - mb) * r + mb * Math.pow(r, MEMORY_BOUND_CLOCK_EXPONENT);
}

/**
 * One-entry memo per model of the two powers stepGpus takes of a clock: (f / max)^clockPowerExponent and
 * (f / max)^0.3. Locked GPUs of a model share a handful of clocks, so consecutive GPUs nearly always hit; the values
 * are exactly those Math.pow returns (same arguments), so results are bit-identical.
 */
interface PowMemo {
  powF: Float64Array;
  pow: Float64Array;
  thrF: Float64Array;
  thr: Float64Array;
}
const powMemos = new WeakMap<readonly GpuModel[], PowMemo>();
function powMemo(models: readonly GpuModel[]): PowMemo {
  let e = powMemos.get(models);
  if (!e || e.pow.length !== models.length) {
    const k = models.length;
    e = { powF: new Float64Array(k).fill(NaN), pow: new Float64Array(k), thrF: new Float64Array(k).fill(NaN), thr: new Float64Array(k) };
    powMemos.set(models, e);
  }
  return e;
}

const alphaCache = new WeakMap<readonly GpuModel[], { dtS: number; alpha: Float64Array }>();
/** Per-model thermal blend factor 1 − e^(−dt/τ), cached per step length. */
function thermalAlpha(models: readonly GpuModel[], dtS: number): Float64Array {
  let e = alphaCache.get(models);
  if (!e || e.dtS !== dtS) {
    e = { dtS, alpha: Float64Array.from(models, (m) => 1 - Math.exp(-dtS / m.thermalTimeConstantS)) };
    alphaCache.set(models, e);
  }
  return e.alpha;
}

/**
 * Advance every GPU by dtS seconds: clock from lock, brake, power limit and thermal slowdown; power from activity
 * and clock; temperature toward inlet + chassis offset + R·P with a first-order lag. Pure over the columns.
 * Columns are read into locals first: this loop runs 10,240 times a tick and V8 cannot hoist them itself.
 */
export function stepGpus(c: GpuColumns, models: readonly GpuModel[], dtS: number): void {
  const alpha = thermalAlpha(models, dtS);
  const { powF, pow, thrF, thr: thrPow } = powMemo(models);
  const { model, powerScale, tempC, activity, flags: flagsCol, lockMHz, brake, unpowered, limitW, memBound, util, clockRatio, powerW, clockMHz, throughput, rackInletC, rack, thermalOffsetC } = c;
  for (let g = 0; g < c.n; g++) {
    const mi = model[g]!;
    const m = models[mi]!;
    const scale = powerScale[g]!;
    const temp = tempC[g]!;
    let flags = 0;
    let a = activity[g]!;
    if (!(a >= 0)) a = 0; // NaN or negative demand counts as idle
    let power: number;
    let clock: number;
    let thr = 1;

    const wasShutdown = (flagsCol[g]! & SampleFlag.shutdown) !== 0;
    if (unpowered[g]) {
      // No supply: nothing runs, nothing draws; it cools toward its inlet.
      flags = SampleFlag.unpowered;
      power = 0;
      clock = 0;
      thr = 0;
      util[g] = 0;
      clockRatio[g] = 0;
    } else if ((wasShutdown && temp > m.slowdownC - 10) || temp >= m.shutdownC) {
      // Thermal shutdown latches until the GPU has cooled well below slowdown.
      flags = SampleFlag.shutdown | ClockEvent.hwThermal | ClockEvent.hwSlowdown;
      power = 0;
      clock = 0;
      thr = 0;
      util[g] = 0;
      clockRatio[g] = 0;
    } else {
      let fmax = m.maxClockMHz;
      const lock = lockMHz[g]!;
      if (lock > 0 && lock < fmax) {
        fmax = Math.max(m.minClockMHz, lock);
        flags |= ClockEvent.clocksSetting;
      }
      if (brake[g]) {
        fmax = Math.min(fmax, BRAKE_CLOCK_MHZ);
        flags |= ClockEvent.hwPowerBrake | ClockEvent.hwSlowdown;
      }
      if (temp >= m.slowdownC) {
        // HW thermal slowdown cuts clocks by a factor of 2 or more (nvidia-smi's definition).
        fmax = Math.max(m.minClockMHz, fmax * 0.5);
        flags |= ClockEvent.hwThermal | ClockEvent.hwSlowdown;
      } else if (temp >= m.maxOperatingC) {
        fmax = Math.max(m.minClockMHz, fmax * 0.9);
        flags |= ClockEvent.swThermal;
      }
      if (a < IDLE_ACTIVITY) {
        flags = (flags & ~ClockEvent.clocksSetting) | ClockEvent.gpuIdle;
        power = m.idleW * scale;
        clock = m.idleClockMHz;
        util[g] = 0;
        clockRatio[g] = fmax / m.maxClockMHz;
      } else {
        const limit = limitW[g]!;
        clock = fmax;
        if (fmax === m.maxClockMHz) power = m.idleW * scale + (m.maxLimitW - m.idleW) * scale * a;
        else {
          // powerAt(m, a, fmax, scale), its Math.pow memoized per model (same operations, same order).
          if (powF[mi] !== fmax) {
            powF[mi] = fmax;
            pow[mi] = Math.pow(fmax / m.maxClockMHz, m.clockPowerExponent);
          }
          power = m.idleW * scale + (m.maxLimitW - m.idleW) * scale * a * pow[mi]!;
        }
        if (power > limit) {
          // clockForLimit inlined: where its clock is not clamped (the common case), the power at that clock is the
          // limit itself (the inverse of powerAt), so the second Math.pow is only taken at a clamped clock.
          const dyn = (m.maxLimitW - m.idleW) * scale * a;
          const head = limit - m.idleW * scale;
          const f = head <= 0 ? m.minClockMHz : m.maxClockMHz * Math.pow(head / dyn, 1 / m.clockPowerExponent);
          if (f > m.minClockMHz && f < fmax) {
            clock = f;
            power = limit;
          } else {
            clock = Math.min(fmax, Math.min(m.maxClockMHz, Math.max(m.minClockMHz, f)));
            power = Math.min(power, powerAt(m, a, clock, scale));
          }
          flags |= ClockEvent.swPowerCap;
        }
        if (clock === m.maxClockMHz) thr = 1;
        else {
          // relativeThroughput(m, clock, mb), its Math.pow memoized per model.
          const r = clock / m.maxClockMHz;
          if (thrF[mi] !== clock) {
            thrF[mi] = clock;
            thrPow[mi] = Math.pow(r, MEMORY_BOUND_CLOCK_EXPONENT);
          }
          const mb = memBound[g]!;
          thr = (1 - mb) * r + mb * thrPow[mi]!;
        }
        util[g] = a >= 0.9 ? 1 : a / 0.9;
        clockRatio[g] = clock / m.maxClockMHz;
      }
    }
    powerW[g] = power;
    clockMHz[g] = clock;
    throughput[g] = thr;
    const target = rackInletC[rack[g]!]! + m.chassisOffsetC + thermalOffsetC[g]! + m.thermalResistanceCPerW * power;
    tempC[g] = temp + (target - temp) * alpha[mi]!;
    flagsCol[g] = flags;
  }
}
