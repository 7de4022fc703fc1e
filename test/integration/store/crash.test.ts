import { describe, expect, it } from 'vitest';
import { openTelemetryDb } from '../../../main/store/telemetryDb.js';
import { decodeFrame, GPU_CHANNEL } from '../../../main/store/frames.js';
import { ingestThenKill, lostOrWrong } from '../../fixtures/ingestKill.js';
import { listRuns } from '../../../main/store/runs.js';
import { FAULT_DROPPED_TICK, INGEST_GPUS } from '../../fixtures/ingest-child.js';
import { tempDir } from '../../helpers.js';

describe('crash safety of telemetry.db through the store worker', () => {
  it('a writer killed with SIGKILL mid-ingest loses no acknowledged tick (every value checked) and leaves a consistent database', async () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('telemetry.db');
      let checked = 0;
      for (let round = 0; round < 3; round++) {
        const ing = await ingestThenKill(file, { acks: 20 + round * 7 });
        expect(ing.acked.length).toBeGreaterThanOrEqual(20 + round * 7);
        // The acknowledged ticks are consecutive from the run's first tick: none was skipped by the child.
        expect(ing.acked).toEqual(ing.acked.map((_, i) => ing.firstTMs + i * 1000));
        const db = openTelemetryDb(file);
        expect(db.pragma('quick_check', { simple: true })).toBe('ok');
        expect(lostOrWrong(db, ing.run, ing.acked)).toEqual([]);
        checked += ing.acked.length;
        // Every committed tick is complete (each frame decodes to all GPUs) and counted on its run in the same
        // transaction: no half-written one.
        for (const f of db.prepare('SELECT data FROM frames WHERE channel = ?').pluck().all(GPU_CHANNEL.id) as Buffer[]) expect(decodeFrame(GPU_CHANNEL, f)[0]).toHaveLength(INGEST_GPUS);
        const runs = listRuns(db);
        expect(runs).toHaveLength(round + 1);
        for (const r of runs) {
          const frames = db.prepare('SELECT count(*) FROM frames WHERE run = ? AND channel = ?').pluck().get(r.id, GPU_CHANNEL.id) as number;
          expect(r.samples).toBe(frames * INGEST_GPUS);
          expect(r.ticks).toBe(frames);
        }
        db.close();
      }
      console.log(`crash test: 3 SIGKILLs of the store worker's process, ${checked} acknowledged ticks × ${INGEST_GPUS} GPUs checked value by value, 0 lost`);
    } finally {
      tmp.cleanup();
    }
  }, 60_000);

  it('the check fails when the writer loses one acknowledged tick (planted fault: the worker acks a tick it never wrote)', async () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('telemetry.db');
      const ing = await ingestThenKill(file, { acks: 12 }, 'drop-acked');
      const db = openTelemetryDb(file);
      expect(db.pragma('quick_check', { simple: true })).toBe('ok');
      const dropped = ing.firstTMs + (FAULT_DROPPED_TICK - 1) * 1000;
      expect(ing.acked).toContain(dropped);
      expect(lostOrWrong(db, ing.run, ing.acked)).toEqual([`t=${dropped}: acknowledged tick missing`]);
      db.close();
    } finally {
      tmp.cleanup();
    }
  }, 60_000);
});
