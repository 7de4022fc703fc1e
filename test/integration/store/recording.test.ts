import Database from 'better-sqlite3';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { addAnnotation, annotationsOf, notesCopyPath, openRecording, RECORDED_RUN, recordingAnnotations, recordingInfo, writeRecording } from '../../../main/store/recording.js';
import { createHash } from 'node:crypto';
import { beginRun, endRun } from '../../../main/store/runs.js';
import { gpuSeries, TelemetryWriter } from '../../../main/store/telemetry.js';
import { openTelemetryDb } from '../../../main/store/telemetryDb.js';
import type { TickRecord } from '../../../main/core/ports.js';
import { tempDir } from '../../helpers.js';

/** store/recording.ts directly: read-only open, refusals, the audit window, a failed save leaving nothing. */
const tmps: Array<ReturnType<typeof tempDir>> = [];
afterEach(() => tmps.splice(0).forEach((t) => t.cleanup()));

function tick(tMs: number, gpus: number): TickRecord {
  const f = (v: number) => new Float64Array(gpus).fill(v);
  return { tMs, powerW: f(400 + tMs / 1000), tempC: f(60), clockMHz: f(1980), limitW: f(700), util: f(0.5), flags: new Uint32Array(gpus), rackW: f(0).subarray(0, 1), rackMaxTempC: new Float64Array(1).fill(60), rowW: new Float64Array(1), rowMaxTempC: new Float64Array(1).fill(60), siteW: 0 };
}

/** A telemetry.db with one run of `ticks` ticks (t = 0, 1000, …) of 8 GPUs, and a control.db with audit records. */
function setup(ticks = 60) {
  const t = tempDir();
  tmps.push(t);
  const db = openTelemetryDb(t.file('telemetry.db'));
  const run = beginRun(db, { kind: 'sim', label: 'sim test', topology: { gpuCount: 8 } as never, meta: {}, startedWallMs: 1 });
  const w = new TelemetryWriter(db, run, { rows: 1, racks: 1 });
  w.write(Array.from({ length: ticks }, (_, i) => tick(i * 1000, 8)));
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
