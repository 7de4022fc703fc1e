import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PlaybookSchema, type Playbook } from '../../../../shared/domain/control.js';
import { Arbiter } from '../../../../main/core/control/arbiter.js';
import { drawPlaybooks, playbookCapValue } from '../../../../main/core/control/playbookLayer.js';
import type { PlaybookState } from '../../../../main/core/control/playbooks.js';
import { A100, H100 } from '../../../helpers.js';

const models = [H100, A100];
const N = 8;
// GPUs 0–3 H100, 4–7 A100; odd GPUs high priority.
const fleet = { models, gpuModel: Int32Array.from({ length: N }, (_, g) => (g < 4 ? 0 : 1)), priorities: Uint8Array.from({ length: N }, (_, g) => g % 2) };
const row = { id: 'R', from: 0, to: N };

/** Every stage engaged (or none with `active` false). */
const engaged = (pb: Playbook, active = true): PlaybookState => ({ active, startedMs: 0, stageSinceMs: pb.stages.map(() => (active ? 0 : NaN)), lastTriggerMs: 0, recent: [] });

function draw(pbs: Playbook[], states = pbs.map((pb) => engaged(pb))) {
  const a = new Arbiter(N);
  const layer = a.addLayer('playbook', 'emergency');
  const shown = drawPlaybooks(layer, fleet, row, pbs, states, (t) => a.why(t));
  return { a, layer, shown };
}

const capAction = fc.oneof(
  fc.record({ kind: fc.constant('clockCap' as const), mhzPctOfMax: fc.integer({ min: 5, max: 100 }), priority: fc.constantFrom('low' as const, 'all' as const) }),
  fc.record({ kind: fc.constant('powerCap' as const), pctOfMaxLimit: fc.integer({ min: 5, max: 100 }), priority: fc.constantFrom('low' as const, 'all' as const) }),
);
const playbooks = fc.array(fc.array(capAction, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 3 }).map((xs) =>
  xs.map((actions, i) => PlaybookSchema.parse({ id: `pb${i}`, trigger: { kind: 'thermal' }, stages: actions.map((action) => ({ action })) })),
);

describe('playbook contributions', () => {
  it('cap values: % of the model maximum, rounded, never below the model minimum', () => {
    expect(playbookCapValue({ kind: 'clockCap', mhzPctOfMax: 79, priority: 'low' }, H100)).toBe(Math.round(0.79 * 1980));
    expect(playbookCapValue({ kind: 'clockCap', mhzPctOfMax: 5, priority: 'all' }, H100)).toBe(H100.minClockMHz);
    expect(playbookCapValue({ kind: 'powerCap', pctOfMaxLimit: 60, priority: 'all' }, A100)).toBe(240);
    expect(playbookCapValue({ kind: 'powerCap', pctOfMaxLimit: 5, priority: 'all' }, A100)).toBe(A100.minLimitW);
  });

  it('property: per GPU and channel the lowest engaged value wins, low-priority actions skip high-priority GPUs', () => {
    fc.assert(
      fc.property(playbooks, (pbs) => {
        const { layer } = draw(pbs);
        for (let g = 0; g < N; g++) {
          const m = models[fleet.gpuModel[g]!]!;
          const asks = pbs.flatMap((pb) => pb.stages.map((s) => s.action)).filter((a) => a.kind !== 'brake' && (a.priority === 'all' || fleet.priorities[g] === 0));
          for (const [kind, col, min] of [
            ['clockCap', layer.lockMHz, m.minClockMHz],
            ['powerCap', layer.limitW, m.minLimitW],
          ] as const) {
            const values = asks.filter((a) => a.kind === kind).map((a) => playbookCapValue(a as Exclude<typeof a, { kind: 'brake' }>, m));
            expect(col[g]).toBe(values.length ? Math.min(...values) : 0);
            if (values.length) expect(col[g]).toBeGreaterThanOrEqual(min);
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it('only active playbooks contribute; a brake covers the row; a load-spike playbook is shown only while it acts', () => {
    const brake = PlaybookSchema.parse({ id: 'b', trigger: { kind: 'powerBudgetLoss' }, stages: [{ action: { kind: 'brake' } }] });
    const idle = PlaybookSchema.parse({ id: 'idle', trigger: { kind: 'thermal' }, stages: [{ action: { kind: 'clockCap', mhzPctOfMax: 50 } }] });
    const spike = PlaybookSchema.parse({ id: 'spike', trigger: { kind: 'loadSpike', pctPerS: 2 }, stages: [{ action: { kind: 'clockCap', mhzPctOfMax: 79, priority: 'low' } }] });
    const { a, layer, shown } = draw([brake, idle, spike], [engaged(brake), engaged(idle, false), { ...engaged(spike), stageSinceMs: [NaN] }]);
    expect(Array.from(layer.brake)).toEqual(new Array(N).fill(1));
    expect(a.whyOf(layer.brakeWhy[0]!)).toBe('playbook b on row R, stage 1: power brake');
    expect(Array.from(layer.lockMHz)).toEqual(new Array(N).fill(0));
    expect(shown).toEqual(['b']);
    expect(draw([spike]).shown).toEqual(['spike']);
  });

  it("draws only the row's own GPUs; on equal values and brakes the first playbook is credited; shown while active or acting", () => {
    const cap = (id: string, kind: string) => PlaybookSchema.parse({ id, trigger: { kind, ...(kind === 'loadSpike' ? { pctPerS: 2 } : {}) }, stages: [{ action: { kind: 'clockCap', mhzPctOfMax: 60 } }, { action: { kind: 'brake' } }] });
    const [first, second] = [cap('first', 'thermal'), cap('second', 'thermal')];
    const a = new Arbiter(N);
    const layer = a.addLayer('playbook', 'emergency');
    drawPlaybooks(layer, fleet, { id: 'R', from: 0, to: 4 }, [first, second], [engaged(first), engaged(second)], (t) => a.why(t));
    expect(Array.from(layer.brake)).toEqual([1, 1, 1, 1, 0, 0, 0, 0]);
    expect(Array.from(layer.lockMHz)).toEqual([1188, 1188, 1188, 1188, 0, 0, 0, 0]);
    expect(a.whyOf(layer.brakeWhy[0]!)).toBe('playbook first on row R, stage 2: power brake');
    expect(a.whyOf(layer.lockWhy[3]!)).toBe('playbook first on row R, stage 1: clock cap at 60 % of max clock on all GPUs');
    // Active with no stage engaged: shown, except a load-spike playbook; one whose only engaged stage is a brake acts.
    const spike = cap('spike', 'loadSpike');
    const none = (pb: Playbook) => ({ ...engaged(pb), stageSinceMs: [NaN, NaN] });
    expect(draw([first, spike], [none(first), none(spike)]).shown).toEqual(['first']);
    expect(draw([spike], [{ ...engaged(spike), stageSinceMs: [NaN, 0] }]).shown).toEqual(['spike']);
  });
});
