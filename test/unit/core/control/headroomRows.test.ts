import { describe, expect, it } from 'vitest';
import { PolicyConfigSchema } from '../../../../shared/domain/control.js';
import { RowControllers, rowGpuSpans } from '../../../../main/core/control/rows.js';
import { defaultTopology, rowLayerRig } from '../../../helpers.js';

/**
 * Headroom's controller wired into the row controllers (rows.ts), against POLCA on the same readings: a training
 * row's iteration waves (compute 93 %, communication 55 %, every 12 s) and a row whose power climbs in bursts.
 */

const topology = defaultTopology(1);
const n = topology.gpuCount;
const R = topology.rows.length;

function rig(controller: 'polca' | 'headroom') {
  const { arbiter, layers } = rowLayerRig(n);
  // Every GPU high priority: a training row.
  const priorities = new Uint8Array(n).fill(1);
  const rows = new RowControllers(topology, { models: topology.models, gpuModel: new Int32Array(n), priorities }, rowGpuSpans(topology), arbiter, layers, true, 0, controller, 1000);
  rows.setPolicy(PolicyConfigSchema.parse({ playbooks: [{ id: 'none', trigger: { kind: 'thermal', marginC: 0 }, stages: [{ action: { kind: 'clockCap', mhzPctOfMax: 90 } }] }] }));
  const op = { automation: new Array(R).fill(true), manualBrake: new Array<{ by: string; reason: string } | null>(R).fill(null) };
  const budget = topology.rows.map((r) => r.budgetKW);
  /** One second: every row at `pct` % of its budget. */
  const step = (pct: number, t: number) =>
    rows.step({ rowBudgetKW: budget, rowW: budget.map((b) => b * 10 * pct), rowMaxTempC: new Array(R).fill(50), rackInletC: new Array(topology.racks.length).fill(22) }, op, t * 1000, false);
  return { rows, step, arbiter };
}

describe('Headroom vs POLCA on the same rows', () => {
  it('training waves to 93 %: POLCA keeps the high-priority job locked; Headroom, once it has learnt the row, does not', () => {
    // From the console's start (no history: both behave as POLCA) for an hour; a high-priority lock lowers the crest
    // to 86 %. Counted after the first 10 minutes.
    const locked = { polca: 0, headroom: 0 };
    for (const c of ['polca', 'headroom'] as const) {
      const { rows, step } = rig(c);
      for (let t = 1; t <= 3600; t++) {
        const high = !Number.isNaN(rows.polca[0]!.highSinceMs);
        step(t % 12 < 9 ? (high ? 86 : 93) : 55, t);
        if (t > 600 && !Number.isNaN(rows.polca[0]!.highSinceMs)) locked[c]++;
      }
    }
    expect(locked.polca).toBe(3000);
    expect(locked.headroom).toBe(0);
  });

  it('bursts that climb 20 points within a lock latency: Headroom has T2 in place before the crest, POLCA only at it', () => {
    const first = { polca: NaN, headroom: NaN };
    for (const c of ['polca', 'headroom'] as const) {
      const { rows, step } = rig(c);
      // 20 min of a row swinging 60 → 80 % every 5 min (learnt), then a slow climb to 95 %.
      let t = 0;
      for (; t < 1200; t++) step(t % 300 < 200 ? 60 : 80, t);
      for (let k = 0; k < 300 && Number.isNaN(first[c]); k++, t++) {
        const pct = 70 + (25 * k) / 300;
        step(pct, t);
        if (rows.polca[0]!.stage === 't2') first[c] = pct;
      }
    }
    expect(first.polca).toBeGreaterThan(89);
    // Learnt rise 20 → T2 at an envelope of 89 + 11 − 2 − 20 = 78 %, with the 80 % crests of the learning phase in it.
    expect(first.headroom).toBeLessThan(80);
  });
});
