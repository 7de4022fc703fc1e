/**
 * Parse `nvidia-smi --query-gpu=… --format=csv` output into per-GPU readings.
 *
 * Two modes:
 * - `parseNvidiaSmiQuery`: the host agent's own query (NVIDIA_SMI_QUERY: fixed fields, `noheader,nounits`).
 * - `parseNvidiaSmiCsvWithHeader`: any `--format=csv` output with its header line (fields in any order, units in the
 *   header like `power.draw [W]` and in the values like `69.85 W`). Used for captures that ask for many more fields.
 *
 * `[N/A]`, `[Not Supported]`, `[Requested functionality has been deprecated]` (any bracketed text) and `N/A` become
 * null. Clock-event masks are hex (`0x0000000000000004`); only the hardware bits (low 16) are kept and decoded with
 * decodeClockEvents. Structural faults (wrong column count, unknown header, size limits) reject the whole output with a
 * line number; bad values (NaN, negative, impossible, unparseable) flag the reading invalid with reasons — counted,
 * never dropped. Pure; never throws.
 */
import { decodeClockEvents } from '../../shared/domain/fleet.js';
import { CLOCK_EVENT_BITS, invalidReasons } from '../core/readings.js';

export const NVIDIA_SMI_QUERY_FIELDS = [
  'index',
  'uuid',
  'name',
  'power.draw',
  'power.draw.instant',
  'power.limit',
  'enforced.power.limit',
  'power.min_limit',
  'power.max_limit',
  'temperature.gpu',
  'temperature.memory',
  'clocks.sm',
  'clocks.max.sm',
  'utilization.gpu',
  'clocks_event_reasons.active',
] as const;

/** The exact arguments a host agent passes to nvidia-smi (add `-lms 500` to stream). */
export const NVIDIA_SMI_QUERY = `--query-gpu=${NVIDIA_SMI_QUERY_FIELDS.join(',')} --format=csv,noheader,nounits`;

type Field = (typeof NVIDIA_SMI_QUERY_FIELDS)[number];

/** Other spellings nvidia-smi accepts for the same property (the header echoes the spelling asked for). */
const FIELD_ALIASES: Readonly<Record<string, Field>> = Object.freeze({
  'clocks.current.sm': 'clocks.sm',
  'clocks.max.sm': 'clocks.max.sm',
  'clocks.max.sm_clock': 'clocks.max.sm',
  'clocks_throttle_reasons.active': 'clocks_event_reasons.active',
  'gpu_uuid': 'uuid',
  'gpu_name': 'name',
});

export interface NvidiaSmiReading {
  index: number;
  uuid: string;
  name: string;
  powerW: number | null;
  powerInstantW: number | null;
  /** Power limit as set (`power.limit`). */
  limitW: number | null;
  /** Lowest of all limiters (`enforced.power.limit`); the one validity checks use when present. */
  enforcedLimitW: number | null;
  minLimitW: number | null;
  maxLimitW: number | null;
  tempC: number | null;
  memTempC: number | null;
  smClockMHz: number | null;
  maxSmClockMHz: number | null;
  utilPct: number | null;
  clockEventMask: number | null;
  clockEvents: string[];
  valid: boolean;
  invalidReasons: string[];
  /** 1-based line of the row. */
  line: number;
}

export interface NvidiaSmiLimits {
  maxBytes?: number;
  maxRows?: number;
}

export type NvidiaSmiResult =
  | { ok: true; readings: NvidiaSmiReading[]; invalidReadings: number; invalidValues: number }
  | { ok: false; error: { line: number; message: string } };

const DEFAULTS = { maxBytes: 1024 * 1024, maxRows: 4096 };
const NUM = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const HEX = /^0x([0-9a-fA-F]{1,16})$/;

class Fail extends Error {
  constructor(readonly at: number, message: string) {
    super(message);
  }
}

/** null for "no value" markers; NaN for text that should have been a number. */
function num(raw: string, reasons: string[], field: string, withUnits: boolean): number | null {
  let s = raw.trim();
  if (s === '' || /^\[.*\]$/.test(s) || s === 'N/A') return null;
  if (withUnits) s = s.replace(/\s*(W|%|MHz|MiB|C|us)$/, '');
  if (/^nan$/i.test(s)) return NaN;
  if (/^[+]?inf$/i.test(s)) return Infinity;
  if (/^-inf$/i.test(s)) return -Infinity;
  if (!NUM.test(s)) {
    reasons.push(`${field} ${JSON.stringify(raw.slice(0, 32))} is not a number`);
    return null;
  }
  return Number(s);
}

function buildReading(get: (f: Field) => string | undefined, line: number, withUnits: boolean): NvidiaSmiReading {
  const parseErrors: string[] = [];
  const n = (f: Field): number | null => {
    const v = get(f);
    return v === undefined ? null : num(v, parseErrors, f, withUnits);
  };
  const idxRaw = (get('index') ?? '').trim();
  const index = /^\d{1,6}$/.test(idxRaw) ? Number(idxRaw) : NaN;
  if (Number.isNaN(index)) parseErrors.push(`index ${JSON.stringify(idxRaw.slice(0, 32))} is not a GPU index`);
  const r: NvidiaSmiReading = {
    index,
    uuid: (get('uuid') ?? '').trim(),
    name: (get('name') ?? '').trim(),
    powerW: n('power.draw'),
    powerInstantW: n('power.draw.instant'),
    limitW: n('power.limit'),
    enforcedLimitW: n('enforced.power.limit'),
    minLimitW: n('power.min_limit'),
    maxLimitW: n('power.max_limit'),
    tempC: n('temperature.gpu'),
    memTempC: n('temperature.memory'),
    smClockMHz: n('clocks.sm'),
    maxSmClockMHz: n('clocks.max.sm'),
    utilPct: n('utilization.gpu'),
    clockEventMask: null,
    clockEvents: [],
    valid: true,
    invalidReasons: [],
    line,
  };
  const maskRaw = (get('clocks_event_reasons.active') ?? '').trim();
  if (maskRaw !== '' && !/^\[.*\]$/.test(maskRaw) && maskRaw !== 'N/A') {
    const m = HEX.exec(maskRaw);
    if (!m) parseErrors.push(`clocks_event_reasons.active ${JSON.stringify(maskRaw.slice(0, 32))} is not a hex mask`);
    else {
      r.clockEventMask = Number(BigInt(`0x${m[1]}`) & BigInt(CLOCK_EVENT_BITS));
      r.clockEvents = decodeClockEvents(r.clockEventMask);
    }
  }
  const limit = r.enforcedLimitW ?? r.limitW ?? undefined;
  const reasons = [...parseErrors, ...invalidReasons({ powerW: r.powerW, tempC: r.tempC, smClockMHz: r.smClockMHz, utilPct: r.utilPct, ...(limit !== undefined ? { limitW: limit } : {}) })];
  for (const [field, v] of [['powerInstantW', r.powerInstantW], ['memTempC', r.memTempC], ['maxSmClockMHz', r.maxSmClockMHz], ['minLimitW', r.minLimitW], ['maxLimitW', r.maxLimitW]] as const) {
    if (v !== null && (!Number.isFinite(v) || v < 0)) reasons.push(`${field} ${v} is ${Number.isNaN(v) ? 'NaN' : !Number.isFinite(v) ? 'infinite' : 'negative'}`);
  }
  if (limit === undefined && r.powerInstantW !== null && Number.isFinite(r.powerInstantW) && r.powerInstantW > 2400) reasons.push(`powerInstantW ${r.powerInstantW} is impossible`);
  if (reasons.length > 0) {
    r.valid = false;
    r.invalidReasons = reasons;
  }
  return r;
}

function lines(text: string, o: typeof DEFAULTS): Array<{ no: number; text: string }> {
  if (typeof text !== 'string') throw new Fail(0, 'output is not a string');
  if (text.length > o.maxBytes) throw new Fail(0, `output exceeds ${o.maxBytes} characters`);
  const out: Array<{ no: number; text: string }> = [];
  const all = text.split('\n');
  for (let i = 0; i < all.length; i++) {
    const t = all[i]!.replace(/\r$/, '');
    if (t.trim() === '') continue;
    out.push({ no: i + 1, text: t });
  }
  return out;
}

function finish(readings: NvidiaSmiReading[]): NvidiaSmiResult {
  let invalidReadings = 0;
  let invalidValues = 0;
  for (const r of readings) {
    if (!r.valid) {
      invalidReadings++;
      invalidValues += r.invalidReasons.length;
    }
  }
  return { ok: true, readings, invalidReadings, invalidValues };
}

function guard(fn: () => NvidiaSmiResult): NvidiaSmiResult {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Fail) return { ok: false, error: { line: e.at, message: e.message } };
    return { ok: false, error: { line: 0, message: `internal parser error: ${e instanceof Error ? e.message : String(e)}` } };
  }
}

/** Output of `nvidia-smi ${NVIDIA_SMI_QUERY}`: one row per GPU, fields in NVIDIA_SMI_QUERY_FIELDS order. */
export function parseNvidiaSmiQuery(text: string, limits: NvidiaSmiLimits = {}): NvidiaSmiResult {
  return guard(() => {
    const o = { ...DEFAULTS, ...limits };
    const rows = lines(text, o);
    if (rows.length > o.maxRows) throw new Fail(rows[o.maxRows]!.no, `more than ${o.maxRows} rows`);
    const readings = rows.map(({ no, text: t }) => {
      const cells = t.split(',');
      if (cells.length !== NVIDIA_SMI_QUERY_FIELDS.length) throw new Fail(no, `expected ${NVIDIA_SMI_QUERY_FIELDS.length} fields, found ${cells.length}`);
      if (no === rows[0]!.no && cells[0]!.trim() === 'index') throw new Fail(no, 'header line found: use parseNvidiaSmiCsvWithHeader for --format=csv with a header');
      return buildReading((f) => cells[NVIDIA_SMI_QUERY_FIELDS.indexOf(f)], no, false);
    });
    return finish(readings);
  });
}

/** `--format=csv` output with its header line; extra fields are ignored, missing ones read as null. */
export function parseNvidiaSmiCsvWithHeader(text: string, limits: NvidiaSmiLimits = {}): NvidiaSmiResult {
  return guard(() => {
    const o = { ...DEFAULTS, ...limits };
    const rows = lines(text, o);
    if (rows.length === 0) throw new Fail(0, 'no header line');
    if (rows.length - 1 > o.maxRows) throw new Fail(rows[o.maxRows + 1]!.no, `more than ${o.maxRows} rows`);
    const header = rows[0]!.text.split(',').map((h) => h.trim().replace(/\s*\[[^\]]*\]$/, ''));
    const col = new Map<Field, number>();
    header.forEach((h, i) => {
      const f = (NVIDIA_SMI_QUERY_FIELDS as readonly string[]).includes(h) ? (h as Field) : FIELD_ALIASES[h];
      if (f !== undefined && !col.has(f)) col.set(f, i);
    });
    if (!col.has('index') && !col.has('uuid')) throw new Fail(rows[0]!.no, 'header names neither index nor uuid');
    const readings = rows.slice(1).map(({ no, text: t }) => {
      const cells = t.split(',');
      if (cells.length !== header.length) throw new Fail(no, `expected ${header.length} fields (as in the header), found ${cells.length}`);
      return buildReading((f) => {
        const i = col.get(f);
        return i === undefined ? undefined : cells[i];
      }, no, true);
    });
    return finish(readings);
  });
}
