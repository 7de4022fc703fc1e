import { Profiler, type SiteProfiles } from '../core/profiles.js';
import type { DB } from '../store/db.js';
import { decodeEntities, decodeFrame, GPU_CHANNEL, RACK_CHANNEL } from '../store/frames.js';

/** The GPU channel's fields a fit reads: powerW, tempC, util. */
const GPU_FIELDS: ReadonlySet<number> = new Set([0, 1, 4]);
import { getRun } from '../store/runs.js';
import type { Topology } from '../../shared/domain/topology.js';

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
