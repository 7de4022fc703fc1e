import { describe, expect, it } from 'vitest';
import { PlaybookSchema, PolcaConfigSchema } from '../../../../shared/domain/control.js';
import { Arbiter } from '../../../../main/core/control/arbiter.js';
import type { PlaybookState } from '../../../../main/core/control/playbooks.js';
import { clockCapsFor, initialPolcaState, type PolcaRowState } from '../../../../main/core/control/polca.js';
import { drawRow, rowBrakeWanted } from '../../../../main/core/control/rowLayers.js';
import { A100, H100 } from '../../../helpers.js';

/**
 * A row's layers as drawn from its controller state: POLCA's lock per GPU model and priority with the reason an
 * operator reads (stage, threshold, where the caps came from), the POLCA brake, a redraw that clears the previous
 * drawing; and whether anything asks for the row's brake.
 */

const N = 8;
// GPUs 0–3 H100 (derived caps 1790 / 1559 / 1833 MHz), 4–7 A100 (the paper's 1275 / 1110 / 1305 MHz); odd GPUs high priority.
const fleet = { models: [H100, A100], gpuModel: Int32Array.from({ length: N }, (_, g) => (g < 4 ? 0 : 1)), priorities: Uint8Array.from({ length: N }, (_, g) => g % 2) };
const config = PolcaConfigSchema.parse({});
/** Built inside each test (not at collection time): the code under test runs within the test that checks it. */
const caps = () => fleet.models.map((m) => clockCapsFor(m, config));
const at = (over: Partial<PolcaRowState>): PolcaRowState => ({ ...initialPolcaState(0), ...over });
const T1 = () => at({ stage: 't1', t1SinceMs: 0 });
const T2 = () => at({ stage: 't2', t1SinceMs: 0, t2SinceMs: 0 });
const T2_HIGH = () => ({ ...T2(), highSinceMs: 0 });
const BRAKE = () => at({ stage: 'brake', t1SinceMs: 0, t2SinceMs: 0, highSinceMs: 0, brakeSinceMs: 0 });

function rig() {
  const a = new Arbiter(N);
  const L = { polca: a.addLayer('POLCA', 'auto'), polcaBrake: a.addLayer('POLCA brake', 'emergency'), playbooks: a.addLayer('playbook', 'emergency'), manualBrake: a.addLayer('manual brake', 'emergency') };
  const draw = (polca: PolcaRowState, manualBrake: { by: string; reason: string } | null = null) =>
    drawRow(L, fleet, { id: 'R', from: 0, to: N }, { polca, config, caps: caps(), manualBrake, playbooks: [], states: [] }, (t) => a.why(t));
  const why = (col: Int32Array) => Array.from(col, (i) => a.whyOf(i));
  return { a, L, draw, why };
}

describe('row layers: POLCA', () => {
  it('T1 locks low-priority GPUs to their model’s T1 cap, with the threshold and the caps’ origin in the reason', () => {
    const r = rig();
    r.draw(T1());
    expect(Array.from(r.L.polca.lockMHz)).toEqual([1790, 0, 1790, 0, 1275, 0, 1275, 0]);
    expect(r.why(r.L.polca.lockWhy)).toEqual([
      'POLCA T1 (80 %) on row R: low-priority GPU → 1790 MHz (derived from max clock)',
      '',
      'POLCA T1 (80 %) on row R: low-priority GPU → 1790 MHz (derived from max clock)',
      '',
      'POLCA T1 (80 %) on row R: low-priority GPU → 1275 MHz (POLCA paper)',
      '',
      'POLCA T1 (80 %) on row R: low-priority GPU → 1275 MHz (POLCA paper)',
      '',
    ]);
  });

  it('T2 locks low-priority GPUs to their T2 cap, then high-priority ones, each reason naming T2', () => {
    const r = rig();
    r.draw(T2());
    expect(Array.from(r.L.polca.lockMHz)).toEqual([1559, 0, 1559, 0, 1110, 0, 1110, 0]);
    expect(r.why(r.L.polca.lockWhy)[0]).toBe('POLCA T2 (89 %) on row R: low-priority GPU → 1559 MHz (derived from max clock)');
    r.draw(T2_HIGH());
    expect(Array.from(r.L.polca.lockMHz)).toEqual([1559, 1833, 1559, 1833, 1110, 1305, 1110, 1305]);
    const why = r.why(r.L.polca.lockWhy);
    expect(why[1]).toBe('POLCA T2 on row R: high-priority GPU, row still above T2 (89 %) after the low-priority locks → 1833 MHz (derived from max clock)');
    expect(why[5]).toBe('POLCA T2 on row R: high-priority GPU, row still above T2 (89 %) after the low-priority locks → 1305 MHz (POLCA paper)');
    expect(Array.from(r.L.polcaBrake.brake)).toEqual(new Array(N).fill(0));
  });

  it('the brake stage keeps the T2 locks and brakes every GPU of the row, saying why', () => {
    const r = rig();
    r.draw(BRAKE());
    expect(Array.from(r.L.polca.lockMHz)).toEqual([1559, 1833, 1559, 1833, 1110, 1305, 1110, 1305]);
    expect(r.why(r.L.polca.lockWhy)[0]).toMatch(/^POLCA T2 \(89 %\) on row R: low-priority GPU/);
    expect(Array.from(r.L.polcaBrake.brake)).toEqual(new Array(N).fill(1));
    expect(r.why(r.L.polcaBrake.brakeWhy)).toEqual(new Array(N).fill('POLCA brake on row R: row power above 100 % of its budget'));
  });

  it('a redraw clears what the previous drawing put in every layer of the row', () => {
    const r = rig();
    r.draw(BRAKE(), { by: 'alice', reason: 'maintenance' });
    expect(Array.from(r.L.manualBrake.brake)).toEqual(new Array(N).fill(1));
    r.draw(initialPolcaState(0));
    for (const ly of [r.L.polca, r.L.polcaBrake, r.L.manualBrake]) {
      expect([...ly.lockMHz, ...ly.brake, ...ly.lockWhy, ...ly.brakeWhy].every((x) => x === 0)).toBe(true);
    }
  });
});

describe('row layers: is the row brake wanted', () => {
  const brakePb = PlaybookSchema.parse({ id: 'b', trigger: { kind: 'thermal' }, stages: [{ action: { kind: 'clockCap', mhzPctOfMax: 70 } }, { action: { kind: 'brake' } }] });
  const capPb = PlaybookSchema.parse({ id: 'c', trigger: { kind: 'thermal' }, stages: [{ action: { kind: 'clockCap', mhzPctOfMax: 70 } }] });
  const state = (active: boolean, since: number[]): PlaybookState => ({ active, startedMs: 0, stageSinceMs: since, lastTriggerMs: 0, recent: [] });

  it('by the POLCA brake stage, a manual brake, or an engaged brake stage of any playbook; nothing else', () => {
    expect(rowBrakeWanted(BRAKE(), false, [], [])).toBe(true);
    expect(rowBrakeWanted(T2_HIGH(), false, [], [])).toBe(false);
    expect(rowBrakeWanted(initialPolcaState(0), true, [], [])).toBe(true);
    expect(rowBrakeWanted(initialPolcaState(0), false, [capPb, brakePb], [state(true, [0]), state(true, [0, 0])])).toBe(true);
    expect(rowBrakeWanted(initialPolcaState(0), false, [capPb, brakePb], [state(true, [0]), state(true, [0, NaN])])).toBe(false);
    expect(rowBrakeWanted(initialPolcaState(0), false, [brakePb], [state(false, [NaN, NaN])])).toBe(false);
  });
});
