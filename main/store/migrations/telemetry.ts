import type { Migration } from '../db.js';

/** Numbered, append-only migrations of telemetry.db. Never edit a released migration; add a new one. */
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
];
