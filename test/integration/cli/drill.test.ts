/**
 * `headroom drill` through the real CLI (dist/): the library lists every drill; `run NAME --auto` writes the report's
 * keys; on a feed loss during a maintenance window Headroom's controller keeps row C's overload to seconds where
 * nobody responding leaves it over for minutes — the score says so; bad input is one line and exit 2.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { DRILLS } from '../../../shared/domain/drills.js';
import { drillScenario } from '../../../main/app/drill.js';
import { Simulator } from '../../../main/sim/simulator.js';
import { loadTraces } from '../../../main/sim/config.js';
import { tempDir } from '../../helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());
const headroom = (...args: string[]) => spawnSync(process.execPath, ['bin/headroom.js', 'drill', ...args], { encoding: 'utf8', timeout: 120_000 });

describe('headroom drill', () => {
  it('every drill of the library refers to devices and rows its site has, and lists', () => {
    for (const d of DRILLS) {
      const loaded = drillScenario(d, 10, true);
      expect(() => new Simulator(loaded.topology, loaded.scenario, loadTraces(), 1), d.id).not.toThrow();
      for (const row of d.rows) expect(loaded.topology.rows.map((r) => r.id), d.id).toContain(row);
    }
    const r = headroom('list');
    expect(r.status).toBe(0);
    expect(r.stdout.trim().split('\n').map((l) => l.split(/\s+/)[0])).toEqual(DRILLS.map((d) => d.id));
  });

  it('run --auto: the automatic controller beside nobody responding, on a feed loss in a maintenance window', () => {
    const out = tmp.file('feed.json');
    const r = headroom('run', 'feed-loss-maintenance', '--auto', '--out', out, '--warm', '200');
    expect(r.status, r.stderr).toBe(0);
    const rep = JSON.parse(readFileSync(out, 'utf8'));
    for (const k of ['drill', 'score', 'detectS', 'firstActionS', 'overBudgetS', 'maxInletC', 'maxGpuC', 'brakes', 'sloImpact']) expect(rep).toHaveProperty(k);
    const [auto, nobody] = rep.sides;
    expect(auto.responder).toBe('automatic');
    expect(nobody.responder).toBe('nobody');
    // The controller answers within the ride-through; nobody leaves row C over its budget for the whole loss.
    expect(auto.overBudgetS).toBeLessThanOrEqual(10);
    expect(nobody.overBudgetS).toBeGreaterThan(200);
    expect(auto.firstActionS).not.toBeNull();
    expect(nobody.firstActionS).toBeNull();
    expect(auto.score).toBeGreaterThan(nobody.score + 30);
    expect(rep.score).toBe(auto.score);
    expect(r.stderr).toMatch(/^drill feed-loss-maintenance \(300 s on rows C, after 200 s\): automatic [\d.]+ \/ 100/);
  });

  it('an unknown drill, or run without --auto: one line, exit 2', () => {
    const a = headroom('run', 'no-such-drill', '--auto');
    expect(a.status).toBe(2);
    expect(a.stderr.trim().split('\n')).toHaveLength(1);
    expect(a.stderr).toMatch(/no drill "no-such-drill"; the library: cooling-loss-c/);
    const b = headroom('run', 'cooling-loss-c');
    expect(b.status).toBe(2);
    expect(b.stderr).toMatch(/give --auto/);
  });
});
