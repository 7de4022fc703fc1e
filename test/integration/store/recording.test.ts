import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { addAnnotation, annotationsOf, notesCopyPath, openRecording, RECORDED_RUN, recordingAnnotations, recordingInfo, writeRecording } from '../../../main/store/recording.js';
import { createHash } from 'node:crypto';
import { beginRun, endRun } from '../../../main/store/runs.js';
import { gpuSeries, queryRange, TelemetryWriter } from '../../../main/store/telemetry.js';
import { aggregate, createAggregates } from '../../../main/core/aggregate.js';
import { indexTopology, resolveTopology } from '../../../main/core/topology.js';
import { openTelemetryDb } from '../../../main/store/telemetryDb.js';
import type { TickRecord } from '../../../main/core/ports.js';
import { tempDir } from '../../helpers.js';

/** store/recording.ts directly: read-only open, refusals, the audit window, a failed save leaving nothing. */
const tmps: Array<ReturnType<typeof tempDir>> = [];
afterEach(() => tmps.splice(0).forEach((t) => t.cleanup()));

/** One row, one rack, one server of 8 GPUs: what the rollups a recording rebuilds aggregate over. */
const TOPO = resolveTopology({
  site: { id: 't', name: 'test' },
  gpuModels: [],
  rows: [{ id: 'A', budgetKW: 100, coolingKW: 100, supplyC: 22, racks: 1, serversPerRack: 1, gpusPerServer: 8, gpuModel: 'H100-SXM', serverIdleW: 1500, serverActiveW: 2000 }],
});

/** A tick whose GPUs draw 400 W + 1 W per second of the run (every tick differs), aggregated as the engine does. */
function tick(tMs: number): TickRecord {
  const f = (v: number) => new Float64Array(TOPO.gpuCount).fill(v);
  const gpu = { powerW: f(400 + tMs / 1000), tempC: f(60), clockMHz: f(1980), limitW: f(700), util: f(0.5), flags: new Uint32Array(TOPO.gpuCount) };
  const agg = createAggregates(TOPO);
  aggregate(TOPO, indexTopology(TOPO), gpu, agg);
  return { tMs, ...gpu, rackW: agg.rackW, rackMaxTempC: agg.rackMaxTempC, rowW: agg.rowW, rowMaxTempC: agg.rowMaxTempC, siteW: agg.siteW };
}

/** A telemetry.db with one run of `ticks` ticks (t = 0, 1000, …) of 8 GPUs, and a control.db with audit records. */
function setup(ticks = 60) {
  const t = tempDir();
  tmps.push(t);
  const db = openTelemetryDb(t.file('telemetry.db'));
  const run = beginRun(db, { kind: 'sim', label: 'sim test', topology: TOPO, meta: {}, startedWallMs: 1 });
  const w = new TelemetryWriter(db, run, { rows: 1, racks: 1 });
  w.write(Array.from({ length: ticks }, (_, i) => tick(i * 1000)));
  w.flush();
  const control = t.file('control.db');
  const c = new Database(control);
  c.exec('CREATE TABLE audit (seq INTEGER PRIMARY KEY, at_ms INTEGER NOT NULL, sim_ms INTEGER NOT NULL, actor TEXT NOT NULL, role TEXT NOT NULL, kind TEXT NOT NULL, target TEXT NOT NULL, old_value TEXT NOT NULL, new_value TEXT NOT NULL, reason TEXT NOT NULL, outcome TEXT NOT NULL, prev_hash TEXT NOT NULL, hash TEXT NOT NULL)');
  const ins = c.prepare("INSERT INTO audit (at_ms, sim_ms, actor, role, kind, target, old_value, new_value, reason, outcome, prev_hash, hash) VALUES (?, ?, 'ana', 'operator', 'brake', 'row A', '', '', ?, 'ok', '', '')");
  for (const s of [5_000, 20_000, 40_000, 59_000]) ins.run(s, s, `at ${s}`);
  c.close();
  return { t, db, run, control };
}

describe('recordings (store/recording.ts)', () => {
  it("copies only its own run's audit records, though another run used the same engine times", () => {
    const { t, db, run, control } = setup();
    endRun(db, run, 90_000);
    // A second simulator run later on the same control.db: the same engine times (every sim starts at one instant).
    const c = new Database(control);
    c.prepare("INSERT INTO audit (at_ms, sim_ms, actor, role, kind, target, old_value, new_value, reason, outcome, prev_hash, hash) VALUES (150000, 20000, 'bo', 'operator', 'brake', 'row A', '', '', 'second run', 'ok', '', '')").run();
    c.close();
    const out = t.file('own.headroom');
    writeRecording({ telemetry: db, run, controlFile: control, out, meta: {} });
    db.close();
    const r = openRecording(out);
    try {
      expect(r.prepare('SELECT reason FROM audit ORDER BY seq').pluck().all()).toEqual(['at 5000', 'at 20000', 'at 40000', 'at 59000']);
    } finally {
      r.close();
    }
  });

  it('copies the window: frames of [from, to] and only the audit records inside it', () => {
    const { t, db, run, control } = setup();
    const out = t.file('w.headroom');
    const info = writeRecording({ telemetry: db, run, fromMs: 10_000, toMs: 45_000, controlFile: control, out, meta: { author: 'ana' } });
    db.close();
    expect(info).toMatchObject({ gpus: 8, samples: 36 * 8, durationS: 35, startS: 10 });
    const r = openRecording(out);
    try {
      expect(r.prepare('SELECT reason FROM audit ORDER BY seq').pluck().all()).toEqual(['at 20000', 'at 40000']);
      expect(gpuSeries(r, RECORDED_RUN, 3, 0, 100_000).powerW).toEqual(Array.from({ length: 36 }, (_, i) => 410 + i));
    } finally {
      r.close();
    }
  });

  it("averages in each rollup only the ticks the recording holds: the window's partial first and last bins are rebuilt", () => {
    // The run goes on to 99 s, so its bins [10, 20), [70, 80), [0, 60) and [60, 120) hold ticks outside [15, 77].
    const { t, db, run } = setup(100);
    const out = t.file('edges.headroom');
    writeRecording({ telemetry: db, run, fromMs: 15_000, toMs: 77_000, out, meta: {} });
    db.close();
    const rowKW = (s: number) => tick(s * 1000).rowW[0]! / 1000;
    const mean = (a: number, b: number) => Array.from({ length: b - a + 1 }, (_, i) => rowKW(a + i)).reduce((x, y) => x + y) / (b - a + 1);
    const r = openRecording(out);
    try {
      const at10 = queryRange(r, RECORDED_RUN, { scope: 'row', fromMs: 15_000, toMs: 77_001, resS: 10 }, ['A']);
      expect(at10.tMs).toEqual([10_000, 20_000, 30_000, 40_000, 50_000, 60_000, 70_000]);
      const want10 = [mean(15, 19), mean(20, 29), mean(30, 39), mean(40, 49), mean(50, 59), mean(60, 69), mean(70, 77)];
      at10.avgKW[0]!.forEach((v, i) => expect(v).toBeCloseTo(want10[i]!, 2));
      const at60 = queryRange(r, RECORDED_RUN, { scope: 'row', fromMs: 15_000, toMs: 77_001, resS: 60 }, ['A']);
      expect(at60.tMs).toEqual([0, 60_000]);
      [mean(15, 59), mean(60, 77)].forEach((m, i) => expect(at60.avgKW[0]![i]).toBeCloseTo(m, 2));
      expect(r.prepare('SELECT res_s, t_ms, n FROM run_rollups WHERE scope = 1 ORDER BY res_s, t_ms').raw().all()).toEqual([
        [10, 10_000, 5], [10, 20_000, 10], [10, 30_000, 10], [10, 40_000, 10], [10, 50_000, 10], [10, 60_000, 10], [10, 70_000, 8], [60, 0, 45], [60, 60_000, 18],
      ]);
    } finally {
      r.close();
    }
  });

  it('opens a recording read-only: a write through the handle is refused and the file keeps its bytes', () => {
    const { t, db, run } = setup(5);
    const out = t.file('r.headroom');
    writeRecording({ telemetry: db, run, out, meta: {} });
    db.close();
    const bytes = readFileSync(out);
    const r = openRecording(out);
    try {
      expect(r.readonly).toBe(true);
      expect(() => r.exec("INSERT INTO meta (key, value) VALUES ('x', '1')")).toThrow(/readonly/);
    } finally {
      r.close();
    }
    expect(readFileSync(out).equals(bytes)).toBe(true);
  });

  it('refuses an incomplete recording (schema 0) and a damaged one', () => {
    const { t, db, run } = setup(200);
    const out = t.file('r.headroom');
    writeRecording({ telemetry: db, run, out, meta: {} });
    db.close();
    const incomplete = t.file('incomplete.headroom');
    writeFileSync(incomplete, readFileSync(out));
    const d = new Database(incomplete);
    d.pragma('user_version = 0');
    d.close();
    expect(() => recordingInfo(incomplete)).toThrow(/^incomplete\.headroom: recording schema 0 is incomplete/);
    const damaged = t.file('damaged.headroom');
    const bytes = Buffer.from(readFileSync(out));
    const page = 4096;
    for (let p = 1; p < bytes.length / page; p++) bytes.fill(0x5a, p * page + 8, p * page + 64); // every page but the header's
    writeFileSync(damaged, bytes);
    let message = '';
    try {
      recordingInfo(damaged);
    } catch (e) {
      message = (e as Error).message;
    }
    // Refused by the integrity check, before anything is read, in one line (quick_check lists many problems).
    expect(message).toMatch(/^damaged\.headroom: damaged \(/);
    expect(message.split('\n')).toHaveLength(1);
  });

  it('a save that fails leaves no temporary file, and the previous recording at the target as it was', () => {
    const { t, db, run } = setup(5);
    const notSqlite = t.file('control.txt');
    writeFileSync(notSqlite, 'not a database '.repeat(400));
    const out = t.file('f.headroom');
    expect(() => writeRecording({ telemetry: db, run, out, controlFile: notSqlite, meta: {} })).toThrow();
    expect(existsSync(out)).toBe(false);
    writeRecording({ telemetry: db, run, out, meta: { notes: 'first save' } });
    const before = readFileSync(out);
    expect(() => writeRecording({ telemetry: db, run, out, controlFile: notSqlite, meta: { notes: 'second save' } })).toThrow();
    db.close();
    expect(readFileSync(out).equals(before)).toBe(true);
    expect(recordingInfo(out).meta).toMatchObject({ notes: 'first save' });
    expect(readdirSync(t.dir).filter((f) => f.includes('.partial-'))).toEqual([]);
  });

  it('notes and bookmarks go into a copy beside the recording, never into it; a schema-1 recording opens and its copy migrates', () => {
    const { t, db, run } = setup();
    const out = t.file('n.headroom');
    writeRecording({ telemetry: db, run, out, meta: {} });
    db.close();
    // Made as a schema-1 file (before annotations existed): no annotations table, user_version 1.
    const old = new Database(out);
    old.exec('DROP TABLE annotations');
    old.pragma('user_version = 1');
    old.close();
    const sha = () => createHash('sha256').update(readFileSync(out)).digest('hex');
    const before = sha();
    const r = openRecording(out);
    expect(recordingAnnotations(r)).toEqual([]);
    expect(annotationsOf(out, r)).toEqual({ copy: null, items: [] });
    const a = addAnnotation(out, { kind: 'bookmark', tMs: 20_000, text: '', author: 'ana', atMs: 1 });
    const b = addAnnotation(out, { kind: 'note', tMs: 10_000, text: 'fans ramp here', author: 'bo', atMs: 2 });
    expect(a.copy).toBe(t.file('n (notes).headroom'));
    expect(b.copy).toBe(a.copy);
    expect(sha()).toBe(before);
    // Opening the original shows the notes of its copy, by time.
    expect(annotationsOf(out, r).items.map((x) => [x.kind, x.tMs, x.text, x.author])).toEqual([
      ['note', 10_000, 'fans ramp here', 'bo'],
      ['bookmark', 20_000, '', 'ana'],
    ]);
    r.close();
    expect(recordingInfo(a.copy).schemaVersion).toBe(2);
    // The copy is a recording of its own; notes on it go into it.
    expect(notesCopyPath(a.copy)).toBe(a.copy);
    addAnnotation(a.copy, { kind: 'note', tMs: 30_000, text: 'third', author: 'cy', atMs: 3 });
    const c = openRecording(a.copy);
    expect(recordingAnnotations(c)).toHaveLength(3);
    c.close();
    expect(sha()).toBe(before);
  });
});
