import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers.js';
import { openTelemetryDb } from '../../../main/store/telemetryDb.js';
import { fitProfiles, rackProfileFromHistory } from '../../../main/app/profiles.js';

/** `headroom place` through the real CLI (dist/, built by `npm test`'s pretest), from stored history and from a simulated day. */
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const headroom = (...args: string[]) => spawnSync(process.execPath, ['bin/headroom.js', ...args], { encoding: 'utf8', timeout: 180_000 });

describe('headroom place', () => {
  /** A quarter hour of the tapas-free hall stored by `headroom sim --db`: the history every fit below reads. */
  const db = `${tmp.dir}/telemetry.db`;
  beforeAll(() => {
    const sim = headroom('sim', '--scenario', 'tapas-free', '--duration', '900', '--policy', 'polca', '--db', db, '--out', `${tmp.dir}/r.json`);
    expect(sim.status, sim.stderr).toBe(0);
  }, 180_000);

  it('from a telemetry.db: profiles fitted from the stored rack inlets, the free servers ranked, the advisor beside first fit', () => {
    const r = headroom('place', '--db', db, '--gpus', '64', '--kind', 'iaas', '--profile', 'training', '--stride', '5', '--json', '--out', `${tmp.dir}/place.json`);
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      window: { ticks: number; strideS: number };
      ranked: Array<{ server: string; row: string; feasible: boolean; reason: string; rowPctAfter: number }>;
      chosen: Array<{ server: string; row: string }>;
      placedGpus: number;
      summary: { advisor: { worstRowPct: number; hottestInletC: number; feasible: boolean }; firstFit: { worstRowPct: number } };
    };
    // 900 s at a 5 s stride.
    expect(out.window.ticks).toBe(180);
    // 48 free servers (A09–A10, B09–B10, C07–C10, D07–D10); the first fit takes A09–A10 in topology order.
    expect(out.ranked.length).toBe(10);
    expect(out.placedGpus).toBe(64);
    expect(out.summary.advisor.feasible).toBe(true);
    expect(out.summary.advisor.worstRowPct).toBeLessThan(out.summary.firstFit.worstRowPct);
    expect(out.chosen.every((c) => /^(B09|B10|C07|C08|C09|C10|D07|D08|D09|D10)-S[1-4]$/.test(c.server))).toBe(true);
    for (const c of out.ranked) expect(c.reason).toMatch(/^row [A-D] peak [\d.]+ → [\d.]+ % of [\d.]+ kW; rack [A-D]\d\d inlet [\d.]+ → [\d.]+ °C/);
    // The profiles written with --out: busy racks fitted on their own history, with their uncertainty.
    // (In this model a rack's own recirculation is ~0.012 °C per kW, under the 0.1 °C the store keeps: a quarter hour
    // gives a slope near 0 with its σ — the uncertainty is part of the profile.)
    const saved = JSON.parse(readFileSync(`${tmp.dir}/place.json`, 'utf8')) as { profiles: { racks: Array<{ rack: string; inlet: { from: string; b: number; sigma: number; n: number } | null }> } };
    const c01 = saved.profiles.racks.find((x) => x.rack === 'C01')!;
    expect(c01.inlet).toMatchObject({ from: 'rack', n: 180 });
    expect(Math.abs(c01.inlet!.b)).toBeLessThan(0.1);
    expect(c01.inlet!.sigma).toBeGreaterThan(0);
    // An idle rack borrows its row's slope through its own mean.
    expect(saved.profiles.racks.find((x) => x.rack === 'C08')!.inlet!.from).toBe('row');
  }, 180_000);

  it("the rack view's profile: one rack read from the same store agrees with the whole site's fit, with its scatter and its servers", () => {
    const d = openTelemetryDb(db, true);
    try {
      const run = 1;
      // 600 s at a 1 s stride: the rack view reads its GPUs at every tick (≤ 720), as the whole-site fit does.
      const { profiles, topology } = fitProfiles(d, run, { fromMs: 0, toMs: Infinity, strideS: 1 });
      const t1 = profiles.toMs;
      const site = fitProfiles(d, run, { fromMs: t1 - 600_000, toMs: t1, strideS: 1 }).profiles;
      for (const id of ['A01', 'C01', 'C08', 'D10']) {
        const k = topology.racks.findIndex((r) => r.id === id);
        const v = rackProfileFromHistory(d, run, k, { windowS: 600 });
        expect(v.rack).toBe(id);
        expect(v.window.ticks).toBe(site.ticks);
        expect(v.profile).toEqual(site.racks[k]);
        // Its servers' rise over the inlet: the same fits as the site's, read from this rack's slice of each GPU frame.
        const rk = topology.racks[k]!;
        expect(v.servers.map((s) => s.rise)).toEqual(site.servers.slice(rk.serverStart, rk.serverStart + rk.serverCount).map((s) => s.rise));
        expect(v.servers.map((s) => s.id)).toEqual(topology.servers.slice(rk.serverStart, rk.serverStart + rk.serverCount).map((s) => s.id));
        expect(v.points.length).toBeGreaterThan(250);
        expect(v.points.length).toBeLessThanOrEqual(300);
        for (const [kw, c] of v.points) {
          expect(kw).toBeGreaterThan(0);
          expect(c).toBeGreaterThan(15);
        }
        expect(v.summary).toMatch(new RegExp(`^rack ${id} `));
      }
      // Busy servers get a rise fit of their own; C08's are idle (tapas-free): their power never varied enough.
      const c01 = rackProfileFromHistory(d, run, topology.racks.findIndex((r) => r.id === 'C01'), { windowS: 600 });
      expect(c01.servers.every((s) => s.rise !== null && s.rise.rPerW > 0 && (s.meanGpuW ?? 0) > 200)).toBe(true);
      expect(c01.profile.inlet?.from).toBe('rack');
      const c08 = rackProfileFromHistory(d, run, topology.racks.findIndex((r) => r.id === 'C08'), { windowS: 600 });
      expect(c08.profile.inlet?.from).toBe('row');
      expect(c08.summary).toMatch(/its power never varied/);
      expect(() => rackProfileFromHistory(d, run, topology.racks.length, { windowS: 600 })).toThrow(/rack \d+: the site has \d+ racks/);
      expect(profiles.ticks).toBeGreaterThan(site.ticks);
    } finally {
      d.close();
    }
  });

  it('--simulate: each placement added to the hall and run; the advisor keeps the worst row lower than first fit', () => {
    const r = headroom('place', '--scenario', 'tapas-free', '--duration', '900', '--gpus', '64', '--simulate', '--json');
    expect(r.status, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as {
      firstFit: Array<{ server: string }>;
      simulated: Record<'advisor' | 'firstFit', { servers: string[]; worstRow: string; worstRowPeakPct: number; brakes: number; placedThroughputRatio: number }>;
    };
    // First fit takes the first idle servers in order: A09–A10, beside row A's VMs, the row nearest its budget.
    expect(out.firstFit.map((c) => c.server)).toEqual(['A09-S1', 'A09-S2', 'A09-S3', 'A09-S4', 'A10-S1', 'A10-S2', 'A10-S3', 'A10-S4']);
    const { advisor, firstFit } = out.simulated;
    expect(firstFit.worstRow).toBe('A');
    expect(advisor.servers.some((s) => s.startsWith('A'))).toBe(false);
    expect(advisor.worstRowPeakPct).toBeLessThan(firstFit.worstRowPeakPct - 5);
    for (const x of [advisor, firstFit]) {
      expect(x.brakes).toBe(0);
      expect(x.placedThroughputRatio).toBeGreaterThan(0.99);
    }
  }, 180_000);

  it('bad input: one line, exit 2', () => {
    for (const args of [['--gpus', '0', '--scenario', 'tapas-free'], ['--gpus', '8'], ['--gpus', '8', '--db', `${tmp.dir}/none.db`], ['--gpus', '8', '--kind', 'vm', '--scenario', 'tapas-free'], ['--gpus', '8', '--db', `${tmp.dir}/telemetry.db`, '--simulate']]) {
      const r = headroom('place', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^headroom: /);
    }
  });
});
