import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Arbiter } from '../../../../main/core/control/arbiter.js';
import { previewAction } from '../../../../main/core/control/preview.js';
import { powerAt } from '../../../../main/core/physics.js';
import { H100 } from '../../../helpers.js';

const N = 4;
const gpuModel = new Int32Array(N);
const models = [H100];

function rig(powerW: number[], clockMHz = [1980, 1980, 1980, 1980]) {
  const a = new Arbiter(N);
  const auto = a.addLayer('POLCA', 'auto');
  const manual = a.addLayer('override', 'manual');
  const live = { powerW: Float64Array.from(powerW), clockMHz: Float64Array.from(clockMHz), limitW: new Float64Array(N).fill(700) };
  return { a, auto, manual, live };
}

describe('override preview', () => {
  it('a power cap: min(reading, cap); out-of-range values are clamped and counted', () => {
    const { a, live } = rig([600, 300, 650, 100]);
    expect(previewAction([0, 1, 2], { kind: 'powerCap', watts: 500 }, models, gpuModel, live, a)).toEqual({ gpus: 3, currentW: 1550, afterW: 1300, deltaW: -250, clamped: 0 });
    expect(previewAction([0], { kind: 'powerCap', watts: 50 }, models, gpuModel, live, a)).toMatchObject({ afterW: H100.minLimitW, clamped: 1 });
  });

  it('a clock lock: power at the locked clock from the inferred activity', () => {
    const p = powerAt(H100, 0.8, 1980);
    const { a, live } = rig([p, p, p, p]);
    const r = previewAction([0], { kind: 'clockLock', mhz: 1500 }, models, gpuModel, live, a);
    expect(r.afterW).toBeCloseTo(powerAt(H100, 0.8, 1500), 1);
  });

  it('exempt: a GPU losing its automatic lock runs at the lock that remains (or unlocked); others are unchanged', () => {
    const p = powerAt(H100, 0.8, 1500);
    const { a, auto, manual, live } = rig([p, p, p, p], [1500, 1500, 1500, 1500]);
    auto.lockMHz.fill(1500);
    manual.lockMHz[1] = 1400; // the manual lock wins on GPU 1: not automatic, unchanged
    manual.lockMHz[2] = 1700; // remains on GPU 2 once the automatic lock goes
    a.decide();
    const r = (g: number) => previewAction([g], { kind: 'exempt' }, models, gpuModel, live, a).afterW;
    expect(r(0)).toBeCloseTo(powerAt(H100, 0.8, 1980), 1);
    expect(r(1)).toBeCloseTo(p, 1);
    expect(r(2)).toBeCloseTo(powerAt(H100, 0.8, 1700), 1);
  });

  it('property: a cap or lock never raises the estimate; exempt never lowers it', () => {
    const reading = fc.record({ p: fc.double({ min: 0, max: 750, noNaN: true }), f: fc.double({ min: 0, max: 1980, noNaN: true }) });
    fc.assert(
      fc.property(fc.array(reading, { minLength: N, maxLength: N }), fc.integer({ min: 0, max: 2500 }), (rs, v) => {
        const { a, auto, live } = rig(rs.map((x) => x.p), rs.map((x) => x.f));
        auto.lockMHz.fill(1200);
        a.decide();
        const all = [0, 1, 2, 3];
        for (const action of [{ kind: 'powerCap', watts: v }, { kind: 'clockLock', mhz: v }] as const) {
          const r = previewAction(all, action, models, gpuModel, live, a);
          expect(r.afterW).toBeLessThanOrEqual(r.currentW);
        }
        const ex = previewAction(all, { kind: 'exempt' }, models, gpuModel, live, a);
        expect(ex.afterW).toBeGreaterThanOrEqual(ex.currentW);
      }),
      { numRuns: 300 },
    );
  });

  it('a clock lock out of the model range is clamped and counted per GPU', () => {
    const { a, live } = rig([600, 600, 600, 600]);
    expect(previewAction([0, 1], { kind: 'clockLock', mhz: 5000 }, models, gpuModel, live, a).clamped).toBe(2);
    expect(previewAction([0, 1, 2], { kind: 'clockLock', mhz: 100 }, models, gpuModel, live, a).clamped).toBe(3);
    expect(previewAction([0, 1], { kind: 'clockLock', mhz: 1500 }, models, gpuModel, live, a).clamped).toBe(0);
  });

  it('exempt: the lock that remains is the lowest of every non-automatic layer (0: none); a GPU locked by another source is unchanged', () => {
    const a = new Arbiter(2);
    const auto = a.addLayer('POLCA', 'auto');
    const layers = [a.addLayer('override', 'manual'), a.addLayer('playbook', 'emergency'), a.addLayer('thermal', 'emergency'), a.addLayer('brake', 'emergency')];
    auto.lockMHz.fill(1000);
    [1500, 1200, 1400, 0].forEach((v, i) => (layers[i]!.lockMHz[0] = v));
    // GPU 1: the manual lock (1500) wins over the automatic one (1600); its reading (1000 MHz) is below both.
    auto.lockMHz[1] = 1600;
    layers[0]!.lockMHz[1] = 1500;
    a.decide();
    const p = powerAt(H100, 0.8, 1000);
    const live = { powerW: [p, p], clockMHz: [1000, 1000], limitW: [700, 700] };
    expect(previewAction([0], { kind: 'exempt' }, models, new Int32Array(2), live, a).afterW).toBeCloseTo(powerAt(H100, 0.8, 1200), 1);
    expect(previewAction([1], { kind: 'exempt' }, models, new Int32Array(2), live, a)).toMatchObject({ afterW: Math.round(p * 10) / 10, deltaW: 0 });
  });
});
