import { describe, expect, it } from 'vitest';
import { PolicyConfigSchema } from '../../../../shared/domain/control.js';
import { initialPolcaState } from '../../../../main/core/control/polca.js';
import { rowSignature } from '../../../../main/core/control/rowLayers.js';
import { RowControllers, rowGpuSpans } from '../../../../main/core/control/rows.js';
import { defaultTopology, rowLayerRig } from '../../../helpers.js';

const topology = defaultTopology(1);
const n = topology.gpuCount;
const R = topology.rows.length;

function rig(automatic = true) {
  const { arbiter, layers } = rowLayerRig(n);
  const gpuModel = new Int32Array(n);
  const priorities = Uint8Array.from({ length: n }, (_, g) => g % 2);
  const spans = rowGpuSpans(topology);
  const rows = new RowControllers(topology, { models: topology.models, gpuModel, priorities }, spans, arbiter, layers, automatic, 0);
  rows.setPolicy(PolicyConfigSchema.parse({}));
  const budgetKW = topology.rows.map((r) => r.budgetKW);
  const readings = (pct: number[]) => ({ rowBudgetKW: budgetKW, rowW: budgetKW.map((b, r) => (b * 1000 * pct[r]!) / 100), rowMaxTempC: new Array(R).fill(60), rackInletC: new Array(topology.racks.length).fill(25) });
  const op = { automation: new Array(R).fill(true), manualBrake: new Array<{ by: string; reason: string } | null>(R).fill(null) };
  return { arbiter, layers, spans, rows, readings, op };
}

describe('row controllers', () => {
  it('row spans: contiguous GPU ranges covering the fleet', () => {
    const { start, end } = rowGpuSpans(topology);
    expect(start[0]).toBe(0);
    for (let r = 1; r < R; r++) expect(start[r]).toBe(end[r - 1]);
    expect(end[R - 1]).toBe(n);
  });

  it('a row above T1 locks its low-priority GPUs; only that row is redrawn; quiet steps change nothing', () => {
    const { arbiter, spans, rows, readings, op } = rig();
    const pct = [50, 50, 50, 85];
    expect(rows.step(readings(pct), op, 1000, false)).toBe(true); // first step draws every row
    expect(rows.step(readings(pct), op, 2000, false)).toBe(false);
    expect(rows.polca[3]!.stage).toBe('t1');
    const g = spans.start[3]!;
    expect(arbiter.out.lockMHz[g]).toBeGreaterThan(0); // low priority (even)
    expect(arbiter.out.lockMHz[g + 1]).toBe(0);
    expect(arbiter.whyOf(arbiter.out.lockWhy[g]!)).toMatch(/^POLCA T1 \(80 %\) on row D: low-priority GPU/);
    expect(arbiter.out.lockMHz[spans.start[2]!]).toBe(0);
  });

  it('a manual brake redraws the row and counts one engagement; brake-only mode has no caps and no playbooks', () => {
    const { arbiter, spans, rows, readings, op } = rig();
    rows.step(readings([50, 50, 50, 50]), op, 1000, false);
    op.manualBrake[1] = { by: 'alice', reason: 'test' };
    rows.invalidate(1);
    expect(rows.step(readings([50, 50, 50, 50]), op, 2000, false)).toBe(true);
    rows.step(readings([50, 50, 50, 50]), op, 3000, false);
    expect([rows.totalBrakes, rows.brakes[1], rows.brakeWanted[1]]).toEqual([1, 1, 1]);
    expect(arbiter.out.brake[spans.start[1]!]).toBe(1);
    expect(arbiter.whyOf(arbiter.out.brakeWhy[spans.start[1]!]!)).toBe('manual brake on row B by alice: test');

    const b = rig(false);
    b.rows.step(b.readings([85, 85, 85, 85]), b.op, 1000, false);
    expect(b.rows.playbooks).toEqual([]);
    expect(Array.from(b.arbiter.out.lockMHz).every((x) => x === 0)).toBe(true);
  });

  it('signature: stage, high-priority locks, manual brake, deep locks, shed recommendation and engaged stages', () => {
    const p = initialPolcaState(0);
    const pb = { active: true, startedMs: 0, stageSinceMs: [0, NaN], lastTriggerMs: 0, recent: [] };
    expect(rowSignature(p, [pb, { ...pb, active: false }], true)).toBe('normal|0|1|0|0|0|10|-');
    expect(rowSignature({ ...p, stage: 't2', highSinceMs: 5 }, [], false)).toBe('t2|1|0|0|0|0');
    // Headroom's deep lock, its low-priority deep step and a shed recommendation each redraw the row.
    expect(rowSignature({ ...p, stage: 't2', deepSinceMs: 5, lowDeepSinceMs: 5, shedServers: 3 }, [], false)).toBe('t2|0|0|1|1|3');
  });
});
