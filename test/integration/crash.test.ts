import { describe, expect, it } from 'vitest';
import { spawn } from 'node:child_process';
import { openTelemetryDb } from '../../main/store/telemetryDb.js';
import { tempDir } from '../helpers.js';

/** Run the ingesting child until it has committed at least `minTicks` transactions, then SIGKILL it. */
function ingestThenKill(file: string, minTicks: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'test/fixtures/ingest-child.ts', file], { stdio: ['ignore', 'pipe', 'pipe'] });
    let lastCommitted = 0;
    let seen = 0;
    let buf = '';
    let err = '';
    child.stderr.on('data', (d) => (err += String(d)));
    child.stdout.on('data', (d) => {
      buf += String(d);
      const lines = buf.split('\n');
      buf = lines.pop()!;
      for (const l of lines) {
        const m = /^committed (\d+)$/.exec(l);
        if (m) {
          lastCommitted = Number(m[1]);
          if (++seen === minTicks) child.kill('SIGKILL');
        }
      }
    });
    child.once('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve(lastCommitted) : reject(new Error(`child exited without being killed: ${err}`))));
  });
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
