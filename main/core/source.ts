import type { AgentReading } from '../../shared/agentProtocol.js';
import type { SourceHealth } from '../../shared/domain/fleet.js';

/** Full-fleet readings delivered by a source in one poll. Columns are indexed like the topology. */
export interface SourceBatch {
  tMs: number;
  powerW: ArrayLike<number>;
  tempC: ArrayLike<number>;
  clockMHz: ArrayLike<number>;
  limitW: ArrayLike<number>;
  util: ArrayLike<number>;
  flags: ArrayLike<number>;
  /** Facility readings where the source has them (the simulator does; GPU agents do not). */
  rackInletC?: ArrayLike<number>;
  rowBudgetKW?: ArrayLike<number>;
  rowCoolingKW?: ArrayLike<number>;
  /** Metered power where the site has meters (kW): per rack (its PDUs summed) and per row (its branch circuits); NaN
   * where there is no meter or its reading is stale. Absent: no meters at all. */
  rackMeteredKW?: ArrayLike<number>;
  rowMeteredKW?: ArrayLike<number>;
}

/** A port that brings samples in. `poll` advances to nowMs; it returns null when nothing arrived. */
export interface Source {
  readonly id: string;
  readonly kind: SourceHealth['kind'];
  poll(nowMs: number, dtS: number): SourceBatch | null;
  /** Health per feed, when the source is made of several (a real fleet); otherwise the engine derives one. */
  health?(): SourceHealth[];
}

/** One meter's reading: a rack's PDUs summed, or a row's branch circuits summed (kW), sampled at tMs. */
export interface MeterReading {
  id: string;
  kW: number;
  tMs: number;
}

/** What a feed's round found on the site's meters (rack and row ids as the readings name them, checked by the sink). */
export interface MeterReadings {
  racks: readonly MeterReading[];
  rows: readonly MeterReading[];
}

/** Where feeds deliver: readings of one host at one time, meter readings, or a counted error. */
export interface FeedSink {
  readings(feed: string, host: string, tMs: number, readings: readonly AgentReading[]): void;
  /** Meter readings of one round (feeds with meters configured); a sink without meters ignores them. */
  meters?(feed: string, readings: MeterReadings): void;
  error(feed: string, message: string): void;
}

/** One live connection that brings real readings in: a host agent, a dcgm-exporter, a Prometheus server. */
export interface Feed {
  readonly id: string;
  readonly kind: 'agent' | 'dcgm' | 'prometheus';
  start(sink: FeedSink): void;
  stop(): Promise<void>;
  /** Where it points and what it knows, for operators (address, lease state). */
  detail(): string;
  /** How often it delivers (ms); a feed is late only beyond it (a dcgm-exporter scraped every 30 s is not stale at 10 s). */
  intervalMs?(): number;
}

/** Per-GPU columns of one recorded instant, in the order of SourceBatch (power, temp, clock, limit, util, flags). */
export interface RecordedColumns {
  powerW: ArrayLike<number>;
  tempC: ArrayLike<number>;
  clockMHz: ArrayLike<number>;
  limitW: ArrayLike<number>;
  util: ArrayLike<number>;
  flags: ArrayLike<number>;
}

/** A port onto a recording's frames (implemented in main/store), so a source can play one back without SQL. */
export interface FrameReader {
  /** The recorded time span (engine time, epoch ms). */
  readonly t0Ms: number;
  readonly t1Ms: number;
  /** The frame stored at exactly tMs, or null where none was stored (a gap). */
  frameAt(tMs: number): RecordedColumns | null;
  /** Each row's budget in force at tMs (kW, from the recorded 'budget' events), in topology row order; a row without a recorded budget keeps the topology's. */
  budgetsAt(tMs: number): Float64Array;
}
