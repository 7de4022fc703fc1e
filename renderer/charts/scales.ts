/**
 * Colour scales for heatmaps, following the DCIM conventions operators already know
 * (openDCIM: power yellow at 60 %, red at 80 %; inlet yellow 25 °C, red 30 °C; Grafana DCGM: GPU yellow 83 °C, red 87 °C).
 * Inside each band the colour still shades with the value, so neighbours in the same band stay distinguishable.
 * Pure: no DOM. `packed()` gives the 32-bit pixel ImageData expects on little-endian machines (0xAABBGGRR).
 */
import { ClockEvent, SampleFlag } from '../../shared/domain/fleet.js';

export type Rgb = readonly [number, number, number];
export interface Stop { at: number; rgb: Rgb }

export type RackMetric = 'budgetPct' | 'inletC' | 'maxTempC' | 'thermalPct' | 'predictedPct' | 'workflow';
export type GpuMetric = 'gpuTempC' | 'gpuPowerPct' | 'gpuEvents';
export type Metric = RackMetric | GpuMetric;

export interface ColorScale {
  metric: Metric;
  /** Label for selectors and the legend, with the unit. */
  label: string;
  unit: string;
  min: number;
  max: number;
  /** Threshold where the colour turns yellow / red; null for sequential or categorical scales. */
  warn: number | null;
  crit: number | null;
  stops: readonly Stop[];
  /** Categorical scales (clock events) list their classes for the legend. */
  categories?: ReadonlyArray<{ label: string; rgb: Rgb }>;
}

export const MISSING_RGB: Rgb = [0x3a, 0x3f, 0x47];

export function hex(h: string): Rgb {
  const n = parseInt(h.slice(1), 16);
  return [(n >> 16) & 255, (n >> 8) & 255, n & 255];
}

const OK_LOW = hex('#1d3d52');
const OK_HIGH = hex('#2f9160');
const WARN_LOW = hex('#c9a227');
const WARN_HIGH = hex('#e3871f');
const CRIT_LOW = hex('#d23c3c');
const CRIT_HIGH = hex('#f2417e');

/** Stops for a three-band (ok / warn / crit) scale with hard steps at the thresholds. */
export function thresholdStops(min: number, warn: number, crit: number, max: number): Stop[] {
  return [
    { at: min, rgb: OK_LOW },
    { at: warn, rgb: OK_HIGH },
    { at: warn, rgb: WARN_LOW },
    { at: crit, rgb: WARN_HIGH },
    { at: crit, rgb: CRIT_LOW },
    { at: max, rgb: CRIT_HIGH },
  ];
}

function thresholdScale(metric: Metric, label: string, unit: string, min: number, warn: number, crit: number, max: number): ColorScale {
  return { metric, label, unit, min, max, warn, crit, stops: thresholdStops(min, warn, crit, max) };
}

/** Event classes, most serious first: a GPU shows the first class whose bits it has. */
export const EVENT_CLASSES: ReadonlyArray<{ label: string; mask: number; rgb: Rgb }> = [
  { label: 'shutdown', mask: SampleFlag.shutdown, rgb: hex('#ffffff') },
  { label: 'invalid/stale', mask: SampleFlag.invalid | SampleFlag.stale, rgb: hex('#8a6fd1') },
  { label: 'thermal', mask: ClockEvent.swThermal | ClockEvent.hwThermal | ClockEvent.hwSlowdown | ClockEvent.hwPowerBrake, rgb: CRIT_LOW },
  { label: 'power cap', mask: ClockEvent.swPowerCap, rgb: WARN_LOW },
  { label: 'idle', mask: ClockEvent.gpuIdle, rgb: hex('#26303b') },
];
export const EVENT_NONE_RGB: Rgb = hex('#2a6f8f');

export const SCALES: Readonly<Record<Metric, ColorScale>> = {
  budgetPct: thresholdScale('budgetPct', 'Power, % of rack budget', '%', 0, 60, 80, 120),
  inletC: thresholdScale('inletC', 'Inlet temperature (°C)', '°C', 15, 25, 30, 35),
  maxTempC: thresholdScale('maxTempC', 'Hottest GPU (°C)', '°C', 30, 83, 87, 95),
  // TAPAS's thermal slack (shared/domain/slack.ts): 0 % clear, 100 % inlet at 35 °C or GPUs 5 °C from slowdown.
  thermalPct: thresholdScale('thermalPct', 'Thermal pressure, % (inlet and GPUs)', '%', 0, 50, 80, 100),
  // The same penalty at the peaks its learned profile predicts for the day (row power and heat; main/core/placement.ts forecast).
  predictedPct: thresholdScale('predictedPct', 'Predicted pressure, % (profile peaks: row power, inlet, GPUs)', '%', 0, 50, 80, 100),
  // Categorical: which declared workflow a rack runs (charts/workflowFloor.ts builds the scale from the workflows).
  workflow: { metric: 'workflow', label: 'Workflow (this hour\'s plans)', unit: '', min: 0, max: 0, warn: null, crit: null, stops: [], categories: [] },
  gpuTempC: thresholdScale('gpuTempC', 'GPU temperature (°C)', '°C', 30, 83, 87, 95),
  gpuPowerPct: {
    metric: 'gpuPowerPct',
    label: 'GPU power, % of its power limit',
    unit: '%',
    min: 0,
    max: 100,
    warn: null,
    crit: null,
    // Sequential and deliberately free of yellow/red: a GPU at its limit is normal, not an alarm.
    stops: [
      { at: 0, rgb: hex('#142838') },
      { at: 40, rgb: hex('#1f5f86') },
      { at: 75, rgb: hex('#3aa6c4') },
      { at: 100, rgb: hex('#d2f3f7') },
    ],
  },
  gpuEvents: {
    metric: 'gpuEvents',
    label: 'Clock events',
    unit: '',
    min: 0,
    max: EVENT_CLASSES.length,
    warn: null,
    crit: null,
    stops: [],
    categories: [...EVENT_CLASSES.map((c) => ({ label: c.label, rgb: c.rgb })), { label: 'none', rgb: EVENT_NONE_RGB }],
  },
};

export const RACK_METRICS: readonly RackMetric[] = ['budgetPct', 'inletC', 'maxTempC', 'thermalPct', 'predictedPct', 'workflow'];
export const GPU_METRICS: readonly GpuMetric[] = ['gpuTempC', 'gpuPowerPct', 'gpuEvents'];

/** Colour of `v` on a continuous scale; NaN/±Inf → the missing colour. Values outside min..max clamp. */
export function rgbAt(scale: ColorScale, v: number): Rgb {
  const s = scale.stops;
  if (!Number.isFinite(v) || s.length === 0) return MISSING_RGB;
  if (v <= s[0]!.at) return s[0]!.rgb;
  const last = s[s.length - 1]!;
  if (v >= last.at) return last.rgb;
  // Find the last stop whose position is <= v; at a duplicated position (a threshold) that is the upper band's stop.
  let i = 0;
  while (i + 1 < s.length && s[i + 1]!.at <= v) i++;
  const a = s[i]!;
  const b = s[i + 1]!;
  const span = b.at - a.at;
  const t = span > 0 ? (v - a.at) / span : 0;
  return [
    Math.round(a.rgb[0] + (b.rgb[0] - a.rgb[0]) * t),
    Math.round(a.rgb[1] + (b.rgb[1] - a.rgb[1]) * t),
    Math.round(a.rgb[2] + (b.rgb[2] - a.rgb[2]) * t),
  ];
}

/** Class of a clock-event/flag mask as an index into `EVENT_CLASSES`, or -1 for "none". */
export function eventClass(mask: number): number {
  for (let i = 0; i < EVENT_CLASSES.length; i++) if (mask & EVENT_CLASSES[i]!.mask) return i;
  return -1;
}

export function eventRgb(mask: number): Rgb {
  const c = eventClass(mask);
  return c < 0 ? EVENT_NONE_RGB : EVENT_CLASSES[c]!.rgb;
}

export function css(rgb: Rgb): string {
  return `rgb(${rgb[0]},${rgb[1]},${rgb[2]})`;
}

/** 0xAABBGGRR for a Uint32Array view over ImageData (little-endian, which every browser platform is). */
export function packRgb(rgb: Rgb): number {
  return ((255 << 24) | (rgb[2] << 16) | (rgb[1] << 8) | rgb[0]) >>> 0;
}

/** Dark or light text, whichever reads better on `rgb` (WCAG relative luminance). */
export function textOn(rgb: Rgb): string {
  const lin = (c: number) => {
    const x = c / 255;
    return x <= 0.03928 ? x / 12.92 : ((x + 0.055) / 1.055) ** 2.4;
  };
  const l = 0.2126 * lin(rgb[0]) + 0.7152 * lin(rgb[1]) + 0.0722 * lin(rgb[2]);
  return l > 0.22 ? '#0b0f14' : '#e8eef4';
}

/** Which band a value falls in, for text next to colour (never colour alone). */
export function band(scale: ColorScale, v: number): 'ok' | 'warn' | 'crit' | 'none' {
  if (!Number.isFinite(v) || scale.warn === null || scale.crit === null) return 'none';
  if (v >= scale.crit) return 'crit';
  if (v >= scale.warn) return 'warn';
  return 'ok';
}
