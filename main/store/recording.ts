import Database from 'better-sqlite3';
import { closeSync, copyFileSync, existsSync, fsyncSync, openSync, renameSync, rmSync, statSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { quickCheck, StoreError, type DB } from './db.js';
import { insertChannels, RUN_TABLES_SQL } from './migrations/telemetry.js';
import { getRun } from './runs.js';
import { decodeFrame, GPU_CHANNEL } from './frames.js';
import type { FrameReader, RecordedColumns } from '../core/source.js';
import { aggregate, createAggregates } from '../core/aggregate.js';
import { indexTopology } from '../core/topology.js';
import { TelemetryWriter } from './telemetry.js';
import type { Topology } from '../../shared/domain/topology.js';
import type { Annotation } from '../../shared/domain/history.js';

/**
 * Incident recordings: one `.headroom` file = one SQLite database (application_id "HRD1", user_version = recording
 * schema) holding one run's window: its topology and metadata (runs), the channels and frames (telemetry), per-run
 * rollups, events, the audit records of the window, and `meta` (site, app version, time range, author, notes,
 * policy, scenario). The tables are telemetry.db's (RUN_TABLES_SQL), so the same read functions serve both.
 * Written atomically: a temporary file next to the target, fsynced, then renamed; a killed save leaves the old
 * file or none, never half of one. Opened read-only: reading never modifies the file.
 */
export const RECORDING_APPLICATION_ID = 0x48524431; // "HRD1"
/** 1: runs, channels, frames, rollups, events, audit, meta. 2: + annotations (notes and bookmarks). */
export const RECORDING_SCHEMA = 2;
/** The run id inside every recording. */
export const RECORDED_RUN = 1;

/** Notes and bookmarks of people analysing the recording (schema 2). */
const ANNOTATIONS_SQL = `
  CREATE TABLE IF NOT EXISTS annotations (
    id INTEGER PRIMARY KEY, kind TEXT NOT NULL, t_ms INTEGER NOT NULL, text TEXT NOT NULL, author TEXT NOT NULL, at_ms INTEGER NOT NULL
  );
`;

const RECORDING_TABLES_SQL = `
  ${RUN_TABLES_SQL}
  ${ANNOTATIONS_SQL}
  -- Facts about the recording (JSON values): site, appVersion, fromMs, toMs, author, notes, policy, scenario, source.
  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  -- The audit records of the window, as control.db holds them (hash chain included, so it can be checked).
  CREATE TABLE audit (
    seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, sim_ms INTEGER NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL,
    kind TEXT NOT NULL, target TEXT NOT NULL, old_value TEXT NOT NULL, new_value TEXT NOT NULL, reason TEXT NOT NULL,
    outcome TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL
  );
`;

export interface RecordOptions {
  /** telemetry.db to read from (opened by the caller). */
  telemetry: DB;
  run: number;
  /** Engine-time window [fromMs, toMs]; default: the whole run. */
  fromMs?: number;
  toMs?: number;
  /** control.db file whose audit records of the window are copied (optional). */
  controlFile?: string | null;
  out: string;
  meta: Record<string, unknown>;
}

export interface RecordingInfo {
  file: string;
  gpus: number;
  rows: number;
  /** Engine time of the first stored instant, epoch seconds. */
  startS: number | null;
  /** From the first to the last stored instant. */
  durationS: number;
  samples: number;
  bytes: number;
  schemaVersion: number;
  source: string;
  meta: Record<string, unknown>;
}

/** Write a recording of `run` over the window to `out`, atomically. Returns what was written. */
export function writeRecording(o: RecordOptions): RecordingInfo {
  const run = getRun(o.telemetry, o.run);
  if (!run) throw new StoreError(`no run ${o.run} in this telemetry database`);
  const fromMs = o.fromMs ?? run.t0Ms ?? 0;
  const toMs = o.toMs ?? run.t1Ms ?? fromMs;
  if (!(toMs >= fromMs)) throw new StoreError(`the window ends (${new Date(toMs).toISOString()}) before it starts (${new Date(fromMs).toISOString()})`);
  const tmp = `${o.out}.partial-${process.pid}`;
  rmSync(tmp, { force: true });
  const db = new Database(tmp);
  try {
    db.pragma('journal_mode = DELETE');
    db.exec(RECORDING_TABLES_SQL);
    insertChannels(db);
    db.pragma(`application_id = ${RECORDING_APPLICATION_ID}`);
    db.pragma(`user_version = ${RECORDING_SCHEMA}`);
    db.prepare('ATTACH DATABASE ? AS src').run(srcFile(o.telemetry));
    db.transaction(() => {
      const w = [o.run, fromMs, toMs];
      db.prepare(
        `INSERT INTO runs (id, kind, label, started_wall_ms, ended_wall_ms, t0_ms, t1_ms, ticks, samples, dropped_ticks, gpus, topology, meta)
         SELECT ${RECORDED_RUN}, kind, label, started_wall_ms, ended_wall_ms, NULL, NULL, 0, 0, dropped_ticks, gpus, topology, meta FROM src.runs WHERE id = ?`,
      ).run(o.run);
      db.prepare(`INSERT INTO frames SELECT ${RECORDED_RUN}, channel, t_ms, data FROM src.frames WHERE run = ? AND t_ms BETWEEN ? AND ?`).run(...w);
      db.prepare(`INSERT INTO events SELECT ${RECORDED_RUN}, t_ms, seq, kind, subject, body FROM src.events WHERE run = ? AND t_ms <= ?`).run(o.run, toMs);
      // Rollups whose bins lie wholly inside the window are copied; the window's partial first and last bins are
      // rebuilt from the frames copied (below): a bin the run went on filling after `toMs` would otherwise average
      // ticks the recording does not hold.
      db.prepare(`INSERT INTO run_rollups SELECT ${RECORDED_RUN}, scope, res_s, t_ms, n, avg_w, max_w, max_temp_c FROM src.run_rollups WHERE run = ? AND t_ms >= ? AND t_ms + res_s * 1000 <= ? + 1`).run(...w);
      rollUpEdges(db, run.topology, fromMs, toMs);
      const span = db.prepare('SELECT min(t_ms) AS t0, max(t_ms) AS t1, count(*) AS ticks FROM frames WHERE channel = ?').get(GPU_CHANNEL.id) as { t0: number | null; t1: number | null; ticks: number };
      db.prepare('UPDATE runs SET t0_ms = ?, t1_ms = ?, ticks = ?, samples = ? * gpus').run(span.t0, span.t1, span.ticks, span.ticks);
      const meta = { ...o.meta, fromMs, toMs, source: run.kind, recordedAt: new Date().toISOString() };
      const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?)');
      for (const [k, v] of Object.entries(meta)) put.run(k, JSON.stringify(v ?? null));
    })();
    db.exec('DETACH DATABASE src');
    if (o.controlFile) {
      db.prepare('ATTACH DATABASE ? AS ctl').run(o.controlFile);
      const has = db.prepare("SELECT 1 FROM ctl.sqlite_schema WHERE type = 'table' AND name = 'audit'").get();
      // The window on the run's clock, and within the run's own wall-clock span: every simulator run starts at the
      // same engine time, so engine time alone would also pick other runs' records.
      if (has) db.prepare('INSERT INTO audit SELECT * FROM ctl.audit WHERE sim_ms BETWEEN ? AND ? AND at_ms BETWEEN ? AND ?').run(fromMs, toMs, run.startedWallMs, run.endedWallMs ?? Date.now());
      db.exec('DETACH DATABASE ctl');
    }
    db.close();
    fsyncFile(tmp);
    renameSync(tmp, o.out);
    fsyncFile(dirname(o.out));
  } catch (e) {
    if (db.open) db.close();
    rmSync(tmp, { force: true });
    throw e;
  }
  return recordingInfo(o.out);
}

/** Widest rollup bin (ms): the edges rebuilt from frames are the partial bins of this width at both ends. */
const EDGE_MS = 60_000;

/**
 * Rebuild the rollups of the window's partial bins at both ends from the recording's own frames (aggregated as the
 * engine does, core/aggregate), so every rollup in a recording averages exactly the ticks it holds.
 */
function rollUpEdges(db: DB, topology: Topology, fromMs: number, toMs: number): void {
  const headEnd = Math.min(toMs + 1, Math.ceil((fromMs + 1) / EDGE_MS) * EDGE_MS);
  const tailStart = Math.max(headEnd, Math.floor(toMs / EDGE_MS) * EDGE_MS);
  const writer = new TelemetryWriter(db, RECORDED_RUN, { rows: topology.rows.length, racks: topology.racks.length });
  const idx = indexTopology(topology);
  const agg = createAggregates(topology);
  const frames = db.prepare('SELECT t_ms, data FROM frames WHERE run = ? AND channel = ? AND t_ms >= ? AND t_ms < ? ORDER BY t_ms');
  for (const [a, b] of [
    [fromMs, headEnd],
    [tailStart, toMs + 1],
  ] as const) {
    // All read first (at most one bin's frames): the writer flushes a bucket while the next one starts.
    for (const r of frames.all(RECORDED_RUN, GPU_CHANNEL.id, a, b) as Array<{ t_ms: number; data: Uint8Array }>) {
      const [powerW, tempC, , , util, flags] = decodeFrame(GPU_CHANNEL, r.data);
      const counted = { powerW: powerW!.map((x) => (Number.isFinite(x) ? x : 0)), util: util!.map((x) => (Number.isFinite(x) ? x : 0)), tempC: tempC!, flags: Uint32Array.from(flags!) };
      aggregate(topology, idx, counted, agg);
      writer.rollUp({ tMs: r.t_ms, rackW: agg.rackW, rackMaxTempC: agg.rackMaxTempC, rowW: agg.rowW, rowMaxTempC: agg.rowMaxTempC, siteW: agg.siteW });
    }
  }
  writer.flush();
}

function srcFile(db: DB): string {
  const f = db.name;
  if (!f || f === ':memory:') throw new StoreError('recordings are made from a telemetry database file, not from memory');
  return f;
}

function fsyncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * Open a recording read-only, refusing with one line what is not one: not SQLite, another application's database,
 * a newer schema than this build reads, damaged. Never creates, migrates or writes.
 */
export function openRecording(file: string): DB {
  const name = basename(file);
  let db: DB;
  try {
    db = new Database(file, { readonly: true, fileMustExist: true });
  } catch (e) {
    throw new StoreError(`${name}: cannot open: ${(e as Error).message}`);
  }
  try {
    let appId: unknown;
    try {
      appId = db.pragma('application_id', { simple: true });
    } catch (e) {
      throw new StoreError(`${name}: not a Headroom recording (${(e as Error).message})`);
    }
    if (appId !== RECORDING_APPLICATION_ID) throw new StoreError(`${name}: not a Headroom recording (application_id ${String(appId)})`);
    const v = db.pragma('user_version', { simple: true }) as number;
    if (v > RECORDING_SCHEMA) throw new StoreError(`${name}: recording schema ${v} is newer than this Headroom reads (${RECORDING_SCHEMA}); update Headroom`);
    if (v < 1) throw new StoreError(`${name}: recording schema ${v} is incomplete (an interrupted save?)`);
    const problems = quickCheck(db);
    if (problems) throw new StoreError(`${name}: damaged (${problems})`);
    return db;
  } catch (e) {
    db.close();
    throw e instanceof StoreError ? e : new StoreError(`${name}: ${(e as Error).message}`);
  }
}

/** What a recording holds (`headroom recording info`). */
export function recordingInfo(file: string): RecordingInfo {
  const db = openRecording(file);
  try {
    const run = getRun(db, RECORDED_RUN);
    if (!run) throw new StoreError(`${basename(file)}: holds no run`);
    const meta = recordingMeta(db);
    return {
      file,
      gpus: run.gpus,
      rows: run.topology.rows?.length ?? 0,
      startS: run.t0Ms === null ? null : run.t0Ms / 1000,
      durationS: run.t0Ms === null || run.t1Ms === null ? 0 : (run.t1Ms - run.t0Ms) / 1000,
      samples: run.samples,
      bytes: statSync(file).size,
      schemaVersion: db.pragma('user_version', { simple: true }) as number,
      source: run.kind,
      meta,
    };
  } finally {
    db.close();
  }
}

/** The recording's `meta` table (site, app version, window, author, notes, policy …), values parsed. */
export function recordingMeta(db: DB): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const r of db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>) {
    try {
      out[r.key] = JSON.parse(r.value) as unknown;
    } catch {
      out[r.key] = r.value;
    }
  }
  return out;
}

/** Every event a recording holds (its window, plus the run's earlier events that say what was in force), oldest first. */
export function recordedEvents(db: DB): Array<{ tMs: number; kind: string; subject: string; body: Record<string, unknown> }> {
  const rows = db.prepare('SELECT t_ms, kind, subject, body FROM events WHERE run = ? ORDER BY t_ms, seq').all(RECORDED_RUN) as Array<{ t_ms: number; kind: string; subject: string; body: string }>;
  return rows.map((r) => {
    let body: Record<string, unknown> = {};
    try {
      const v: unknown = JSON.parse(r.body);
      if (v && typeof v === 'object' && !Array.isArray(v)) body = v as Record<string, unknown>;
    } catch {
      // A body that is not JSON reads as empty.
    }
    return { tMs: r.t_ms, kind: r.kind, subject: r.subject, body };
  });
}

/** The GPU frame a recording stored at exactly tMs, decoded, or null where none was stored. */
export function recordedFrameAt(db: DB, tMs: number): RecordedColumns | null {
  const r = db.prepare('SELECT data FROM frames WHERE run = ? AND channel = ? AND t_ms = ?').get(RECORDED_RUN, GPU_CHANNEL.id, tMs) as { data: Uint8Array } | undefined;
  if (!r) return null;
  const [powerW, tempC, clockMHz, limitW, util, flags] = decodeFrame(GPU_CHANNEL, r.data);
  return { powerW: powerW!, tempC: tempC!, clockMHz: clockMHz!, limitW: limitW!, util: util!, flags: flags! };
}

/** A recording's frames and budgets as the FrameReader port (playback in the console). Reads only. */
export function recordingFrameReader(db: DB): FrameReader {
  const run = getRun(db, RECORDED_RUN);
  if (!run) throw new StoreError(`${basename(db.name)}: holds no run`);
  if (run.t0Ms === null || run.t1Ms === null) throw new StoreError(`${basename(db.name)}: holds no frames`);
  const rows = run.topology.rows;
  const index = new Map(rows.map((r, i) => [r.id, i]));
  // Budget steps per row, oldest first: the budget in force at t is the last one at or before t.
  const steps = rows.map(() => [] as Array<{ tMs: number; kW: number }>);
  for (const e of recordedEvents(db)) {
    const i = index.get(e.subject);
    if (e.kind === 'budget' && i !== undefined && typeof e.body.budgetKW === 'number') steps[i]!.push({ tMs: e.tMs, kW: e.body.budgetKW });
  }
  return {
    t0Ms: run.t0Ms,
    t1Ms: run.t1Ms,
    frameAt: (tMs) => recordedFrameAt(db, tMs),
    budgetsAt: (tMs) =>
      Float64Array.from(rows, (r, i) => {
        let kW = r.budgetKW;
        for (const s of steps[i]!) {
          if (s.tMs > tMs) break;
          kW = s.kW;
        }
        return kW;
      }),
  };
}

/** A recording's notes and bookmarks, by time (none in a schema-1 file). */
export function recordingAnnotations(db: DB): Annotation[] {
  const has = db.prepare("SELECT 1 FROM sqlite_schema WHERE type = 'table' AND name = 'annotations'").get();
  if (!has) return [];
  return (db.prepare('SELECT id, kind, t_ms, text, author, at_ms FROM annotations ORDER BY t_ms, id').all() as Array<{ id: number; kind: string; t_ms: number; text: string; author: string; at_ms: number }>).map((r) => ({
    id: r.id,
    kind: r.kind === 'bookmark' ? 'bookmark' : 'note',
    tMs: r.t_ms,
    text: r.text,
    author: r.author,
    atMs: r.at_ms,
  }));
}

const NOTES_SUFFIX = ' (notes).headroom';

/**
 * Where notes on `file` go: opening a recording never modifies it, so notes and bookmarks are written into a copy
 * next to it, "<name> (notes).headroom" — or into the file itself when it is that copy.
 */
export function notesCopyPath(file: string): string {
  if (file.endsWith(NOTES_SUFFIX)) return file;
  return join(dirname(file), `${basename(file).replace(/\.headroom$/, '')}${NOTES_SUFFIX}`);
}

/**
 * Add a note or bookmark to the notes copy of `file` (made atomically from the original the first time: a copy to a
 * temporary file, fsynced, renamed), migrating that copy to the current schema. Returns the copy's path and the note.
 */
export function addAnnotation(file: string, a: Omit<Annotation, 'id'>): { copy: string; annotation: Annotation } {
  const copy = notesCopyPath(file);
  if (!existsSync(copy)) {
    const tmp = `${copy}.partial-${process.pid}`;
    try {
      copyFileSync(file, tmp);
      fsyncFile(tmp);
      renameSync(tmp, copy);
      fsyncFile(dirname(copy));
    } catch (e) {
      rmSync(tmp, { force: true });
      throw new StoreError(`cannot write the notes copy ${basename(copy)}: ${(e as Error).message}`);
    }
  }
  // Checked like any recording before it is written to.
  openRecording(copy).close();
  const db = new Database(copy, { fileMustExist: true });
  try {
    db.pragma('journal_mode = DELETE');
    const id = db.transaction(() => {
      db.exec(ANNOTATIONS_SQL);
      if ((db.pragma('user_version', { simple: true }) as number) < RECORDING_SCHEMA) db.pragma(`user_version = ${RECORDING_SCHEMA}`);
      return Number(db.prepare('INSERT INTO annotations (kind, t_ms, text, author, at_ms) VALUES (?, ?, ?, ?, ?)').run(a.kind, a.tMs, a.text, a.author, a.atMs).lastInsertRowid);
    })();
    return { copy, annotation: { id, ...a } };
  } finally {
    db.close();
  }
}

/** The notes of a recording: its own, and those of its notes copy when one exists beside it. */
export function annotationsOf(file: string, db: DB): { copy: string | null; items: Annotation[] } {
  const own = recordingAnnotations(db);
  const copy = notesCopyPath(file);
  if (copy === file || !existsSync(copy)) return { copy: copy === file ? copy : null, items: own };
  const c = openRecording(copy);
  try {
    return { copy, items: recordingAnnotations(c) };
  } finally {
    c.close();
  }
}
