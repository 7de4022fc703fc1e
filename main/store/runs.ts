import type { Topology } from '../../shared/domain/topology.js';
import type { DB } from './db.js';

/** Runs in telemetry.db (table runs, migration 2): every run's identity and its own time line. Database first. */

export type RunKind = 'sim' | 'fleet';

export interface RunStart {
  kind: RunKind;
  /** "sim default", "fleet inventory.yaml". */
  label: string;
  topology: Topology;
  /** JSON-able facts about the run: scenario, seed, policy, pid, host, app version … */
  meta: Record<string, unknown>;
  startedWallMs: number;
}

export interface RunInfo {
  id: number;
  kind: RunKind | 'legacy';
  label: string;
  startedWallMs: number;
  endedWallMs: number | null;
  /** Engine time of the first and last stored tick (null: none yet). */
  t0Ms: number | null;
  t1Ms: number | null;
  ticks: number;
  samples: number;
  droppedTicks: number;
  gpus: number;
}

interface RunRow {
  id: number;
  kind: RunKind | 'legacy';
  label: string;
  started_wall_ms: number;
  ended_wall_ms: number | null;
  t0_ms: number | null;
  t1_ms: number | null;
  ticks: number;
  samples: number;
  dropped_ticks: number;
  gpus: number;
}

const toInfo = (r: RunRow): RunInfo => ({
  id: r.id,
  kind: r.kind,
  label: r.label,
  startedWallMs: r.started_wall_ms,
  endedWallMs: r.ended_wall_ms,
  t0Ms: r.t0_ms,
  t1Ms: r.t1_ms,
  ticks: r.ticks,
  samples: r.samples,
  droppedTicks: r.dropped_ticks,
  gpus: r.gpus,
});

/**
 * A new run; returns its id. Its data never shares keys with another run's. Runs left open by a process that died
 * (kill -9, power loss: no clean close) are ended now, so retention prunes them like any other.
 */
export function beginRun(db: DB, r: RunStart): number {
  return db.transaction(() => {
    db.prepare('UPDATE runs SET ended_wall_ms = CAST(? AS INTEGER) WHERE ended_wall_ms IS NULL').run(r.startedWallMs);
    const res = db
      .prepare('INSERT INTO runs (kind, label, started_wall_ms, gpus, topology, meta) VALUES (?, ?, CAST(? AS INTEGER), CAST(? AS INTEGER), ?, ?)')
      .run(r.kind, r.label, r.startedWallMs, r.topology.gpuCount, JSON.stringify(r.topology), JSON.stringify(r.meta));
    return Number(res.lastInsertRowid);
  })();
}

/** Count what one write transaction stored (called inside it). */
export function countTicks(db: DB, run: number, ticks: number, samples: number, firstMs: number, lastMs: number): void {
  db.prepare(
    'UPDATE runs SET ticks = ticks + ?, samples = samples + ?, t0_ms = coalesce(t0_ms, CAST(? AS INTEGER)), t1_ms = CAST(? AS INTEGER) WHERE id = ?',
  ).run(ticks, samples, firstMs, lastMs, run);
}

/** The store dropped ticks (a lagging writer on a real fleet): counted on the run, never silently. */
export function countDropped(db: DB, run: number, ticks: number): void {
  if (ticks > 0) db.prepare('UPDATE runs SET dropped_ticks = dropped_ticks + ? WHERE id = ?').run(ticks, run);
}

export function endRun(db: DB, run: number, wallMs: number): void {
  db.prepare('UPDATE runs SET ended_wall_ms = CAST(? AS INTEGER) WHERE id = ?').run(wallMs, run);
}

export function listRuns(db: DB): RunInfo[] {
  return (db.prepare('SELECT id, kind, label, started_wall_ms, ended_wall_ms, t0_ms, t1_ms, ticks, samples, dropped_ticks, gpus FROM runs ORDER BY id').all() as RunRow[]).map(toInfo);
}

export function getRun(db: DB, id: number): (RunInfo & { topology: Topology; meta: Record<string, unknown> }) | null {
  const r = db.prepare('SELECT * FROM runs WHERE id = ?').get(id) as (RunRow & { topology: string; meta: string }) | undefined;
  return r ? { ...toInfo(r), topology: JSON.parse(r.topology) as Topology, meta: JSON.parse(r.meta) as Record<string, unknown> } : null;
}

/** What a telemetry.db holds (`headroom history info`). `bytes`: the database files on disk (with WAL). */
export interface HistoryInfo {
  runs: Array<{ id: number; kind: RunInfo['kind']; label: string; scenario: string | null; start: string | null; end: string | null; samples: number; droppedTicks: number }>;
  samples: number;
  bytes: number;
  bytesPerGpuSample: number | null;
  droppedTicks: number;
}

export function historyInfo(db: DB, bytes: number): HistoryInfo {
  const runs = listRuns(db);
  const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
  const samples = runs.reduce((s, r) => s + r.samples, 0);
  return {
    runs: runs.map((r) => ({ id: r.id, kind: r.kind, label: r.label, scenario: scenarioOf(db, r.id), start: iso(r.t0Ms), end: iso(r.t1Ms), samples: r.samples, droppedTicks: r.droppedTicks })),
    samples,
    bytes,
    bytesPerGpuSample: samples > 0 ? Math.round((bytes / samples) * 100) / 100 : null,
    droppedTicks: runs.reduce((s, r) => s + r.droppedTicks, 0),
  };
}

/** The scenario a run simulated (from its meta), or null for a real fleet. */
function scenarioOf(db: DB, run: number): string | null {
  const meta = getRun(db, run)?.meta;
  return typeof meta?.scenario === 'string' ? meta.scenario : null;
}
