import { checkStore, openStore, type DB } from './db.js';
import { TELEMETRY_MIGRATIONS } from './migrations/telemetry.js';

/** Open telemetry.db: WAL, synchronous=NORMAL, migrated (`checked`: `checkTelemetryDb` already passed). */
export function openTelemetryDb(file: string, readonly = false, o: { checked?: boolean } = {}): DB {
  return openStore(file, { synchronous: 'NORMAL', migrations: TELEMETRY_MIGRATIONS, readonly, checked: o.checked });
}

/** What `openTelemetryDb` would refuse, checked without writing anything. */
export function checkTelemetryDb(file: string): void {
  checkStore(file, { synchronous: 'NORMAL', migrations: TELEMETRY_MIGRATIONS });
}
