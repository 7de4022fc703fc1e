/**
 * Replay of a real fleet's recording: the real H200 log (a matmul loop held by -pl 450, -pl 300, -lgc 1200, -lgc 345)
 * imported as a recording; its demand is inferred from what the GPU showed, so a replay without caps shows what the
 * GPU would have drawn — the held-back uncapped power — with a band, and a replay with caps answers them.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { replayCompare, replayInfo, replayPlan } from '../../../main/app/replay.js';
import { tempDir } from '../../helpers.js';

const tmp = tempDir();
afterAll(() => tmp.cleanup());

function imported(budgetKW: number): string {
  const inv = tmp.file(`inv-${budgetKW}.yaml`);
  writeFileSync(inv, `site: { id: lab, name: H200 lab }\nrows:\n  - id: A\n    budgetKW: ${budgetKW}\n    coolingKW: 12\n    gpuModel: H200-SXM\n    racks:\n      - id: A01\n        servers:\n          - host: h200\n            gpus: [GPU-76963113-bb61-0540-ce18-ecd0c1efeb4f]\n`);
  const out = tmp.file(`h200-${budgetKW}.headroom`);
  const r = spawnSync(process.execPath, ['bin/headroom.js', 'import', 'nvidia-smi', 'test/fixtures/gpu/h200-real-load.log.csv', '--inventory', inv, '--out', out], { encoding: 'utf8', timeout: 60_000 });
  expect(r.status, r.stderr).toBe(0);
  return out;
}

const at = (iso: string) => Date.parse(iso);

describe('replay of a real fleet (demand inferred)', () => {
  it('without caps, the held phases come back at what the GPU drew unheld, inside a band; the recording is lower', () => {
    const plan = replayPlan(imported(50));
    expect(plan.kind).toBe('fleet');
    expect(replayInfo(plan)).toMatchObject({ available: true, kind: 'fleet', leadS: 1, drills: 0 });
    const res = replayCompare(plan, 'none', plan.config);
    const row = res.series.rows[0]!;
    const bin = (iso: string) => {
      const i = res.series.tMs.indexOf(at(iso));
      expect(i, iso).toBeGreaterThanOrEqual(0);
      return i;
    };
    // Held back: what the row drew with the GPU unheld (15:25:50–26:00, after the reset). Not given to the inference.
    const unheld = row.recordedKW[bin('2026-12-04T15:25:50Z')]!;
    expect(row.replayKW[bin('2026-12-04T15:25:50Z')]).toBeCloseTo(unheld, 5);
    // The held phases (-pl 450, -pl 300, -lgc 1200, -lgc 345: 15:25:10–15:25:40) replay at that power, inside a band…
    for (const iso of ['2026-12-04T15:25:10Z', '2026-12-04T15:25:20Z', '2026-12-04T15:25:30Z', '2026-12-04T15:25:40Z']) {
      const i = bin(iso);
      expect(Math.abs(row.replayKW[i]! - unheld), iso).toBeLessThanOrEqual(0.1);
      expect(row.replayLowKW![i]!).toBeLessThanOrEqual(row.replayKW[i]!);
      expect(row.replayHighKW![i]!).toBeGreaterThanOrEqual(row.replayKW[i]!);
    }
    // … while the recording shows what the caps left.
    expect(row.recordedKW[bin('2026-12-04T15:25:20Z')]!).toBeLessThan(unheld - 0.3);
  }, 60_000);

  it('on a budget below what the row drew, the replayed POLCA brakes the inferred demand under it', () => {
    // The row draws ~4.2 kW unheld (the server around the GPU included); its budget here is 4.0 kW.
    const plan = replayPlan(imported(4));
    const res = replayCompare(plan, 'polca', plan.config);
    const row = res.series.rows[0]!;
    const i = res.series.tMs.indexOf(at('2026-12-04T15:25:50Z'));
    expect(row.recordedKW[i]!).toBeGreaterThan(4);
    expect(row.replayKW[i]!).toBeLessThanOrEqual(4);
    expect(res.replay.rows[0]!.brakes).toBeGreaterThan(0);
    expect(row.replayCapped.some((n) => n > 0)).toBe(true);
    expect(res.diff[0]).toMatch(/^POLCA T1 = 80 %, T2 = 89 %: [1-9]\d* brakes? instead of/);
  }, 60_000);
});
