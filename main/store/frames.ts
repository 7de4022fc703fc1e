import { deflateRawSync, inflateRawSync } from 'node:zlib';

/**
 * Named channels and their frame codec: how telemetry is stored compactly, in telemetry.db and in recordings.
 *
 * A channel is a set of entities (GPUs, rows, devices …) sampled together at one rate, with named, typed, quantised
 * fields. One frame holds every entity of a channel at one instant: each field is quantised (value / quantum,
 * rounded), zigzag-coded when signed, laid out as byte planes (all low bytes, then the next …: similar bytes sit
 * together), and the whole frame is deflated. A frame decodes alone (no neighbours needed), so a seek reads one row.
 * NaN, ±Inf and values beyond the field's range are stored as the field's missing marker (all bits set) and read
 * back as NaN: never as a plausible number. New kinds of data (power-chain devices, fast grid series) add channels,
 * not formats. A released channel's fields never change; change means a new channel id.
 */
export interface FieldSpec {
  name: string;
  unit: string;
  /** Stored resolution in `unit`: the decoded value is within quantum / 2 of the original. */
  quantum: number;
  bytes: 1 | 2 | 4;
  signed: boolean;
}

export interface ChannelSpec {
  /** Stable id, stored in frames.channel. */
  id: number;
  name: string;
  /** What one entity is ('gpu', 'row', …). */
  entity: string;
  /** Nominal sampling rate. */
  rateHz: number;
  fields: readonly FieldSpec[];
}

/** Per-GPU metrics at the engine's tick (1 Hz): what the Rack view and per-GPU history read. */
export const GPU_CHANNEL: ChannelSpec = Object.freeze({
  id: 1,
  name: 'gpu',
  entity: 'gpu',
  rateHz: 1,
  fields: Object.freeze([
    { name: 'powerW', unit: 'W', quantum: 0.1, bytes: 2, signed: false },
    { name: 'tempC', unit: '°C', quantum: 0.1, bytes: 2, signed: true },
    { name: 'clockMHz', unit: 'MHz', quantum: 1, bytes: 2, signed: false },
    { name: 'limitW', unit: 'W', quantum: 0.1, bytes: 2, signed: false },
    { name: 'util', unit: '1', quantum: 0.001, bytes: 2, signed: false },
    { name: 'flags', unit: 'bits', quantum: 1, bytes: 4, signed: false },
  ] satisfies FieldSpec[]),
});

/**
 * Per-rack power and inlet air at the engine's tick (1 Hz): what thermal profiles are fitted from (core/profiles.ts:
 * a rack's inlet against its own power). Power is the engine's rack aggregate (GPUs + servers); inlet NaN where
 * unknown. Registered in a database by the first writer that writes it (store/telemetry.ts).
 */
export const RACK_CHANNEL: ChannelSpec = Object.freeze({
  id: 2,
  name: 'rack',
  entity: 'rack',
  rateHz: 1,
  fields: Object.freeze([
    { name: 'powerW', unit: 'W', quantum: 1, bytes: 4, signed: false },
    { name: 'inletC', unit: '°C', quantum: 0.1, bytes: 2, signed: true },
  ] satisfies FieldSpec[]),
});

/** Every channel this build writes or reads, by id. */
export const CHANNELS: ReadonlyMap<number, ChannelSpec> = new Map([
  [GPU_CHANNEL.id, GPU_CHANNEL],
  [RACK_CHANNEL.id, RACK_CHANNEL],
]);

const FORMAT = 1;
const HEADER_BYTES = 5;

function missing(bytes: number): number {
  return bytes === 4 ? 0xffffffff : (1 << (8 * bytes)) - 1;
}

/** The stored integer of `v`, or the missing marker. */
function quantise(v: number, f: FieldSpec): number {
  const top = missing(f.bytes);
  if (!Number.isFinite(v)) return top;
  const q = Math.round(v / f.quantum);
  const z = f.signed ? (q >= 0 ? 2 * q : -2 * q - 1) : q;
  return z >= 0 && z < top ? z : top;
}

/** Per quantum: 10^decimals, computed once (a frame of 10,240 GPUs decodes 61,440 values). */
const scales = new Map<number, number>();
function scaleOf(quantum: number): number {
  let sc = scales.get(quantum);
  if (sc === undefined) scales.set(quantum, (sc = Math.pow(10, decimals(quantum))));
  return sc;
}


function decimals(q: number): number {
  const s = String(q);
  const i = s.indexOf('.');
  return i < 0 ? 0 : s.length - i - 1;
}

/** Encode one frame: `columns[f]` holds field f of every entity (same length for all fields). */
export function encodeFrame(spec: ChannelSpec, columns: ReadonlyArray<ArrayLike<number>>): Buffer {
  if (columns.length !== spec.fields.length) throw new Error(`channel ${spec.name}: ${columns.length} columns for ${spec.fields.length} fields`);
  const n = columns[0]?.length ?? 0;
  const width = spec.fields.reduce((s, f) => s + f.bytes, 0);
  const raw = Buffer.allocUnsafe(HEADER_BYTES + n * width);
  raw.writeUInt8(FORMAT, 0);
  raw.writeUInt32LE(n, 1);
  let off = HEADER_BYTES;
  spec.fields.forEach((f, i) => {
    const col = columns[i];
    if (!col || col.length !== n) throw new Error(`channel ${spec.name}: field ${f.name} has ${col?.length ?? 0} values, expected ${n}`);
    for (let e = 0; e < n; e++) {
      const z = quantise(col[e] ?? NaN, f);
      for (let b = 0; b < f.bytes; b++) raw[off + b * n + e] = (z >>> (8 * b)) & 0xff;
    }
    off += f.bytes * n;
  });
  // Level 1: the byte planes do most of the work; higher levels save ~3 % of bytes for ~30 % more time per frame.
  return deflateRawSync(raw, { level: 1 });
}

/** Decode a frame into one Float64Array per field (NaN where nothing valid was stored). Throws on a damaged frame. */
export function decodeFrame(spec: ChannelSpec, data: Uint8Array): Float64Array[] {
  return decodeEntities(spec, data, 0, Infinity);
}

/**
 * Decode only the entities `from … to - 1` of a frame (per-GPU history reads one GPU of many frames); with `only`, only
 * those fields (by index; the others come back empty: profiles read 3 of the GPU channel's 6).
 */
export function decodeEntities(spec: ChannelSpec, data: Uint8Array, from: number, to: number, only?: ReadonlySet<number>): Float64Array[] {
  const raw = inflateRawSync(data);
  if (raw.length < HEADER_BYTES || raw.readUInt8(0) !== FORMAT) throw new Error(`channel ${spec.name}: unknown frame format`);
  const n = raw.readUInt32LE(1);
  const width = spec.fields.reduce((s, f) => s + f.bytes, 0);
  if (raw.length !== HEADER_BYTES + n * width) throw new Error(`channel ${spec.name}: frame of ${raw.length} bytes does not hold ${n} entities`);
  const lo = Math.max(0, from);
  const hi = Math.min(n, to);
  let off = HEADER_BYTES;
  return spec.fields.map((f, i) => {
    const base = off;
    off += f.bytes * n;
    if (only && !only.has(i)) return new Float64Array(0);
    const out = new Float64Array(Math.max(0, hi - lo));
    // The stored integer back to its value: the missing marker is NaN, zigzag undone when signed, and rounded to the
    // quantum's decimals, so 0.1 W reads back as 412.3, not 412.30000000000001 (q·quantum·10^d is an integer up to
    // rounding noise, and an integer divided by 10^d is the double nearest that decimal). Constants out of the loop.
    const top = missing(f.bytes);
    const sc = scaleOf(f.quantum);
    const two = f.bytes === 2;
    for (let e = lo; e < hi; e++) {
      let z: number;
      if (two) z = raw[base + e]! + raw[base + n + e]! * 256;
      else {
        z = 0;
        for (let b = 0; b < f.bytes; b++) z += raw[base + b * n + e]! * 2 ** (8 * b);
      }
      if (z === top) out[e - lo] = NaN;
      else {
        const q = f.signed ? (z % 2 === 0 ? z / 2 : -(z + 1) / 2) : z;
        out[e - lo] = Math.round(q * f.quantum * sc) / sc;
      }
    }
    return out;
  });
}
