import { describe, expect, it } from 'vitest';
import { explain, type DB } from '../../../main/store/db.js';
import { openTelemetryDb } from '../../../main/store/telemetryDb.js';
import { beginRun } from '../../../main/store/runs.js';
import { TelemetryWriter } from '../../../main/store/telemetry.js';
import { BUDGET_BEFORE_SQL, EVENTS_SQL, eventWindow, gpuHistory, MAX_EVENTS } from '../../../main/store/history.js';
import type { TickEvent, TickRecord } from '../../../main/core/ports.js';

const GPUS = 8;

function tick(tMs: number, events?: TickEvent[], powerW = 500): TickRecord {
  const f = (v: number) => new Float64Array(GPUS).fill(v);
  return {
    tMs,
    powerW: Float64Array.from({ length: GPUS }, (_, g) => powerW + g),
    tempC: f(60),
    clockMHz: f(1980),
    limitW: f(700),
    util: f(0.9),
    flags: new Uint32Array(GPUS),
    rackW: f(0).subarray(0, 2),
    rackMaxTempC: f(60).subarray(0, 2),
    rowW: f(0).subarray(0, 2),
    rowMaxTempC: f(60).subarray(0, 2),
    siteW: 0,
    ...(events ? { events } : {}),
  };
}

const budget = (row: string, budgetKW: number): TickEvent => ({ kind: 'budget', subject: row, body: { budgetKW } });

function newRun(db: DB): number {
  return beginRun(db, { kind: 'sim', label: 'sim test', topology: { gpuCount: GPUS } as never, meta: {}, startedWallMs: 1 });
}

/** Two runs on one database: run `a` with budgets noted at its first tick and a drill on row B at 100 s. */
function fixture() {
  const db = openTelemetryDb(':memory:');
  const a = newRun(db);
  const w = new TelemetryWriter(db, a, { rows: 2, racks: 2 });
  const ticks: TickRecord[] = [];
  for (let s = 0; s < 200; s++) {
    const t = 1_000_000 + s * 1000;
    const events: TickEvent[] = [];
    if (s === 0) events.push(budget('A', 400), budget('B', 300));
    if (s === 100) events.push({ kind: 'scenario', subject: 'row B', body: { event: { kind: 'powerBudgetLoss' } } }, budget('B', 210));
    if (s === 150) events.push({ kind: 'stage', subject: 'B', body: { stage: 't1' } });
    if (s === 40) events.push(budget('A', 380));
    ticks.push(tick(t, events.length ? events : undefined, 400 + s));
  }
  w.write(ticks);
  // Another run's budgets must never leak into this one's window.
  const b = newRun(db);
  new TelemetryWriter(db, b, { rows: 2, racks: 2 }).write([tick(1_050_000, [budget('A', 1), budget('B', 1)])]);
  return { db, a, b };
}

describe('run history: events and GPU series', () => {
  it('reads events and budgets-before through the events key, never a scan or a sort', () => {
    const db = openTelemetryDb(':memory:');
    const events = explain(db, EVENTS_SQL, [1, 0, 1, 10]).join(' | ');
    expect(events).toMatch(/SEARCH events USING PRIMARY KEY \(run=\? AND t_ms>\? AND t_ms<\?\)/);
    expect(events).not.toMatch(/\bSCAN\b|TEMP B-TREE/);
    const before = explain(db, BUDGET_BEFORE_SQL, [1, 0, 'A']).join(' | ');
    expect(before).toMatch(/SEARCH events USING PRIMARY KEY \(run=\? AND t_ms<\?\)/);
    expect(before).not.toMatch(/\bSCAN\b|TEMP B-TREE/);
    db.close();
  });

  it('answers a window with its events in order and the budget in force at its start for each row', () => {
    const { db, a } = fixture();
    const w = eventWindow(db, a, { fromMs: 1_090_000, toMs: 1_160_000 }, ['A', 'B', 'C']);
    expect(w.events.map((e) => [e.tMs, e.kind, e.subject])).toEqual([
      [1_100_000, 'scenario', 'row B'],
      [1_100_000, 'budget', 'B'],
      [1_150_000, 'stage', 'B'],
    ]);
    expect(w.events[1]!.body).toEqual({ budgetKW: 210 });
    // A changed at 40 s (its latest before the window), B still has its first-tick budget; C never had one.
    expect(w.budgetsBefore.map((e) => [e.subject, e.tMs, e.body.budgetKW])).toEqual([
      ['A', 1_040_000, 380],
      ['B', 1_000_000, 300],
    ]);
    expect(w.truncated).toBe(false);
    // Only budgets; a window opening at the run's first tick holds those budgets itself, none "before".
    const first = eventWindow(db, a, { fromMs: 1_000_000, toMs: 1_300_000, kinds: ['budget'] }, ['A', 'B']);
    expect(first.events.map((e) => `${e.subject}=${String(e.body.budgetKW)}`)).toEqual(['A=400', 'B=300', 'A=380', 'B=210']);
    expect(first.budgetsBefore).toEqual([]);
    db.close();
  });

  it('keeps runs apart', () => {
    const { db, a, b } = fixture();
    const w = eventWindow(db, b, { fromMs: 1_060_000, toMs: 1_200_000 }, ['A', 'B']);
    expect(w.budgetsBefore.map((e) => e.body.budgetKW)).toEqual([1, 1]);
    expect(w.events).toEqual([]);
    expect(eventWindow(db, a, { fromMs: 1_050_000, toMs: 1_050_001 }, []).events).toEqual([]);
    db.close();
  });

  it('bounds an answer, and a kind filter looks past any number of other events', () => {
    const db = openTelemetryDb(':memory:');
    const run = newRun(db);
    const insert = db.prepare('INSERT INTO events (run, t_ms, seq, kind, subject, body) VALUES (?, ?, ?, ?, ?, ?)');
    db.transaction(() => {
      for (let i = 0; i < MAX_EVENTS + 50; i++) insert.run(run, i * 10, i, 'stage', 'A', '{"stage":"t1"}');
      insert.run(run, (MAX_EVENTS + 60) * 10, MAX_EVENTS + 60, 'budget', 'A', '{"budgetKW":123}');
      insert.run(run, (MAX_EVENTS + 61) * 10, MAX_EVENTS + 61, 'budget', 'A', 'not json');
    })();
    const all = eventWindow(db, run, { fromMs: 0, toMs: 1e9 }, []);
    expect(all.events.length).toBe(MAX_EVENTS);
    expect(all.truncated).toBe(true);
    const budgets = eventWindow(db, run, { fromMs: 0, toMs: 1e9, kinds: ['budget'] }, []);
    expect(budgets.events.map((e) => e.body)).toEqual([{ budgetKW: 123 }, {}]);
    expect(budgets.truncated).toBe(false);
    db.close();
  });

  it('reads one GPU over a window from the frames, invalid values as null', () => {
    const { db, a } = fixture();
    const h = gpuHistory(db, a, 3, 1_010_000, 1_013_000);
    expect(h.tMs).toEqual([1_010_000, 1_011_000, 1_012_000]);
    expect(h.powerW).toEqual([413, 414, 415]);
    expect(h.limitW).toEqual([700, 700, 700]);
    expect(h.clockMHz).toEqual([1980, 1980, 1980]);
    const w = new TelemetryWriter(db, a, { rows: 2, racks: 2 });
    const bad = tick(2_000_000);
    bad.powerW[3] = NaN;
    w.write([bad]);
    expect(gpuHistory(db, a, 3, 2_000_000, 2_000_001).powerW).toEqual([null]);
    expect(JSON.parse(JSON.stringify(gpuHistory(db, a, 3, 2_000_000, 2_000_001)))).toMatchObject({ powerW: [null], tempC: [60] });
    db.close();
  });
});
