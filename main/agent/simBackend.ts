import { createHash } from 'node:crypto';
import type { AgentReading, GpuInfo } from '../../shared/agentProtocol.js';
import { ClockEvent } from '../../shared/domain/fleet.js';
import type { GpuModel } from '../../shared/domain/topology.js';
import { BUILTIN_MODELS } from '../core/models.js';
import { createRng, deriveSeed, type Rng } from '../sim/rng.js';
import { BackendError, type GpuBackend } from './backend.js';

/** A stable NVIDIA-style UUID for a simulated GPU (same host and index → same UUID, across runs). */
export function simGpuUuid(host: string, index: number): string {
  const h = createHash('sha256').update(`${host}/${index}`).digest('hex');
  return `GPU-${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20, 32)}`;
}

export interface SimBackendOptions {
  host: string;
  gpus?: number;
  model?: string;
  seed?: number;
  /** Wall clock (epoch ms). */
  now?: () => number;
}

interface SimGpu {
  limitW: number;
  lock: [number, number] | null;
  util: number;
  tempC: number;
}

/**
 * A simulated GPU host behind the same interface as nvidia-smi: load wanders (seeded), power follows load up to the
 * power limit, clocks drop when capped or locked, temperature follows power with the model's time constant. It obeys
 * limits like hardware: a value outside the GPU's range is refused. Used for tests, drills and the 128-agent bench.
 */
export class SimBackend implements GpuBackend {
  readonly kind = 'sim' as const;
  readonly model: GpuModel;
  private readonly gpus: SimGpu[];
  private readonly infos: GpuInfo[];
  private readonly rng: Rng;
  private readonly now: () => number;
  private lastMs: number;
  /** Every control call, in order (tests read it). */
  readonly calls: string[] = [];

  constructor(o: SimBackendOptions) {
    const model = BUILTIN_MODELS.find((m) => m.id === (o.model ?? 'H100-SXM'));
    if (!model) throw new BackendError(`unknown GPU model "${o.model}" (known: ${BUILTIN_MODELS.map((m) => m.id).join(', ')})`);
    this.model = model;
    this.now = o.now ?? Date.now;
    this.lastMs = this.now();
    this.rng = createRng(deriveSeed(o.seed ?? 1, o.host));
    const n = o.gpus ?? 8;
    this.infos = Array.from({ length: n }, (_, index) => ({
      index,
      uuid: simGpuUuid(o.host, index),
      name: model.name,
      minLimitW: model.minLimitW,
      maxLimitW: model.maxLimitW,
      defaultLimitW: model.defaultLimitW,
      minClockMHz: model.minClockMHz,
      maxClockMHz: model.maxClockMHz,
    }));
    this.gpus = this.infos.map(() => ({ limitW: model.defaultLimitW, lock: null, util: 0.3 + 0.6 * this.rng(), tempC: 35 }));
  }

  async discover(): Promise<GpuInfo[]> {
    return this.infos.map((g) => ({ ...g }));
  }

  async read(): Promise<{ tMs: number; readings: AgentReading[]; invalid: number }> {
    const tMs = this.now();
    const dtS = Math.max(0, Math.min(60, (tMs - this.lastMs) / 1000));
    this.lastMs = tMs;
    const m = this.model;
    const readings = this.gpus.map((g, i): AgentReading => {
      g.util = Math.min(1, Math.max(0.05, g.util + (this.rng() - 0.5) * 0.1));
      // Demand at full clocks: idle + activity × (the ~630 W an H100 draws under burn − idle).
      const burnW = 0.9 * m.maxLimitW;
      let clock = m.maxClockMHz;
      if (g.lock) clock = Math.min(clock, g.lock[1]);
      const clockScale = Math.pow(clock / m.maxClockMHz, m.clockPowerExponent);
      const demandW = m.idleW + g.util * (burnW - m.idleW) * clockScale;
      let powerW = demandW;
      let mask = 0;
      if (demandW > g.limitW) {
        powerW = g.limitW;
        clock = Math.max(m.minClockMHz, clock * Math.pow((g.limitW - m.idleW) / (demandW - m.idleW), 1 / m.clockPowerExponent));
        mask |= ClockEvent.swPowerCap;
      }
      if (g.lock) mask |= ClockEvent.clocksSetting;
      const targetC = 25 + m.chassisOffsetC + powerW * m.thermalResistanceCPerW;
      g.tempC += (targetC - g.tempC) * (1 - Math.exp(-dtS / m.thermalTimeConstantS));
      return {
        uuid: this.infos[i]!.uuid,
        powerW: round2(powerW),
        limitW: g.limitW,
        tempC: Math.round(g.tempC),
        memTempC: Math.round(g.tempC + 4),
        smClockMHz: Math.round(clock),
        utilPct: Math.round(g.util * 100),
        clockEventMask: mask,
      };
    });
    return { tMs, readings, invalid: 0 };
  }

  async setPowerLimit(index: number, watts: number): Promise<void> {
    const info = this.info(index);
    if (!(watts >= info.minLimitW && watts <= info.maxLimitW)) {
      throw new BackendError(`power limit ${watts} W is outside ${info.minLimitW}–${info.maxLimitW} W for GPU ${index}`);
    }
    this.gpus[index]!.limitW = watts;
    this.calls.push(`-i ${index} -pl ${watts.toFixed(2)}`);
  }

  async lockClocks(index: number, minMHz: number, maxMHz: number): Promise<void> {
    const info = this.info(index);
    if (!(minMHz <= maxMHz && minMHz >= info.minClockMHz && maxMHz <= info.maxClockMHz)) {
      throw new BackendError(`clock lock ${minMHz},${maxMHz} MHz is outside ${info.minClockMHz}–${info.maxClockMHz} MHz for GPU ${index}`);
    }
    this.gpus[index]!.lock = [minMHz, maxMHz];
    this.calls.push(`-i ${index} -lgc ${Math.round(minMHz)},${Math.round(maxMHz)}`);
  }

  async resetClocks(index: number): Promise<void> {
    this.info(index);
    this.gpus[index]!.lock = null;
    this.calls.push(`-i ${index} -rgc`);
  }

  /** Current limit of a GPU, as the hardware holds it (tests). */
  limitOf(index: number): number {
    return this.gpus[index]!.limitW;
  }

  async close(): Promise<void> {}

  private info(index: number): GpuInfo {
    const info = this.infos[index];
    if (!info) throw new BackendError(`no GPU ${index} on this host (${this.infos.length} GPUs)`);
    return info;
  }
}

const round2 = (x: number) => Math.round(x * 100) / 100;
