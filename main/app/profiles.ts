import { Profiler, type SiteProfiles } from '../core/profiles.js';
import type { DB } from '../store/db.js';
import { decodeEntities, decodeFrame, GPU_CHANNEL, RACK_CHANNEL } from '../store/frames.js';

/** The GPU channel's fields a fit reads: powerW, tempC, util. */
const GPU_FIELDS: ReadonlySet<number> = new Set([0, 1, 4]);
import { getRun } from '../store/runs.js';
import type { Topology } from '../../shared/domain/topology.js';
import { RACK_PROFILE_POINTS, type PlacementAdvice, type PlacementRequest, type RackProfileView, type SiteForecast } from '../../shared/domain/placement.js';
import { forecast, place } from '../core/placement.js';

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

type Progress = (done: number, total: number) => void;

/**
 * Profiles of a run's last `windowS` of stored history at a stride that keeps ~TARGET_SAMPLES ticks (1 s for a
 * window up to 2.4 h, 10 s for a day), with the time the fit took.
 */
function fitLast(db: DB, run: number, o: { windowS?: number; strideS?: number; onProgress?: Progress }): { profiles: SiteProfiles; topology: Topology; fitMs: number } {
  const info = getRun(db, run);
  if (!info || info.t1Ms === null) throw new ProfileError(`run ${run} has no stored ticks yet`);
  const windowS = o.windowS ?? DEFAULT_WINDOW_MS / 1000;
  const strideS = o.strideS ?? Math.max(1, Math.ceil(windowS / TARGET_SAMPLES));
  const f0 = performance.now();
  const fit = fitProfiles(db, run, { fromMs: Math.max(info.t0Ms ?? 0, info.t1Ms - windowS * 1000), toMs: info.t1Ms, strideS, ...(o.onProgress ? { onProgress: o.onProgress } : {}) });
  return { ...fit, fitMs: Math.round(performance.now() - f0) };
}

const windowOf = (p: SiteProfiles) => ({ fromMs: p.fromMs, toMs: p.toMs, ticks: p.ticks, strideS: p.strideS });

/**
 * Advice for a request from a run's last `windowS` of stored history (the console's Placement view, `headroom place`):
 * the profiles (fitLast), the placement, and the racks that run off their row.
 */
export function adviseFromHistory(db: DB, run: number, req: PlacementRequest, o: { windowS?: number; strideS?: number; onProgress?: Progress } = {}): PlacementAdvice {
  const { profiles, topology, fitMs } = fitLast(db, run, o);
  const p0 = performance.now();
  const placement = place(topology, profiles, req);
  const placeMs = Math.round((performance.now() - p0) * 10) / 10;
  const racksOffRow = profiles.racks
    .filter((r) => r.inlet?.from === 'rack' && r.hotterThanRowC !== null && Math.abs(r.hotterThanRowC) >= 0.5)
    .map((r) => ({ rack: r.rack, row: r.row, hotterThanRowC: r.hotterThanRowC!, sigmaC: r.inlet?.sigma ?? null }))
    .sort((a, b) => b.hotterThanRowC - a.hotterThanRowC);
  return { ...placement, window: windowOf(profiles), fitMs, placeMs, racksOffRow };
}

/** Every rack's predicted pressure (the floor's "predicted" colouring) from a run's last `windowS`, fitted as for advice. */
export function forecastFromHistory(db: DB, run: number, o: { windowS?: number; onProgress?: Progress } = {}): SiteForecast {
  const { profiles, topology, fitMs } = fitLast(db, run, o);
  return { window: windowOf(profiles), racks: forecast(topology, profiles), fitMs };
}

/** GPU frames a rack profile reads at most (its servers' rise): enough for a fit, cheap over a day. */
const RACK_GPU_TICKS = 720;

/**
 * One rack's profile from a run's last `windowS` (the rack view, `profiles:rack`): every rack's inlet and power (its
 * row's racks are the comparison), this rack's GPUs at up to RACK_GPU_TICKS instants, and RACK_PROFILE_POINTS samples
 * of its (kW, inlet) for the scatter. Read-only.
 */
export function rackProfileFromHistory(db: DB, run: number, rack: number, o: { windowS?: number } = {}): RackProfileView {
  const f0 = performance.now();
  const info = getRun(db, run);
  if (!info || info.t1Ms === null || info.t0Ms === null) throw new ProfileError(`run ${run} has no stored ticks yet`);
  const t = info.topology;
  const rk = t.racks[rack];
  if (!rk) throw new ProfileError(`rack ${rack}: the site has ${t.racks.length} racks (0–${t.racks.length - 1})`);
  const windowS = o.windowS ?? DEFAULT_WINDOW_MS / 1000;
  const toMs = info.t1Ms;
  const fromMs = Math.max(info.t0Ms, toMs - windowS * 1000);
  const strideMs = Math.max(1, Math.ceil(windowS / TARGET_SAMPLES)) * 1000;
  const total = db.prepare('SELECT count(*) FROM frames WHERE run = ? AND channel = ? AND t_ms BETWEEN ? AND ?').pluck().get(run, RACK_CHANNEL.id, fromMs, toMs) as number;
  if (total === 0) throw new ProfileError(`run ${run}: no rack inlets stored between those times (written before this build stored them?)`);
  const ticks = Math.ceil(total / Math.max(1, strideMs / 1000));
  /** Whether tick i of ~`ticks` is one of `n` spread evenly over them (every tick when there are fewer). */
  const spread = (i: number, n: number) => ticks <= n || Math.floor(((i + 1) * n) / ticks) > Math.floor((i * n) / ticks);
  const s0 = rk.serverStart;
  const s1 = rk.serverStart + rk.serverCount;
  const g0 = t.servers[s0]?.gpuStart ?? 0;
  const g1 = s1 > s0 ? t.servers[s1 - 1]!.gpuStart + t.servers[s1 - 1]!.gpuCount : g0;
  const gpuAt = db.prepare('SELECT data FROM frames WHERE run = ? AND channel = ? AND t_ms = ?').pluck();
  const p = new Profiler(t);
  const points: Array<[number, number]> = [];
  const gpuW = new Float64Array(t.servers.length);
  const gpuN = new Int32Array(t.servers.length);
  let next = -Infinity;
  let used = 0;
  for (const [tMs, data] of db.prepare('SELECT t_ms, data FROM frames WHERE run = ? AND channel = ? AND t_ms BETWEEN ? AND ? ORDER BY t_ms').raw(true).iterate(run, RACK_CHANNEL.id, fromMs, toMs) as Iterable<[number, Buffer]>) {
    if (tMs < next) continue;
    next = tMs + strideMs;
    const [powerW, inletC] = decodeFrame(RACK_CHANNEL, data);
    if (powerW!.length !== t.racks.length) continue;
    p.rackTick(tMs, powerW!, inletC!);
    const i = used++;
    if (spread(i, RACK_PROFILE_POINTS) && points.length < RACK_PROFILE_POINTS && Number.isFinite(powerW![rack]!) && Number.isFinite(inletC![rack]!)) {
      points.push([Math.round(powerW![rack]!) / 1000, Math.round(inletC![rack]! * 100) / 100]);
    }
    if (!spread(i, RACK_GPU_TICKS) || g1 <= g0) continue;
    const g = gpuAt.get(run, GPU_CHANNEL.id, tMs) as Buffer | undefined;
    if (!g) continue;
    const cols = decodeEntities(GPU_CHANNEL, g, g0, g1, GPU_FIELDS);
    p.gpuTick(cols[0]!, cols[1]!, cols[4]!, inletC!, { from: s0, to: s1, gpuBase: g0 });
    for (let s = s0; s < s1; s++) {
      const sv = t.servers[s]!;
      for (let k = sv.gpuStart - g0; k < sv.gpuStart - g0 + sv.gpuCount; k++) {
        if (!Number.isFinite(cols[0]![k]!)) continue;
        gpuW[s]! += cols[0]![k]!;
        gpuN[s]!++;
      }
    }
  }
  const all = p.result(strideMs / 1000);
  const profile = all.racks[rack]!;
  const rowI = rk.row;
  const servers = all.servers.slice(s0, s1).map((sp, k) => ({ id: t.servers[s0 + k]!.id, rise: sp.rise, meanGpuW: gpuN[s0 + k]! ? Math.round(gpuW[s0 + k]! / gpuN[s0 + k]!) : null }));
  return {
    rack: rk.id,
    row: t.rows[rowI]!.id,
    window: windowOf(all),
    profile,
    rowAisle: all.rows[rowI]!.aisle,
    rowPooled: p.rowLine(rowI),
    points,
    servers,
    summary: rackSummary(profile),
    fitMs: Math.round(performance.now() - f0),
  };
}

/** A rack's profile in one sentence for the rack view. */
export function rackSummary(r: RackProfileView['profile']): string {
  if (!r.inlet) return `not enough history to fit rack ${r.rack}'s inlet (needs 30 samples with some spread of power)`;
  const per = `inlet ${r.inlet.b >= 0 ? '+' : '−'}${Math.abs(r.inlet.b * 10).toFixed(2)} °C per 10 kW`;
  const own = r.inlet.from === 'row' ? ` (its power never varied: the row's slope through its own mean, ${per})` : ` (${per}, σ ${r.inlet.sigma.toFixed(2)} °C)`;
  const d = r.hotterThanRowC;
  if (d === null) return `rack ${r.rack}${own}`;
  const rel = Math.abs(d) < 0.25 ? 'runs as warm as its row' : `runs ${Math.abs(d).toFixed(1)} °C ${d > 0 ? 'hotter' : 'cooler'} than its row`;
  return `rack ${r.rack} ${rel} at the same power${own}`;
}
