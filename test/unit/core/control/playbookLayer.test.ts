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
});
