/**
 * Map dcgm-exporter samples (Prometheus text) to one reading per GPU.
 *
 * Name and unit mapping (metric → field, scale to Headroom's unit):
 *
 * | field          | pre-4.9 name (unit)                               | 4.9-style name (unit) — see caveat below          |
 * |----------------|---------------------------------------------------|---------------------------------------------------|
 * | powerW         | DCGM_FI_DEV_POWER_USAGE (W)                       | DCGM_FI_DEV_POWER_USAGE_WATTS (W)                 |
 * | powerW (fallback) | DCGM_FI_DEV_POWER_USAGE_INSTANT (W)            | DCGM_FI_DEV_POWER_USAGE_INSTANT_WATTS (W)         |
 * | energyJ        | DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION (mJ, ×0.001) | DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION_JOULES (J)   |
 * | tempC          | DCGM_FI_DEV_GPU_TEMP (°C)                         | DCGM_FI_DEV_GPU_TEMP_CELSIUS (°C)                 |
 * | smClockMHz     | DCGM_FI_DEV_SM_CLOCK (MHz)                        | DCGM_FI_DEV_SM_CLOCK_HZ, _HERTZ (Hz, ×1e-6)       |
 * | utilPct        | DCGM_FI_DEV_GPU_UTIL (%)                          | DCGM_FI_DEV_GPU_UTIL_RATIO (0…1, ×100)            |
 * | limitW         | DCGM_FI_DEV_ENFORCED_POWER_LIMIT, then DCGM_FI_DEV_POWER_MGMT_LIMIT (W) | the same with `_WATTS`      |
 * | clockEventMask | DCGM_FI_DEV_CLOCK_THROTTLE_REASONS (old)          | DCGM_FI_DEV_CLOCKS_EVENT_REASONS (new)            |
 *
 * Labels: `UUID` (or `uuid`), `gpu`, `Hostname` (renamed `hostname` in 4.8.3), `modelName` (or `model_name`).
 *
 * CAVEAT — check against NVIDIA's DCGM Exporter 4.9.0 release notes (and DCGM 4.7 `dcgm_fields.h`) before relying on
 * the 4.9 column: this was written without network access. Known from secondary sources: 4.9 renames the 23 fields DCGM
 * 4.7 deprecates, 11 of them change unit (clocks MHz→Hz, energy mJ→J, utilisation %→0…1 ratio, memory MiB→bytes,
 * NVLink MB/s→B/s), the label `DCGM_FI_DRIVER_VERSION` becomes `DCGM_FI_SYSTEM_DRIVER_VERSION`, and DCGM's field
 * reference spells field 150 `DCGM_FI_DEV_GPU_TEMP_CELSIUS`. The other 4.9 names above are unit-suffixed GUESSES in that
 * style. Callers can add or override names without a code change through `options.aliases`.
 *
 * Readings: power and temperature are required (missing → invalid); clock and utilisation are null when not exported
 * (the filtered real sample has no SM clock). NaN/±Inf/negative/impossible values (validate.ts) flag the reading
 * invalid with reasons; it is still returned and counted in `invalidReadings`. Duplicate series for one GPU field keep
 * the first value and are counted. Samples with a MIG `GPU_I_ID` label are not GPU-level and are counted as skipped.
 * Pure: strings in, data out; never throws.
 */
import { decodeClockEvents } from '../../../shared/domain/fleet.js';
import { parsePrometheusText, type PromError, type PromParseOptions, type PromSample } from './prometheusText.js';
import { CLOCK_EVENT_BITS, invalidReasons } from '../../core/readings.js';

export type DcgmField = 'powerW' | 'powerInstantW' | 'energyJ' | 'tempC' | 'smClockMHz' | 'utilPct' | 'enforcedLimitW' | 'mgmtLimitW' | 'clockEventMask';

export interface MetricMapping {
  field: DcgmField;
  /** Multiply the exported value by this to get Headroom's unit. */
  scale: number;
  /** Which exporter generation uses this name ('any': the name is the same in both, so it says nothing). */
  schema: 'legacy' | 'v4.9' | 'any';
}

export const DCGM_METRICS: Readonly<Record<string, MetricMapping>> = Object.freeze({
  DCGM_FI_DEV_POWER_USAGE: { field: 'powerW', scale: 1, schema: 'legacy' },
  DCGM_FI_DEV_POWER_USAGE_WATTS: { field: 'powerW', scale: 1, schema: 'v4.9' },
  DCGM_FI_DEV_POWER_USAGE_INSTANT: { field: 'powerInstantW', scale: 1, schema: 'legacy' },
  DCGM_FI_DEV_POWER_USAGE_INSTANT_WATTS: { field: 'powerInstantW', scale: 1, schema: 'v4.9' },
  DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION: { field: 'energyJ', scale: 0.001, schema: 'legacy' },
  DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION_JOULES: { field: 'energyJ', scale: 1, schema: 'v4.9' },
  DCGM_FI_DEV_GPU_TEMP: { field: 'tempC', scale: 1, schema: 'legacy' },
  DCGM_FI_DEV_GPU_TEMP_CELSIUS: { field: 'tempC', scale: 1, schema: 'v4.9' },
  DCGM_FI_DEV_SM_CLOCK: { field: 'smClockMHz', scale: 1, schema: 'legacy' },
  DCGM_FI_DEV_SM_CLOCK_HZ: { field: 'smClockMHz', scale: 1e-6, schema: 'v4.9' },
  DCGM_FI_DEV_SM_CLOCK_HERTZ: { field: 'smClockMHz', scale: 1e-6, schema: 'v4.9' },
  DCGM_FI_DEV_GPU_UTIL: { field: 'utilPct', scale: 1, schema: 'legacy' },
  DCGM_FI_DEV_GPU_UTIL_RATIO: { field: 'utilPct', scale: 100, schema: 'v4.9' },
  DCGM_FI_DEV_ENFORCED_POWER_LIMIT: { field: 'enforcedLimitW', scale: 1, schema: 'legacy' },
  DCGM_FI_DEV_ENFORCED_POWER_LIMIT_WATTS: { field: 'enforcedLimitW', scale: 1, schema: 'v4.9' },
  DCGM_FI_DEV_POWER_MGMT_LIMIT: { field: 'mgmtLimitW', scale: 1, schema: 'legacy' },
  DCGM_FI_DEV_POWER_MGMT_LIMIT_WATTS: { field: 'mgmtLimitW', scale: 1, schema: 'v4.9' },
  DCGM_FI_DEV_CLOCK_THROTTLE_REASONS: { field: 'clockEventMask', scale: 1, schema: 'legacy' },
  DCGM_FI_DEV_CLOCKS_EVENT_REASONS: { field: 'clockEventMask', scale: 1, schema: 'any' },
});

export interface DcgmReading {
  uuid: string;
  gpu: number;
  hostname: string;
  modelName: string;
  powerW: number | null;
  tempC: number | null;
  smClockMHz: number | null;
  utilPct: number | null;
  energyJ?: number;
  limitW?: number;
  clockEventMask?: number;
  clockEvents?: string[];
  valid: boolean;
  invalidReasons: string[];
}

export interface DcgmMapResult {
  readings: DcgmReading[];
  /** Readings flagged invalid (each still in `readings`). */
  invalidReadings: number;
  /** Individual invalid values over all readings (a reading can have several). */
  invalidValues: number;
  /** Samples of metrics this mapper does not use. */
  unmappedSamples: number;
  /** Samples without a usable GPU identity, or MIG-instance samples. */
  skippedSamples: number;
  /** Second and later series for the same GPU and field. */
  duplicateSamples: number;
  /** Which naming generations appeared. */
  schemas: Array<'legacy' | 'v4.9'>;
}

export interface DcgmOptions {
  /** Extra or overriding metric names (e.g. the confirmed 4.9 names). */
  aliases?: Record<string, MetricMapping>;
  limits?: PromParseOptions;
}

export type DcgmParseResult = ({ ok: true } & DcgmMapResult) | { ok: false; error: PromError };

const label = (s: PromSample, ...names: string[]): string | undefined => {
  for (const n of names) {
    const v = s.labels[n];
    if (v !== undefined) return v;
  }
  return undefined;
};

/** Parse a dcgm-exporter /metrics body and map it. All-or-nothing on the text level (see prometheusText.ts). */
export function parseDcgmExporter(body: string, options: DcgmOptions = {}): DcgmParseResult {
  const parsed = parsePrometheusText(body, options.limits);
  if (!parsed.ok) return parsed;
  try {
    return { ok: true, ...mapDcgmSamples(parsed.samples, options) };
  } catch (e) {
    return { ok: false, error: { line: 0, message: `internal mapping error: ${e instanceof Error ? e.message : String(e)}` } };
  }
}

export function mapDcgmSamples(samples: readonly PromSample[], options: DcgmOptions = {}): DcgmMapResult {
  const table: Record<string, MetricMapping> = Object.assign(Object.create(null), DCGM_METRICS, options.aliases ?? {});
  type Acc = { uuid: string; gpu: number; hostname: string; modelName: string; f: Partial<Record<DcgmField, number>> };
  const byKey = new Map<string, Acc>();
  let unmapped = 0;
  let skipped = 0;
  let duplicates = 0;
  const schemas = new Set<'legacy' | 'v4.9'>();
  for (const s of samples) {
    const m = Object.prototype.hasOwnProperty.call(table, s.name) ? table[s.name] : undefined;
    if (!m) {
      unmapped++;
      continue;
    }
    if (label(s, 'GPU_I_ID') !== undefined) {
      skipped++;
      continue;
    }
    const uuid = label(s, 'UUID', 'uuid') ?? '';
    const gpuLabel = label(s, 'gpu') ?? '';
    const gpu = /^\d{1,6}$/.test(gpuLabel) ? Number(gpuLabel) : NaN;
    const hostname = label(s, 'hostname', 'Hostname') ?? '';
    if (uuid === '' && Number.isNaN(gpu)) {
      skipped++;
      continue;
    }
    const key = uuid !== '' ? `u:${uuid}` : `g:${hostname}\u0000${gpu}`;
    let acc = byKey.get(key);
    if (!acc) {
      acc = { uuid, gpu, hostname, modelName: label(s, 'modelName', 'model_name') ?? '', f: {} };
      byKey.set(key, acc);
    }
    if (m.schema !== 'any') schemas.add(m.schema);
    if (acc.f[m.field] !== undefined) {
      duplicates++;
      continue;
    }
    acc.f[m.field] = m.field === 'clockEventMask' ? s.value : s.value * m.scale;
  }

  const readings: DcgmReading[] = [];
  let invalidReadings = 0;
  let invalidValues = 0;
  for (const a of byKey.values()) {
    const f = a.f;
    const r: DcgmReading = {
      uuid: a.uuid,
      gpu: a.gpu,
      hostname: a.hostname,
      modelName: a.modelName,
      powerW: f.powerW ?? f.powerInstantW ?? null,
      tempC: f.tempC ?? null,
      smClockMHz: f.smClockMHz ?? null,
      utilPct: f.utilPct ?? null,
      valid: true,
      invalidReasons: [],
    };
    if (f.energyJ !== undefined) r.energyJ = f.energyJ;
    const limit = f.enforcedLimitW ?? f.mgmtLimitW;
    if (limit !== undefined) r.limitW = limit;
    const reasons = invalidReasons(r);
    if (f.clockEventMask !== undefined) {
      const raw = f.clockEventMask;
      if (!Number.isInteger(raw) || raw < 0 || raw > Number.MAX_SAFE_INTEGER) reasons.push(`clockEventMask ${raw} is not a non-negative integer`);
      else {
        r.clockEventMask = Number(BigInt(raw) & BigInt(CLOCK_EVENT_BITS));
        r.clockEvents = decodeClockEvents(r.clockEventMask);
      }
    }
    if (Number.isNaN(a.gpu)) reasons.push('gpu label missing or not an index');
    if (reasons.length > 0) {
      r.valid = false;
      r.invalidReasons = reasons;
      invalidReadings++;
      invalidValues += reasons.length;
    }
    readings.push(r);
  }
  readings.sort((x, y) => (x.hostname < y.hostname ? -1 : x.hostname > y.hostname ? 1 : (x.gpu || 0) - (y.gpu || 0)) || (x.uuid < y.uuid ? -1 : x.uuid > y.uuid ? 1 : 0));
  return { readings, invalidReadings, invalidValues, unmappedSamples: unmapped, skippedSamples: skipped, duplicateSamples: duplicates, schemas: [...schemas].sort() };
}
