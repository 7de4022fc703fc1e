import { describe, expect, it } from 'vitest';
import { openTelemetryDb } from '../../../main/store/telemetryDb.js';
import { decodeFrame, GPU_CHANNEL } from '../../../main/store/frames.js';
import { listRuns } from '../../../main/store/runs.js';
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
        const maxT = db.prepare('SELECT max(t_ms) FROM frames').pluck().get() as number;
        expect(maxT).toBeGreaterThanOrEqual(acknowledged);
        // Every committed tick is complete (each frame decodes to all 2000 GPUs) and counted on its run in the same
        // transaction: no half-written one.
        for (const f of db.prepare('SELECT data FROM frames').pluck().all() as Buffer[]) expect(decodeFrame(GPU_CHANNEL, f)[0]).toHaveLength(2000);
        const runs = listRuns(db);
        expect(runs).toHaveLength(round + 1);
        for (const r of runs) expect(r.samples).toBe((db.prepare('SELECT count(*) FROM frames WHERE run = ?').pluck().get(r.id) as number) * 2000);
        db.close();
      }
    } finally {
      tmp.cleanup();
    }
  }, 60_000);
});
