import { afterAll, describe, expect, it } from 'vitest';
import Database from 'better-sqlite3';
import { spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import { tempDir } from '../../helpers.js';

// The real `headroom` command (bin/headroom.js → dist/, built by `npm test`'s pretest).
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const headroom = (...args: string[]) => spawnSync(process.execPath, ['bin/headroom.js', ...args], { encoding: 'utf8', timeout: 120_000 });
const sha = (f: string) => createHash('sha256').update(readFileSync(f)).digest('hex');

describe('history, recordings and replay (CLI)', () => {
  const rec = tmp.file('drill.headroom');
  const report = tmp.file('report.json');

  it('sim --record saves the whole run as one recording; recording info describes it', () => {
    const r = headroom('sim', '--seed', '7', '--duration', '300', '--record', rec, '--out', report);
    expect(r.status, r.stderr).toBe(0);
    const info = JSON.parse(headroom('recording', 'info', rec, '--json').stdout) as Record<string, unknown>;
    expect(info).toMatchObject({ gpus: 1280, rows: 4, durationS: 299, samples: 300 * 1280, schemaVersion: 2, source: 'sim' });
    expect((info.bytes as number) / (info.samples as number)).toBeLessThanOrEqual(6);
  });

  it('replaying a recorded simulation with its own policy reproduces its report exactly; another policy differs', () => {
    const same = tmp.file('same.json');
    expect(headroom('replay', rec, '--out', same).status).toBe(0);
    expect(readFileSync(same, 'utf8')).toBe(readFileSync(report, 'utf8'));
    const none = JSON.parse(headroom('replay', rec, '--policy', 'none').stdout) as { policy: string; rows: Array<{ id: string; peakPct: number }> };
    expect(none.policy).toBe('none');
    const recorded = JSON.parse(readFileSync(report, 'utf8')) as { rows: Array<{ id: string; peakPct: number }> };
    expect(none.rows.map((x) => x.peakPct)).not.toEqual(recorded.rows.map((x) => x.peakPct));
  });

  it('without --policy, replay uses the recorded run\'s own policy (a run under none comes back as it was)', () => {
    const rec2 = tmp.file('none.headroom');
    const rep2 = tmp.file('none.json');
    expect(headroom('sim', '--seed', '7', '--duration', '120', '--policy', 'none', '--record', rec2, '--out', rep2).status).toBe(0);
    const back = tmp.file('none-back.json');
    expect(headroom('replay', rec2, '--out', back).status).toBe(0);
    expect(readFileSync(back, 'utf8')).toBe(readFileSync(rep2, 'utf8'));
  });

  it('a policy file is validated: one line naming the file and the field, exit 2', () => {
    const bad = tmp.file('policy.json');
    writeFileSync(bad, JSON.stringify({ polca: { t1Pct: 'high' } }));
    const r = headroom('replay', rec, '--policy', bad);
    expect(r.status).toBe(2);
    expect(r.stderr.trim()).toMatch(/^headroom: .*policy\.json: polca\.t1Pct: /);
    writeFileSync(bad, '{ not json');
    expect(headroom('replay', rec, '--policy', bad).stderr.trim()).toMatch(/^headroom: .*policy\.json: not a JSON policy/);
  });

  it('two runs on one telemetry.db keep their own history; history info counts them, compactly', () => {
    const db = tmp.file('hist/telemetry.db');
    for (const seed of ['1', '2']) expect(headroom('sim', '--seed', seed, '--duration', '120', '--db', db, '--out', tmp.file(`r${seed}.json`)).status).toBe(0);
    const info = JSON.parse(headroom('history', 'info', '--db', db, '--json').stdout) as {
      runs: Array<{ id: number; kind: string; scenario: string; samples: number; start: string }>;
      samples: number;
      bytesPerGpuSample: number;
      droppedTicks: number;
    };
    expect(info.runs.map((r) => [r.id, r.kind, r.scenario, r.samples])).toEqual([
      [1, 'sim', 'default', 120 * 1280],
      [2, 'sim', 'default', 120 * 1280],
    ]);
    // Both simulations start at the same instant: neither overwrote the other.
    expect(info.runs[0]?.start).toBe(info.runs[1]?.start);
    expect(info.samples).toBe(2 * 120 * 1280);
    expect(info.bytesPerGpuSample).toBeLessThanOrEqual(12);
    expect(info.droppedTicks).toBe(0);
    // A window of run 1 as a recording.
    const w = tmp.file('window.headroom');
    expect(headroom('record', '--db', db, '--run', '1', '--from', '2026-01-01T00:00:30Z', '--to', '2026-01-01T00:01:29Z', '--out', w).status).toBe(0);
    expect(JSON.parse(headroom('recording', 'info', w, '--json').stdout)).toMatchObject({ durationS: 59, samples: 60 * 1280 });
    expect(headroom('record', '--db', db, '--run', '9', '--out', w).stderr).toMatch(/no run 9 .*runs: 1, 2/);
  });

  it('refuses what is not a recording, or is from a newer schema, with one line; opening never modifies the file', () => {
    const garbage = tmp.file('garbage.headroom');
    writeFileSync(garbage, 'not a database at all'.repeat(100));
    const telemetry = tmp.file('hist/telemetry.db');
    const newer = tmp.file('newer.headroom');
    copyFileSync(rec, newer);
    const d = new Database(newer);
    d.pragma('user_version = 99');
    d.close();
    const truncated = tmp.file('truncated.headroom');
    writeFileSync(truncated, readFileSync(rec).subarray(0, 8192));
    for (const [file, why] of [
      [garbage, /not a Headroom recording/],
      [telemetry, /not a Headroom recording \(application_id 0\)/],
      [newer, /recording schema 99 is newer than this Headroom reads \(2\)/],
      [truncated, /damaged|malformed|not a database|holds no run|no such table/],
      [tmp.file('absent.headroom'), /cannot open/],
    ] as const) {
      const r = headroom('recording', 'info', file, '--json');
      expect(r.status, file).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(why);
    }
    const before = sha(rec);
    const mtime = statSync(rec).mtimeMs;
    expect(headroom('recording', 'info', rec).status).toBe(0);
    expect(headroom('replay', rec, '--policy', 'none').status).toBe(0);
    expect(sha(rec)).toBe(before);
    expect(statSync(rec).mtimeMs).toBe(mtime);
  });

  it('kill -9 while saving: the recording is complete or absent, never half', async () => {
    const db = tmp.file('kill/telemetry.db');
    expect(headroom('sim', '--seed', '3', '--duration', '600', '--scale', '4', '--db', db, '--out', tmp.file('k.json')).status).toBe(0);
    let complete = 0;
    let interrupted = 0;
    for (let i = 0; i < 6; i++) {
      const out = tmp.file(`killed-${i}.headroom`);
      const child = spawn(process.execPath, ['bin/headroom.js', 'record', '--db', db, '--out', out], { stdio: 'ignore' });
      // Kill once writing has begun (the target or its temporary file exists), a little later each round.
      const writing = () => existsSync(out) || readdirSync(dirname(out)).some((f) => f.startsWith(`${basename(out)}.partial-`));
      const t0 = Date.now();
      while (!writing() && Date.now() - t0 < 5000) await new Promise((r) => setTimeout(r, 1));
      await new Promise((r) => setTimeout(r, i * 4));
      const exited = new Promise((r) => (child.exitCode !== null ? r(null) : child.once('exit', r)));
      child.kill('SIGKILL');
      await exited;
      if (child.signalCode === 'SIGKILL') interrupted++;
      if (existsSync(out)) {
        const info = JSON.parse(headroom('recording', 'info', out, '--json').stdout) as { samples: number };
        expect(info.samples).toBe(600 * 5120);
        complete++;
      }
    }
    // Saves were killed while writing: the test exercised the window where a non-atomic save leaves half a file.
    expect(interrupted).toBeGreaterThanOrEqual(3);
    expect(complete).toBeLessThan(6);
  }, 90_000);
});
