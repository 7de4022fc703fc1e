import { describe, expect, it } from 'vitest';
import { openTelemetryDb } from '../../../main/store/telemetryDb.js';
import { runThenKill, tempDir } from '../../helpers.js';

/** Run the ingesting child until it has committed at least `minTicks` transactions, then SIGKILL it. */
function ingestThenKill(file: string, minTicks: number): Promise<number> {
  return runThenKill('test/fixtures/ingest-child.ts', [file], 'committed', minTicks);
}

describe('crash safety of telemetry.db', () => {
  it('a writer killed with SIGKILL mid-ingest loses no acknowledged row and leaves a consistent database', async () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('telemetry.db');
      for (let round = 0; round < 3; round++) {
        const acknowledged = await ingestThenKill(file, 20 + round * 7);
        const db = openTelemetryDb(file);
        expect(db.pragma('quick_check', { simple: true })).toBe('ok');
        const maxT = db.prepare('SELECT max(t_ms) FROM samples').pluck().get() as number;
        expect(maxT).toBeGreaterThanOrEqual(acknowledged);
        // Every committed tick is complete: no half-written transaction.
        const partial = db.prepare('SELECT count(*) FROM (SELECT t_ms FROM samples GROUP BY t_ms HAVING count(*) <> 2000)').pluck().get();
        expect(partial).toBe(0);
        db.close();
      }
    } finally {
      tmp.cleanup();
    }
  }, 60_000);
});
