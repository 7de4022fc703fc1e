import type { AgentReading } from '../../shared/agentProtocol.js';
import { SampleFlag, type SourceHealth } from '../../shared/domain/fleet.js';
import { LatencyHistogram } from '../core/histogram.js';
import type { Inventory } from './inventory.js';
import { invalidReasons } from '../core/readings.js';
import type { Feed, FeedSink, MeterReadings, Source, SourceBatch } from '../core/source.js';
import { FleetMeters } from './fleetMeters.js';

interface FeedState {
  feed: Feed;
  lastSampleWallMs: number | null;
  lastErrorWallMs: number | null;
  addedWallMs: number;
  errors: number;
  lastError: string | null;
  samples: number;
}

export interface FleetSourceOptions {
  /** Wall clock (epoch ms); injected in tests. */
  now?: () => number;
  /** Readings stamped further than this in the future (a source's clock ahead of ours) are clamped to now, counted. */
  maxSkewMs?: number;
  /** A GPU silent for longer counts at its limit (worst case), flagged stale. */
  staleAfterMs?: number;
}

/**
 * Many feeds → one fleet-wide batch per engine tick, indexed like the inventory's topology.
 *
 * Readings are mapped host + UUID → GPU through the inventory; a host or UUID it does not list is rejected and counted
 * against the feed. Values are copied as read (null → NaN) so the engine's one validation pass flags and replaces
 * anything impossible; invalid readings are also counted against their feed here. A GPU whose feeds have been silent
 * longer than `staleAfterMs` counts at its power limit and fully busy (worst case), flagged stale — per GPU, so one dead
 * host does not blank the fleet. `poll` returns null when no feed delivered anything since the last tick, so the
 * engine's own staleness takes over when every feed is silent.
 */
export class FleetSource implements Source {
  readonly id = 'fleet';
  readonly kind = 'agent' as const;
  /** Agent reading time → visible to the engine (the tick that ingests it), seconds. */
  readonly visibleLatency = new LatencyHistogram();
  /** Agent reading time → arrival at the console, seconds. */
  readonly arrivalLatency = new LatencyHistogram();
  private readonly now: () => number;
  private readonly staleAfterMs: number;
  private readonly maxSkewMs: number;
  private readonly feeds = new Map<string, FeedState>();
  private readonly cols: { powerW: Float64Array; tempC: Float64Array; clockMHz: Float64Array; limitW: Float64Array; util: Float64Array; flags: Uint32Array };
  private readonly seenWallMs: Float64Array;
  /** Per GPU: silent longer than this (ms) = stale; the staleness limit widened to its feed's interval. */
  private readonly staleAfterGpu: Float64Array;
  private readonly sampleTMs: Float64Array;
  private readonly pending: Uint8Array;
  private readonly maxLimitW: Float64Array;
  private fresh = false;
  /** Rack-PDU and branch-circuit meters, where feeds deliver them (fleetMeters.ts). */
  readonly meters: FleetMeters;

  constructor(
    readonly inventory: Inventory,
    opts: FleetSourceOptions = {},
  ) {
    this.now = opts.now ?? Date.now;
    this.staleAfterMs = opts.staleAfterMs ?? 5000;
    this.maxSkewMs = opts.maxSkewMs ?? 5000;
    const t = inventory.topology;
    const n = t.gpuCount;
    this.maxLimitW = new Float64Array(n);
    for (const s of t.servers) for (let g = s.gpuStart; g < s.gpuStart + s.gpuCount; g++) this.maxLimitW[g] = t.models[s.model]!.maxLimitW;
    this.cols = {
      powerW: Float64Array.from(this.maxLimitW),
      tempC: new Float64Array(n).fill(25),
      clockMHz: new Float64Array(n),
      limitW: Float64Array.from(this.maxLimitW),
      util: new Float64Array(n).fill(1),
      flags: new Uint32Array(n).fill(SampleFlag.stale),
    };
    this.seenWallMs = new Float64Array(n).fill(-Infinity);
    this.staleAfterGpu = new Float64Array(n).fill(this.staleAfterMs);
    this.sampleTMs = new Float64Array(n);
    this.pending = new Uint8Array(n);
    this.meters = new FleetMeters(t);
  }

  /** Start a feed; its readings flow in from now on. Refuses a duplicate id. */
  addFeed(feed: Feed): void {
    if (this.feeds.has(feed.id)) throw new Error(`a source with id "${feed.id}" already exists`);
    this.feeds.set(feed.id, { feed, lastSampleWallMs: null, lastErrorWallMs: null, addedWallMs: this.now(), errors: 0, lastError: null, samples: 0 });
    feed.start(this.sink);
  }

  async removeFeed(id: string): Promise<boolean> {
    const st = this.feeds.get(id);
    if (!st) return false;
    this.feeds.delete(id);
    await st.feed.stop();
    return true;
  }

  feedIds(): string[] {
    return [...this.feeds.keys()];
  }

  async close(): Promise<void> {
    await Promise.all([...this.feeds.keys()].map((id) => this.removeFeed(id)));
  }

  /** The sink feeds deliver into (bound once, so feeds can hold it). */
  readonly sink: FeedSink = {
    readings: (feedId, host, tMs, readings) => this.accept(feedId, host, tMs, readings),
    meters: (feedId, readings) => this.acceptMeters(feedId, readings),
    error: (feedId, message) => this.countError(feedId, message),
  };

  /** Meter readings ride along with the GPU readings of the next batch; fresh as long as the feed's readings are. */
  private acceptMeters(feedId: string, m: MeterReadings): void {
    const st = this.feeds.get(feedId);
    if (!st) return;
    this.meters.accept(feedId, m, this.now(), this.staleLimit(st), this.maxSkewMs, (message) => this.countError(feedId, message));
  }

  private countError(feedId: string, message: string): void {
    const st = this.feeds.get(feedId);
    if (!st) return;
    st.errors++;
    st.lastError = message.slice(0, 500);
    st.lastErrorWallMs = this.now();
  }

  private accept(feedId: string, host: string, tMs: number, readings: readonly AgentReading[]): void {
    const st = this.feeds.get(feedId);
    if (!st) return;
    const wall = this.now();
    if (!this.inventory.hosts.has(host)) {
      this.countError(feedId, `host "${host}" is not in the inventory`);
      return;
    }
    if (tMs > wall + this.maxSkewMs) {
      // One reading from the future would hide every later one for its GPUs (newest wins): clamp it.
      this.countError(feedId, `readings from ${host} are stamped ${((tMs - wall) / 1000).toFixed(1)} s in the future (clock skew); taken as now`);
      tMs = wall;
    }
    let accepted = 0;
    const c = this.cols;
    const staleAfter = this.staleLimit(st);
    for (const r of readings) {
      const g = this.inventory.gpuIndex(host, r.uuid);
      if (g === undefined) {
        this.countError(feedId, `GPU ${r.uuid} on host ${host} is not in the inventory`);
        continue;
      }
      // Older than what we hold (another feed, or reordering): keep the newer one.
      if (tMs < this.sampleTMs[g]!) continue;
      const limit = r.limitW ?? this.maxLimitW[g]!;
      // Values present but impossible. A missing (null) value was already counted by the feed that nulled it, and the
      // engine counts it again as an invalid reading when it replaces it with the worst case.
      const bad = invalidReasons({ powerW: r.powerW, tempC: r.tempC, smClockMHz: r.smClockMHz, utilPct: r.utilPct, limitW: limit }).filter((x) => !x.endsWith(' missing'));
      if (bad.length > 0) this.countError(feedId, `GPU ${r.uuid} on ${host}: ${bad.join('; ')}`);
      c.powerW[g] = r.powerW ?? NaN;
      c.tempC[g] = r.tempC ?? NaN;
      c.clockMHz[g] = r.smClockMHz ?? 0;
      c.limitW[g] = limit;
      c.util[g] = r.utilPct === null ? NaN : r.utilPct / 100;
      c.flags[g] = (r.clockEventMask ?? 0) & 0xffff;
      this.seenWallMs[g] = wall;
      this.staleAfterGpu[g] = staleAfter;
      this.sampleTMs[g] = tMs;
      this.pending[g] = 1;
      accepted++;
    }
    if (accepted === 0) return;
    this.arrivalLatency.record(Math.max(0, wall - tMs) / 1000, accepted);
    st.lastSampleWallMs = wall;
    st.samples += accepted;
    this.fresh = true;
  }

  poll(): SourceBatch | null {
    if (!this.fresh) return null;
    this.fresh = false;
    const wall = this.now();
    const c = this.cols;
    for (let g = 0; g < c.powerW.length; g++) {
      if (this.pending[g]) {
        this.pending[g] = 0;
        this.visibleLatency.record(Math.max(0, wall - this.sampleTMs[g]!) / 1000);
      } else if (wall - this.seenWallMs[g]! > this.staleAfterGpu[g]!) {
        // Worst case: what the GPU could draw uncapped — its agent may have lapsed to a safe cap above our cap, or its
        // driver reloaded without any cap at all. The last limit is kept for display.
        c.powerW[g] = Math.max(c.limitW[g]!, this.maxLimitW[g]!);
        c.util[g] = 1;
        c.flags[g] = (c.flags[g]! | SampleFlag.stale) >>> 0;
      }
    }
    return { tMs: wall, ...c, ...(this.meters.seen ? this.meters.fresh(wall) : {}) };
  }

  /** Whether every GPU of `host` has a reading within its stale limit now (never heard of: not fresh). */
  hostFresh(host: string): boolean {
    const h = this.inventory.hosts.get(host);
    if (!h) return false;
    const wall = this.now();
    return h.gpus.every((g) => this.seenWallMs[g]! > 0 && wall - this.seenWallMs[g]! <= this.staleAfterGpu[g]!);
  }

  /** A feed is late after max(staleAfterMs, 2.5 × its interval). */
  private staleLimit(st: FeedState): number {
    return Math.max(this.staleAfterMs, 2.5 * (st.feed.intervalMs?.() ?? 0));
  }

  /**
   * Health per feed: up while samples arrive, stale when late (see staleLimit), down after max(60 s, the stale limit)
   * or when never heard.
   */
  health(): SourceHealth[] {
    const wall = this.now();
    return [...this.feeds.values()].map((st) => {
      const age = wall - (st.lastSampleWallMs ?? st.addedWallMs);
      const late = this.staleLimit(st);
      const state = st.lastSampleWallMs === null || age > Math.max(60_000, late) ? 'down' : age > late ? 'stale' : 'up';
      return {
        id: st.feed.id,
        kind: st.feed.kind,
        state,
        lastSampleAgeMs: age,
        intervalMs: st.feed.intervalMs?.(),
        errors: st.errors,
        lastError: st.lastError,
        lastErrorAgeMs: st.lastErrorWallMs === null ? null : wall - st.lastErrorWallMs,
        detail: st.feed.detail(),
      };
    });
  }
}
