import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { tempDir } from '../../helpers.js';
import type { GridReport } from '../../../main/app/gridSim.js';

/**
 * Issue 15's comparison through the real CLI (dist/, built by `npm test`'s pretest): an hour of the training-swings
 * site at 10 ms steps, unmitigated and with each remedy; the goals of item 5 on `all`.
 */
const tmp = tempDir();
afterAll(() => tmp.cleanup());
const headroom = (...args: string[]) => spawnSync(process.execPath, ['bin/headroom.js', ...args], { encoding: 'utf8', timeout: 120_000 });
function run(mitigation: string): GridReport {
  const out = `${tmp.dir}/${mitigation}.json`;
  const r = headroom('sim', '--scenario', 'training-swings', '--mitigation', mitigation, '--out', out);
  expect(r.status, r.stderr).toBe(0);
  expect(r.stderr).toMatch(new RegExp(`^simulated 3600 s of 1280 GPUs at 10 ms steps, twice \\(unmitigated and ${mitigation}\\)`, 'm'));
  return JSON.parse(readFileSync(out, 'utf8')) as GridReport;
}

describe('headroom sim --scenario training-swings --mitigation', () => {
  it('unmitigated, the site breaks every limit: swings of ~0.7 MW at 0.2–2 Hz, nearly all of the energy in 0.1–20 Hz', () => {
    const r = run('none');
    expect(r.grid).toEqual(r.baseline);
    expect(r.grid.within).toEqual({ ramp: false, dynamicRange: false, band: false });
    expect(r.grid.bandEnergyPct).toBeGreaterThan(90);
    expect(r.grid.swingAmplitudeMW).toBeGreaterThan(0.5);
    expect(r.energyOverheadPct).toBe(0);
    expect(r.throughputRatio).toBe(1);
    expect(r.jobs.map((j) => j.id)).toEqual(['pretrain-a', 'pretrain-b', 'finetune-c', 'rl-d']);
  }, 60_000);

  it('all: band share ≤ 20 %, band RMS ≥ 70 % lower, ramp and dynamic range within limits, energy ≤ +5 %, throughput ≥ 0.99', () => {
    const r = run('all');
    expect(r.grid.within).toEqual({ ramp: true, dynamicRange: true, band: true });
    expect(r.grid.bandEnergyPct).toBeLessThanOrEqual(20);
    expect(r.bandRmsReductionPct).toBeGreaterThanOrEqual(70);
    expect(r.energyOverheadPct).toBeLessThanOrEqual(5);
    expect(r.energyOverheadPct).toBeGreaterThan(0);
    expect(r.throughputRatio).toBeGreaterThanOrEqual(0.99);
    expect(r.storage!.minSocPct).toBeGreaterThan(10);
    expect(r.storage!.maxSocPct).toBeLessThan(90);
  }, 60_000);

  it('each remedy alone: smoothing and burn flatten at an energy cost, stagger alone leaves the iterations swinging', () => {
    const s = run('smoothing');
    const b = run('burn');
    const st = run('stagger');
    for (const r of [s, b]) {
      expect(r.bandRmsReductionPct).toBeGreaterThan(40);
      expect(r.energyOverheadPct).toBeGreaterThan(5);
    }
    expect(Math.abs(st.bandRmsReductionPct)).toBeLessThan(5);
    expect(st.throughputRatio).toBeLessThan(1);
  }, 90_000);

  it('bad input: one line, exit 2', () => {
    for (const args of [
      ['--scenario', 'training-swings', '--mitigation', 'magic'],
      ['--scenario', 'default', '--mitigation', 'all'],
      ['--scenario', 'training-swings', '--policy', 'polca'],
      ['--scenario', 'training-swings', '--compare'],
      ['--scenario', 'training-swings', '--duration', '90000'],
    ]) {
      const r = headroom('sim', ...args);
      expect(r.status, args.join(' ')).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/^headroom: /);
    }
  });
});
