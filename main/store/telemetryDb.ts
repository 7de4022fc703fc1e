import { openStore, type DB } from './db.js';
import { TELEMETRY_MIGRATIONS } from './migrations/telemetry.js';

/** Open telemetry.db: WAL, synchronous=NORMAL, migrated. */
export function openTelemetryDb(file: string, readonly = false): DB {
  return openStore(file, { synchronous: 'NORMAL', migrations: TELEMETRY_MIGRATIONS, readonly });
}
