import type { DB, Migration } from '../db.js';
import { CHANNELS, encodeFrame, GPU_CHANNEL, type ChannelSpec } from '../frames.js';

/**
 * Runs, channels, frames, events and per-run rollups: telemetry.db since version 2, and the body of every recording
 * (store/recording.ts), so both read through the same functions. Released: never edit, add a migration instead.
 */
export const RUN_TABLES_SQL = `
        -- Every run (a simulator run, or a console watching a real fleet) has an identity and its own time line:
        -- nothing of one run overwrites another's. t0/t1: engine time of the first and last tick stored.
        CREATE TABLE runs (
          id INTEGER PRIMARY KEY,
          kind TEXT NOT NULL CHECK (kind IN ('sim', 'fleet', 'legacy')),
          label TEXT NOT NULL,
          started_wall_ms INTEGER NOT NULL,
          ended_wall_ms INTEGER,
          t0_ms INTEGER,
          t1_ms INTEGER,
          ticks INTEGER NOT NULL DEFAULT 0,
          samples INTEGER NOT NULL DEFAULT 0,
          dropped_ticks INTEGER NOT NULL DEFAULT 0,
          gpus INTEGER NOT NULL,
          topology TEXT NOT NULL,
          meta TEXT NOT NULL
        );
        -- The named channels frames are written in, with their schema (fields, units, quanta): self-describing.
        CREATE TABLE channels (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, schema TEXT NOT NULL);
        -- One compressed columnar frame per run, channel and instant (see store/frames.ts).
        CREATE TABLE frames (
          run INTEGER NOT NULL,
          channel INTEGER NOT NULL,
          t_ms INTEGER NOT NULL,
          data BLOB NOT NULL,
          PRIMARY KEY (run, channel, t_ms)
        ) WITHOUT ROWID;
        -- What changed and when: budgets, controller stages and brakes, overrides, scenario events, gaps. body = JSON.
        CREATE TABLE events (
          run INTEGER NOT NULL,
          t_ms INTEGER NOT NULL,
          seq INTEGER NOT NULL,
          kind TEXT NOT NULL,
          subject TEXT NOT NULL,
          body TEXT NOT NULL,
          PRIMARY KEY (run, t_ms, seq)
        ) WITHOUT ROWID;
        CREATE TABLE run_rollups (
          run INTEGER NOT NULL,
          scope INTEGER NOT NULL,
          res_s INTEGER NOT NULL,
          t_ms INTEGER NOT NULL,
          n INTEGER NOT NULL,
          avg_w BLOB NOT NULL,
          max_w BLOB NOT NULL,
          max_temp_c BLOB NOT NULL,
          PRIMARY KEY (run, scope, res_s, t_ms)
        ) WITHOUT ROWID;
`;

/**
 * Numbered, append-only migrations of telemetry.db. Never edit a released migration; add a new one. Each is tested on
 * a database at the previous version (test/integration/store/migrations.test.ts).
 */
export const TELEMETRY_MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'samples and rollups',
    up: (db) => {
      // Raw per-GPU samples. Keyed by (t_ms, gpu) so each tick appends at the end of the B-tree; retention
      // deletes a prefix. Units: W, °C, MHz, utilisation 0..1; flags = clock-event bits | Headroom flags.
      db.exec(`
        CREATE TABLE samples (
          t_ms INTEGER NOT NULL,
          gpu INTEGER NOT NULL,
          power_w REAL NOT NULL,
          temp_c REAL NOT NULL,
          clock_mhz REAL NOT NULL,
          limit_w REAL NOT NULL,
          util REAL NOT NULL,
          flags INTEGER NOT NULL,
          PRIMARY KEY (t_ms, gpu)
        ) WITHOUT ROWID;
        -- Downsampled power/heat per site (scope 0), row (1) and rack (2), kept at ingest. One row per bucket holds
        -- every entity of the scope as a little-endian Float32 vector (entity index = topology order): the Power
        -- view reads all racks of an hour as 360 rows, not 115,200.
        CREATE TABLE rollups (
          scope INTEGER NOT NULL,
          res_s INTEGER NOT NULL,
          t_ms INTEGER NOT NULL,
          n INTEGER NOT NULL,
          avg_w BLOB NOT NULL,
          max_w BLOB NOT NULL,
          max_temp_c BLOB NOT NULL,
          PRIMARY KEY (scope, res_s, t_ms)
        ) WITHOUT ROWID;
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      `);
    },
  },
  {
    version: 2,
    name: 'runs, named channels with compact frames, events; samples and rollups move into run 1',
    up: (db) => {
      db.exec(RUN_TABLES_SQL);
      insertChannels(db, [GPU_CHANNEL]);
      moveLegacy(db);
      db.exec('DROP TABLE samples; DROP TABLE rollups;');
    },
  },
];

/** History written before runs existed becomes run 1 ("legacy"): samples re-encoded as frames, rollups moved. */
function moveLegacy(db: DB): void {
  const span = db.prepare('SELECT min(t_ms) AS t0, max(t_ms) AS t1, count(DISTINCT t_ms) AS ticks, count(*) AS samples, max(gpu) AS maxGpu FROM samples').get() as {
    t0: number | null;
    t1: number | null;
    ticks: number;
    samples: number;
    maxGpu: number | null;
  };
  const rollups = db.prepare('SELECT count(*) FROM rollups').pluck().get() as number;
  if (span.t0 === null && rollups === 0) return;
  const gpus = (span.maxGpu ?? -1) + 1;
  db.prepare("INSERT INTO runs (id, kind, label, started_wall_ms, ended_wall_ms, t0_ms, t1_ms, ticks, samples, gpus, topology, meta) VALUES (1, 'legacy', 'history from before runs were recorded', ?, ?, ?, ?, ?, ?, ?, '{}', '{}')").run(
    Date.now(),
    Date.now(),
    span.t0,
    span.t1,
    span.ticks,
    span.samples,
    gpus,
  );
  db.exec('INSERT INTO run_rollups SELECT 1, scope, res_s, t_ms, n, avg_w, max_w, max_temp_c FROM rollups');
  const insert = db.prepare('INSERT INTO frames (run, channel, t_ms, data) VALUES (1, ?, ?, ?)');
  // One tick at a time (a connection cannot write while a read iterates).
  const times = db.prepare('SELECT DISTINCT t_ms FROM samples ORDER BY t_ms').pluck().all() as number[];
  const tick = db.prepare('SELECT gpu, power_w, temp_c, clock_mhz, limit_w, util, flags FROM samples WHERE t_ms = ?').raw(true);
  for (const t of times) {
    const fields = GPU_CHANNEL.fields.map(() => new Float64Array(gpus).fill(NaN));
    for (const r of tick.all(t) as number[][]) {
      const g = r[0] ?? 0;
      for (let f = 0; f < fields.length; f++) fields[f]![g] = r[f + 1] ?? NaN;
    }
    insert.run(GPU_CHANNEL.id, t, encodeFrame(GPU_CHANNEL, fields));
  }
}

/** Register channels with their schemas (a database describes its own frames); default: every channel this build knows. */
export function insertChannels(db: DB, channels: Iterable<ChannelSpec> = CHANNELS.values()): void {
  const ins = db.prepare('INSERT OR IGNORE INTO channels (id, name, schema) VALUES (?, ?, ?)');
  for (const c of channels) ins.run(c.id, c.name, JSON.stringify(c));
}
