/** Clock-event reason bits, as in NVML / DCGM_FI_DEV_CLOCKS_EVENT_REASONS. */
export const ClockEvent = {
  gpuIdle: 0x1,
  clocksSetting: 0x2,
  swPowerCap: 0x4,
  hwSlowdown: 0x8,
  syncBoost: 0x10,
  swThermal: 0x20,
  hwThermal: 0x40,
  hwPowerBrake: 0x80,
  displayClocks: 0x100,
} as const;

/** Headroom's own per-sample flags (upper bits, never set by hardware). */
export const SampleFlag = {
  /** The reading was invalid (NaN, out of range) and was replaced by the worst case. */
  invalid: 0x10000,
  /** The source is stale: power counted as the GPU's limit. */
  stale: 0x20000,
  /** The GPU has shut down on temperature. */
  shutdown: 0x40000,
  /** The GPU's rack has no supply (every feed to it lost): it and its server draw nothing. */
  unpowered: 0x80000,
} as const;

/**
 * What a GPU reading may be. Anything outside is impossible: the engine and every source parser flag it invalid and
 * count it, never feed it to a policy. One definition, so the boundaries cannot drift apart.
 */
export const READING_LIMITS = {
  /** Plausible GPU temperatures (°C). */
  tempC: [-20, 150],
  /** Power above this many times the GPU's (max) limit is impossible. */
  powerLimitFactor: 2,
} as const;

/** Names operators read instead of a raw bitmask. */
export function decodeClockEvents(mask: number): string[] {
  const names: string[] = [];
  for (const [name, bit] of Object.entries(ClockEvent)) if (mask & bit) names.push(name);
  for (const [name, bit] of Object.entries(SampleFlag)) if (mask & bit) names.push(name);
  return names;
}

/** A compact, columnar picture of the fleet at one instant. Arrays are indexed like the topology. */
export interface Snapshot {
  /** Simulated (or wall, for real sources) time, epoch ms. */
  tMs: number;
  seq: number;
  /** Per GPU: power (W), temperature (°C), SM clock (MHz), power limit in effect (W), utilisation (0..1, a ratio,
   * not %), flags (ClockEvent | SampleFlag bits). */
  gpu: { powerW: number[]; tempC: number[]; clockMHz: number[]; limitW: number[]; util: number[]; flags: number[] };
  rack: { powerW: number[]; inletC: number[]; maxTempC: number[] };
  row: { powerW: number[]; budgetKW: number[]; coolingKW: number[]; inletC: number[]; maxTempC: number[] };
  site: { powerW: number; budgetKW: number };
}

export type Severity = 'info' | 'warning' | 'critical';
export type AlertState = 'pending' | 'firing' | 'resolved';

export interface Alert {
  /** Stable key: rule id + subject, e.g. "rowPower90:D". */
  id: string;
  rule: string;
  severity: Severity;
  state: AlertState;
  subject: { kind: 'row' | 'rack' | 'server' | 'gpu' | 'source' | 'store' | 'plant' | 'controller'; id: string };
  summary: string;
  /** Last observed value of the rule's quantity, with its unit. */
  value: number;
  unit: string;
  /** When the condition was first seen (pending since), epoch ms. */
  activeSinceMs: number;
  firingSinceMs: number | null;
  resolvedAtMs: number | null;
  /** Row the subject belongs to (for grouping), or null (e.g. a source). */
  row: string | null;
  /** Acknowledged by an operator (who, comment, when). */
  ack: { by: string; comment: string; atMs: number } | null;
  /** Id of the silence muting it, or null. */
  silencedBy: string | null;
  /** Id of the alert inhibiting it (e.g. a row brake mutes the throttle alerts it causes), or null. */
  inhibitedBy: string | null;
  /** Times this alert came back within its rule's `refireAfterS` of resolving (flap control; absent: never). */
  flaps?: number;
  /** The value when it started firing (`value` is the latest). */
  firingValue?: number;
}

export type SourceState = 'up' | 'stale' | 'down';
export interface SourceHealth {
  id: string;
  kind: 'sim' | 'agent' | 'dcgm' | 'prometheus' | 'replay';
  state: SourceState;
  lastSampleAgeMs: number;
  errors: number;
  /** The latest error, for operators (e.g. "certificate for another host"), and how long ago it happened (ms). */
  lastError?: string | null;
  lastErrorAgeMs?: number | null;
  /** How often the source delivers (ms), when it says: it is late only beyond this. */
  intervalMs?: number;
  /** What the source is: address, GPUs seen, agent lease state. */
  detail?: string;
}

export interface Status {
  simTimeMs: number;
  running: boolean;
  paused: boolean;
  /** Simulated seconds per wall second. */
  speed: number;
  stepMs: number;
  /** The simulator's scenario, or the real fleet's site name. */
  scenario: string;
  /** A real fleet: wall-clock time, no speed or pause. */
  realTime: boolean;
  ticks: number;
  lastTickMs: number;
  /**
   * The telemetry store: batches queued in its writer, rows written, write errors, ticks dropped (a real fleet never
   * waits for the store), and whether the simulator is paced by it right now (it waits for the store rather than drop).
   */
  store: { enabled: boolean; lagBatches: number; writtenRows: number; errors: number; dropped: number; paced: boolean };
  sources: SourceHealth[];
  /** Playing back a recording (read-only): its file name and recorded span (engine time, epoch ms); absent otherwise. */
  recording?: { file: string; t0Ms: number; t1Ms: number };
}

export interface RangeSeries {
  scope: 'site' | 'row' | 'rack';
  resS: number;
  ids: string[];
  /** Bucket start times, epoch ms, shared by all series. */
  tMs: number[];
  /** Average power per bucket (kW), one array per id; null where no data. */
  avgKW: Array<Array<number | null>>;
  maxKW: Array<Array<number | null>>;
}
