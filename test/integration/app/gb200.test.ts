/**
 * The gb200 scenario: a liquid-cooled GB200 NVL72 row on two CDUs. A pump failure is harmless (N+1) but spends the
 * redundancy; a leak isolates CDU-G2 for two minutes: its loop heats and its racks' GPUs reach thermal slowdown within
 * tens of seconds, together — while the racks on CDU-G1 carry on. The live analysis says so in advance.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import { runLoaded } from '../../../main/app/batch.js';
import { loadScenario } from '../../../main/sim/config.js';
import type { PlantView } from '../../../shared/domain/plant.js';

const runtimes: Runtime[] = [];
afterAll(async () => {
  for (const r of runtimes) await r.close();
});

describe('the gb200 scenario: direct-to-chip racks and their CDUs', () => {
  it('a pump is harmless, a leak is not — the analysis says so in advance; the leak fires the armed caps on G03–G04 and their GPUs stay below slowdown until the CDU is back', async () => {
    const rt = await createRuntime({ scenario: 'gb200', db: null });
    runtimes.push(rt);
    const e = rt.engine;
    const t = e.topology;
    expect(t.rows.map((r) => [r.id, r.budgetKW])).toEqual([['A', 408], ['B', 408], ['C', 408], ['D', 313.8], ['G', 520]]);
    const gpusOf = (rack: string) => {
      const r = t.racks.find((x) => x.id === rack)!;
      const servers = t.servers.slice(r.serverStart, r.serverStart + r.serverCount);
      return servers.flatMap((s) => Array.from({ length: s.gpuCount }, (_, k) => s.gpuStart + k));
    };
    const g1 = gpusOf('G01');
    const g3 = [...gpusOf('G03'), ...gpusOf('G04')];
    expect(g1).toHaveLength(72);
    const view = async () => ((await dispatch(rt.handlers, 'plant:contingency', {}, { user: 'v', role: 'viewer' }, {})) as { ok: true; result: PlantView }).result;
    const slowed = (gpus: number[]) => gpus.filter((g) => e.live.tempC[g]! >= t.models[e.index.gpuModel[g]!]!.slowdownC).length;
    // Row G draws ~110 kW a rack at compute (its highest over a training iteration: the waves dip to communication
    // and drift under production demand); the pump failed at 600 s: nothing warmer.
    let rackG1KW = 0;
    for (let s = 0; s < 610; s++) {
      e.tick();
      if (s >= 590) rackG1KW = Math.max(rackG1KW, e.agg.rackW[t.racks.findIndex((r) => r.id === 'G01')]! / 1000);
    }
    expect(rackG1KW).toBeGreaterThan(90);
    expect(rackG1KW).toBeLessThan(132);
    let v = await view();
    if (!v.available) throw new Error(v.reason);
    expect(v.out).toEqual(['CDU-G1/pump']);
    // In advance: CDU-G2's loss is not survivable (caps cannot remove all its heat); another G1 pump would need caps.
    const leak = v.contingencies.find((c) => c.device === 'CDU-G2')!;
    expect(leak.overloads[0]).toMatchObject({ device: 'CDU-G2', kind: 'cdu', pct: null, secondsToTrip: expect.any(Number) });
    expect(leak.overloads[0]!.secondsToTrip!).toBeGreaterThan(20);
    expect(leak.overloads[0]!.secondsToTrip!).toBeLessThan(90);
    expect(leak.inTime).toBe(false);
    expect(v.contingencies.find((c) => c.device === 'CDU-G1/pump')).toMatchObject({ inTime: true, response: { byRow: [{ row: 'G' }] } });
    expect(e.activeAlerts().some((a) => a.rule === 'contingencyUnsafe' && a.subject.id === 'CDU-G2')).toBe(true);
    for (let s = 610; s < 1200; s++) e.tick();
    expect(slowed(g3)).toBe(0);
    const loopBefore = e.rackInletC[t.racks.findIndex((r) => r.id === 'G03')]!;
    expect(loopBefore).toBeCloseTo(30, 0);
    // The leak: CDU-G2 isolated at 1,200 s for 120 s. Its armed plan fires that tick: caps on G03 and G04's GPUs.
    e.tick();
    v = await view();
    if (!v.available) throw new Error(v.reason);
    expect(v.engaged).toEqual([expect.objectContaining({ device: 'CDU-G2', gpus: 144 })]);
    const kwG3 = () => g3.reduce((a, g) => a + e.live.powerW[g]!, 0) / 1000;
    const before = kwG3();
    let slowedAt = -1;
    for (let s = 2; s <= 120; s++) {
      e.tick();
      if (slowedAt < 0 && slowed(g3) > 0) slowedAt = s;
    }
    // The caps landed (out of band, 40 s): the loop still heats (nothing removes the heat) but half as fast, and the
    // GPUs stay below slowdown until the CDU is back.
    expect(kwG3()).toBeLessThan(before * 0.6);
    expect(slowedAt).toBe(-1);
    expect(slowed(g1)).toBe(0);
    for (let s = 0; s < 180; s++) e.tick();
    expect(e.rackInletC[t.racks.findIndex((r) => r.id === 'G03')]!).toBeCloseTo(30, 0);
  });

  it('without a response the same leak brings both racks to slowdown within tens of seconds (the simulator alone, brake-only policy)', () => {
    const loaded = loadScenario('gb200');
    const t = loaded.topology;
    const racks = ['G03', 'G04'].map((id) => t.racks.findIndex((r) => r.id === id));
    const g3 = racks.flatMap((r) => t.servers.slice(t.racks[r]!.serverStart, t.racks[r]!.serverStart + t.racks[r]!.serverCount).flatMap((s) => Array.from({ length: s.gpuCount }, (_, k) => s.gpuStart + k)));
    let first = -1;
    let all = -1;
    let tick = 0;
    runLoaded(loaded, {
      seed: 1,
      durationS: 1320,
      policy: 'none',
      onTick: (e) => {
        const s = ++tick - 1200;
        if (s <= 0) return;
        const n = g3.filter((g) => e.live.tempC[g]! >= t.models[e.index.gpuModel[g]!]!.slowdownC).length;
        if (n > 0 && first < 0) first = s;
        if (n === g3.length && all < 0) all = s;
      },
    });
    expect(first).toBeGreaterThan(15);
    expect(first).toBeLessThan(90);
    // One loop: every GPU of both racks follows within the minute (they differ by a few °C GPU to GPU), and the
    // training job across them runs at its slowest GPU's pace from the first (sim/training.ts).
    expect(all).toBeGreaterThan(0);
    expect(all - first).toBeLessThanOrEqual(60);
  });
});
