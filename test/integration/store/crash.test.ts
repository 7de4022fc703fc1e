import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { openTelemetryDb } from '../../../main/store/telemetryDb.js';
import { decodeFrame, GPU_CHANNEL } from '../../../main/store/frames.js';
import { listRuns } from '../../../main/store/runs.js';
import type { DB } from '../../../main/store/db.js';
import { FAULT_DROPPED_TICK, INGEST_GPUS, ingestValue } from '../../fixtures/ingest-child.js';
import { tempDir } from '../../helpers.js';

interface Ingested {
  run: number;
  firstTMs: number;
  /** Every tick the store worker acknowledged before the kill, in order. */
  acked: number[];
}

/**
 * Run the ingesting child (the store worker path, test/fixtures/ingest-child.ts) until it has printed `minAcks`
 * acknowledged ticks, then SIGKILL it; resolve with every tick it acknowledged.
 */
function ingestThenKill(file: string, minAcks: number, fault = ''): Promise<Ingested> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/ingest-child.ts', file], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, HEADROOM_CRASH_FAULT: fault },
    });
    const out: Ingested = { run: 0, firstTMs: 0, acked: [] };
    let buf = '';
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    child.stdout.on('data', (d) => {
      buf += String(d);
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const run = /^run (\d+) (\d+)$/.exec(l);
        if (run) [out.run, out.firstTMs] = [Number(run[1]), Number(run[2])];
        const ack = /^acked (\d+)$/.exec(l);
        if (ack && out.acked.push(Number(ack[1])) === minAcks) child.kill('SIGKILL');
      }
    });
    child.once('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(out) : reject(new Error(`ingest child exited without being killed: ${err}`))));
  });
}

/**
 * Every acknowledged tick of `run` that is missing from the database or differs in any value of any GPU, as
 * "t=<ms>: …" lines (empty: nothing acknowledged was lost).
 */
function lostOrWrong(db: DB, run: number, acked: readonly number[]): string[] {
  const problems: string[] = [];
  const frame = db.prepare('SELECT data FROM frames WHERE run = ? AND channel = ? AND t_ms = ?').pluck();
  const q = GPU_CHANNEL.fields.map((f) => f.quantum);
  for (const t of acked) {
    const data = frame.get(run, GPU_CHANNEL.id, t) as Buffer | undefined;
    if (!data) {
      problems.push(`t=${t}: acknowledged tick missing`);
      continue;
    }
    const cols = decodeFrame(GPU_CHANNEL, data);
    const k = t / 1000;
    let bad = 0;
    for (let g = 0; g < INGEST_GPUS; g++) {
      const want = ingestValue(k, g);
      for (let f = 0; f < want.length; f++) {
        if (cols[f]![g] === undefined || Math.round(cols[f]![g]! / q[f]!) !== Math.round(want[f]! / q[f]!)) {
          if (bad++ === 0) problems.push(`t=${t}: GPU ${g} ${GPU_CHANNEL.fields[f]!.name} = ${cols[f]![g]}, acknowledged ${want[f]}`);
        }
      }
    }
    if (cols[0]!.length !== INGEST_GPUS) problems.push(`t=${t}: ${cols[0]!.length} GPUs in the frame, acknowledged ${INGEST_GPUS}`);
  }
  return problems;
}

describe('crash safety of telemetry.db through the store worker', () => {
  it('a writer killed with SIGKILL mid-ingest loses no acknowledged tick (every value checked) and leaves a consistent database', async () => {
    const tmp = tempDir();
    try {
      const file = tmp.file('telemetry.db');
      let checked = 0;
      for (let round = 0; round < 3; round++) {
        const ing = await ingestThenKill(file, 20 + round * 7);
        expect(ing.acked.length).toBeGreaterThanOrEqual(20 + round * 7);
        // The acknowledged ticks are consecutive from the run's first tick: none was skipped by the child.
        expect(ing.acked).toEqual(ing.acked.map((_, i) => ing.firstTMs + i * 1000));
        const db = openTelemetryDb(file);
        expect(db.pragma('quick_check', { simple: true })).toBe('ok');
        expect(lostOrWrong(db, ing.run, ing.acked)).toEqual([]);
        checked += ing.acked.length;
        // Every committed tick is complete (each frame decodes to all GPUs) and counted on its run in the same
        // transaction: no half-written one.
        for (const f of db.prepare('SELECT data FROM frames').pluck().all() as Buffer[]) expect(decodeFrame(GPU_CHANNEL, f)[0]).toHaveLength(INGEST_GPUS);
        const runs = listRuns(db);
        expect(runs).toHaveLength(round + 1);
        for (const r of runs) {
          const frames = db.prepare('SELECT count(*) FROM frames WHERE run = ?').pluck().get(r.id) as number;
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
      const ing = await ingestThenKill(file, 12, 'drop-acked');
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
