/**
 * The all-GPU floor picture: one pixel per GPU, laid out row → rack → server → GPU, painted into a Uint32 view of
 * ImageData and scaled up with nearest-neighbour by the browser. Pure: the caller owns the canvas.
 *
 * A rack is a block `slotW` GPUs wide (GPUs of a server side by side) and `serverCount` tall (servers stacked like
 * in the rack). A physical row of racks may wrap into several bands (`wrap`) so that 10,240 GPUs fill a screen with
 * big, square cells instead of one thin strip.
 */
import type { Topology } from '../../shared/domain/topology.js';
import type { Snapshot } from '../../shared/domain/fleet.js';
import { EVENT_CLASSES, EVENT_NONE_RGB, MISSING_RGB, SCALES, packRgb, type ColorScale, type GpuMetric } from './scales.js';

export const RACK_GAP = 1;
export const BAND_GAP = 1;
export const ROW_GAP = 3;

export interface BandLayout {
  row: number;
  /** First and last rack position (0-based, within the row) drawn in this band. */
  fromPos: number;
  toPos: number;
  y: number;
  height: number;
}

export interface GpuGridLayout {
  width: number;
  height: number;
  wrap: number;
  slotW: number;
  /** Pixel index (y * width + x) of each GPU. */
  pixelOfGpu: Int32Array;
  /** GPU index at each pixel, -1 for gaps. */
  gpuAtPixel: Int32Array;
  /** Top-left pixel and size of each rack block. */
  rackBox: Array<{ x: number; y: number; w: number; h: number }>;
  bands: BandLayout[];
}

export function layoutGpuGrid(topo: Topology, wrap = 1): GpuGridLayout {
  let slotW = 1;
  for (const s of topo.servers) slotW = Math.max(slotW, s.gpuCount);
  const maxRacks = Math.max(1, ...topo.rows.map((r) => r.rackCount));
  const perBand = Math.ceil(maxRacks / Math.max(1, wrap));
  const width = perBand * (slotW + RACK_GAP) - RACK_GAP;
  const bands: BandLayout[] = [];
  const rackBox: GpuGridLayout['rackBox'] = new Array(topo.racks.length);
  let y = 0;
  topo.rows.forEach((row, ri) => {
    let rackH = 1;
    for (let k = 0; k < row.rackCount; k++) rackH = Math.max(rackH, topo.racks[row.rackStart + k]!.serverCount);
    const nBands = Math.max(1, Math.ceil(row.rackCount / perBand));
    if (ri > 0) y += ROW_GAP;
    for (let b = 0; b < nBands; b++) {
      if (b > 0) y += BAND_GAP;
      const fromPos = b * perBand;
      const toPos = Math.min(row.rackCount, fromPos + perBand) - 1;
      bands.push({ row: ri, fromPos, toPos, y, height: rackH });
      for (let pos = fromPos; pos <= toPos; pos++) {
        const r = row.rackStart + pos;
        rackBox[r] = { x: (pos - fromPos) * (slotW + RACK_GAP), y, w: slotW, h: topo.racks[r]!.serverCount };
      }
      y += rackH;
    }
  });
  const height = Math.max(1, y);
  const pixelOfGpu = new Int32Array(topo.gpuCount).fill(-1);
  const gpuAtPixel = new Int32Array(width * height).fill(-1);
  topo.servers.forEach((srv, s) => {
    const box = rackBox[srv.rack];
    if (!box) return;
    const si = s - topo.racks[srv.rack]!.serverStart;
    for (let k = 0; k < srv.gpuCount; k++) {
      const g = srv.gpuStart + k;
      const p = (box.y + si) * width + box.x + k;
      pixelOfGpu[g] = p;
      gpuAtPixel[p] = g;
    }
  });
  return { width, height, wrap, slotW, pixelOfGpu, gpuAtPixel, rackBox, bands };
}

/** Chooses how many bands a row wraps into so the integer scale (screen px per GPU) is largest for the space given. */
export function bestWrap(topo: Topology, availW: number, availH: number, maxWrap = 8): { wrap: number; scale: number } {
  let best = { wrap: 1, scale: 0 };
  for (let wrap = 1; wrap <= maxWrap; wrap++) {
    const l = layoutSize(topo, wrap);
    const scale = Math.max(1, Math.floor(Math.min(availW / l.width, availH / l.height)));
    if (scale > best.scale) best = { wrap, scale };
  }
  return best;
}

/** Width and height of `layoutGpuGrid(topo, wrap)` without building its index arrays. */
export function layoutSize(topo: Topology, wrap: number): { width: number; height: number } {
  let slotW = 1;
  for (const s of topo.servers) slotW = Math.max(slotW, s.gpuCount);
  const maxRacks = Math.max(1, ...topo.rows.map((r) => r.rackCount));
  const perBand = Math.ceil(maxRacks / wrap);
  let height = 0;
  topo.rows.forEach((row, ri) => {
    let rackH = 1;
    for (let k = 0; k < row.rackCount; k++) rackH = Math.max(rackH, topo.racks[row.rackStart + k]!.serverCount);
    const nBands = Math.max(1, Math.ceil(row.rackCount / perBand));
    height += (ri > 0 ? ROW_GAP : 0) + nBands * rackH + (nBands - 1) * BAND_GAP;
  });
  return { width: perBand * (slotW + RACK_GAP) - RACK_GAP, height };
}

/** Packed colour of `v` on a continuous scale, without allocating (hot loop). Mirrors `rgbAt`. */
export function packedAt(scale: ColorScale, v: number): number {
  const s = scale.stops;
  if (!Number.isFinite(v) || s.length === 0) return MISSING_PACKED;
  if (v <= s[0]!.at) return packRgb(s[0]!.rgb);
  const last = s[s.length - 1]!;
  if (v >= last.at) return packRgb(last.rgb);
  let i = 0;
  while (i + 1 < s.length && s[i + 1]!.at <= v) i++;
  const a = s[i]!;
  const b = s[i + 1]!;
  const span = b.at - a.at;
  const t = span > 0 ? (v - a.at) / span : 0;
  const r = Math.round(a.rgb[0] + (b.rgb[0] - a.rgb[0]) * t);
  const g = Math.round(a.rgb[1] + (b.rgb[1] - a.rgb[1]) * t);
  const bl = Math.round(a.rgb[2] + (b.rgb[2] - a.rgb[2]) * t);
  return ((255 << 24) | (bl << 16) | (g << 8) | r) >>> 0;
}

const MISSING_PACKED = packRgb(MISSING_RGB);
const EVENT_PACKED = EVENT_CLASSES.map((c) => packRgb(c.rgb));
const EVENT_NONE_PACKED = packRgb(EVENT_NONE_RGB);

/** Value of a GPU metric (NaN when missing). Events return the raw mask. */
export function gpuValue(snap: Snapshot, metric: GpuMetric, g: number): number {
  const gpu = snap.gpu;
  switch (metric) {
    case 'gpuTempC':
      return gpu.tempC[g] ?? NaN;
    case 'gpuPowerPct': {
      const lim = gpu.limitW[g] ?? NaN;
      return lim > 0 ? ((gpu.powerW[g] ?? NaN) / lim) * 100 : NaN;
    }
    case 'gpuEvents':
      return gpu.flags[g] ?? 0;
  }
}

export interface PaintStats {
  /** GPUs at or above the scale's warn / crit threshold (thermal/throttled classes for events). */
  warn: number;
  crit: number;
  /** GPU with the highest value (-1 for categorical scales). */
  maxGpu: number;
  maxValue: number;
}

/** Paints every GPU's colour into `pixels` (a Uint32Array over the ImageData of `layout.width × layout.height`). */
export function paintGpuGrid(layout: GpuGridLayout, snap: Snapshot, metric: GpuMetric, pixels: Uint32Array): PaintStats {
  const n = layout.pixelOfGpu.length;
  const pix = layout.pixelOfGpu;
  const stats: PaintStats = { warn: 0, crit: 0, maxGpu: -1, maxValue: -Infinity };
  if (metric === 'gpuEvents') {
    const flags = snap.gpu.flags;
    for (let g = 0; g < n; g++) {
      const p = pix[g]!;
      if (p < 0) continue;
      const mask = flags[g] ?? 0;
      let c = -1;
      for (let k = 0; k < EVENT_CLASSES.length; k++) {
        if (mask & EVENT_CLASSES[k]!.mask) {
          c = k;
          break;
        }
      }
      pixels[p] = c < 0 ? EVENT_NONE_PACKED : EVENT_PACKED[c]!;
      if (c >= 0 && c <= 2) stats.crit++;
      else if (c === 3) stats.warn++;
    }
    return stats;
  }
  const scale = SCALES[metric];
  const warn = scale.warn ?? Infinity;
  const crit = scale.crit ?? Infinity;
  for (let g = 0; g < n; g++) {
    const p = pix[g]!;
    if (p < 0) continue;
    const v = gpuValue(snap, metric, g);
    pixels[p] = packedAt(scale, v);
    if (v >= crit) stats.crit++;
    else if (v >= warn) stats.warn++;
    if (v > stats.maxValue) {
      stats.maxValue = v;
      stats.maxGpu = g;
    }
  }
  return stats;
}
