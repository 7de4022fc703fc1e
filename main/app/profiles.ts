import { Profiler, type SiteProfiles } from '../core/profiles.js';
import type { DB } from '../store/db.js';
import { decodeEntities, decodeFrame, GPU_CHANNEL, RACK_CHANNEL } from '../store/frames.js';

/** The GPU channel's fields a fit reads: powerW, tempC, util. */
const GPU_FIELDS: ReadonlySet<number> = new Set([0, 1, 4]);
import { getRun } from '../store/runs.js';
import type { Topology } from '../../shared/domain/topology.js';
import type { PlacementAdvice, PlacementRequest } from '../../shared/domain/placement.js';
import { place } from '../core/placement.js';

/** Default window: the last day of the run. */
export const DEFAULT_WINDOW_MS = 24 * 3600 * 1000;

export class ProfileError extends Error {
  override name = 'StoreError';
}

/**
 * Fit profiles (core/profiles.ts) from a run's stored history: every `strideS`-th second of [fromMs, toMs] (default
 * the run's last day, 10 s), its rack frames (power and inlet) and, at the same instants, its GPU frames (power,
 * temperature, utilisation). Read-only. A run stored before the rack channel existed has no inlets: ProfileError.
 */
export function fitProfiles(
  db: DB,
  run: number,
  o: { fromMs?: number; toMs?: number; strideS?: number; onProgress?: (done: number, total: number) => void } = {},
): { profiles: SiteProfiles; topology: Topology } {
  const info = getRun(db, run);
  if (!info) throw new ProfileError(`run ${run}: no such run`);
  if (info.t1Ms === null || info.t0Ms === null) throw new ProfileError(`run ${run} has no stored ticks`);
  const toMs = o.toMs ?? info.t1Ms;
  const fromMs = o.fromMs ?? Math.max(info.t0Ms, toMs - DEFAULT_WINDOW_MS);
  const strideMs = Math.max(1, Math.round(o.strideS ?? 10)) * 1000;
  const t = info.topology;
  const total = db.prepare('SELECT count(*) FROM frames WHERE run = ? AND channel = ? AND t_ms BETWEEN ? AND ?').pluck().get(run, RACK_CHANNEL.id, fromMs, toMs) as number;
  if (total === 0) throw new ProfileError(`run ${run}: no rack inlets stored between those times (written before this build stored them?)`);
  const gpuAt = db.prepare('SELECT data FROM frames WHERE run = ? AND channel = ? AND t_ms = ?').pluck();
  const p = new Profiler(t);
  let next = -Infinity;
  let seen = 0;
  const every = Math.max(1, Math.floor(total / 100));
  for (const [tMs, data] of db.prepare('SELECT t_ms, data FROM frames WHERE run = ? AND channel = ? AND t_ms BETWEEN ? AND ? ORDER BY t_ms').raw(true).iterate(run, RACK_CHANNEL.id, fromMs, toMs) as Iterable<[number, Buffer]>) {
    if (++seen % every === 0) o.onProgress?.(seen, total);
    if (tMs < next) continue;
    next = tMs + strideMs;
    const [powerW, inletC] = decodeFrame(RACK_CHANNEL, data);
    if (powerW!.length !== t.racks.length) continue;
    p.rackTick(tMs, powerW!, inletC!);
    const g = gpuAt.get(run, GPU_CHANNEL.id, tMs) as Buffer | undefined;
    if (!g) continue;
    // GPU_CHANNEL: powerW, tempC, clockMHz, limitW, util, flags — the fit reads three.
    const cols = decodeEntities(GPU_CHANNEL, g, 0, Infinity, GPU_FIELDS);
    p.gpuTick(cols[0]!, cols[1]!, cols[4]!, inletC!);
  }
  o.onProgress?.(total, total);
  return { profiles: p.result(strideMs / 1000), topology: t };
}

/** Samples per entity a fit aims at: the stride grows with the window beyond this (a day at 10 s). */
const TARGET_SAMPLES = 8640;

/**
 * Advice for a request from a run's last `windowS` of stored history (the console's Placement view, `headroom place`):
 * profiles fitted at a stride that keeps ~TARGET_SAMPLES ticks (1 s for a window up to 2.4 h, 10 s for a day), then
 * the placement, and the racks that run off their row.
 */
export function adviseFromHistory(db: DB, run: number, req: PlacementRequest, o: { windowS?: number; strideS?: number; onProgress?: (done: number, total: number) => void } = {}): PlacementAdvice {
  const info = getRun(db, run);
  if (!info || info.t1Ms === null) throw new ProfileError(`run ${run} has no stored ticks yet`);
  const windowS = o.windowS ?? DEFAULT_WINDOW_MS / 1000;
  const strideS = o.strideS ?? Math.max(1, Math.ceil(windowS / TARGET_SAMPLES));
  const f0 = performance.now();
  const { profiles, topology } = fitProfiles(db, run, { fromMs: Math.max(info.t0Ms ?? 0, info.t1Ms - windowS * 1000), toMs: info.t1Ms, strideS, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  const fitMs = Math.round(performance.now() - f0);
  const p0 = performance.now();
  const placement = place(topology, profiles, req);
  const placeMs = Math.round((performance.now() - p0) * 10) / 10;
  const racksOffRow = profiles.racks
    .filter((r) => r.inlet?.from === 'rack' && r.hotterThanRowC !== null && Math.abs(r.hotterThanRowC) >= 0.5)
    .map((r) => ({ rack: r.rack, row: r.row, hotterThanRowC: r.hotterThanRowC!, sigmaC: r.inlet?.sigma ?? null }))
    .sort((a, b) => b.hotterThanRowC - a.hotterThanRowC);
  return { ...placement, window: { fromMs: profiles.fromMs, toMs: profiles.toMs, ticks: profiles.ticks, strideS: profiles.strideS }, fitMs, placeMs, racksOffRow };
}
