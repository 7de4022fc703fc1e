import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ActuationConfigSchema } from '../../../../shared/domain/control.js';
import { ClockEvent, SampleFlag } from '../../../../shared/domain/fleet.js';
import { Actuation, type Channel, type Issued } from '../../../../main/core/control/actuation.js';
import { Arbiter } from '../../../../main/core/control/arbiter.js';
import { A100, H100 } from '../../../helpers.js';

const models = [H100, A100];
const N = 12;

/** One arbiter and actuation model, stepped either over every GPU or only where the arbiter re-decided. */
function rig(skip: boolean) {
  const arb = new Arbiter(N);
  const auto = arb.addLayer('POLCA', 'auto');
  const em = arb.addLayer('playbook', 'emergency');
  const gm = Int32Array.from({ length: N }, (_, g) => g % 2);
  const act = new Actuation(N, gm, models, ActuationConfigSchema.parse({ minChangeIntervalS: 5, outOfBandCapS: 3, brakeS: 2 }));
  const log: string[] = [];
  const sink = { apply: (g: number, ch: Channel, v: number) => log.push(`apply ${g} ${ch} ${v}`) };
  const onIssue = (c: Issued) => log.push(`issue ${c.gpu} ${c.ch} ${c.value} ${c.prev} ${c.source} ${c.effectAtMs}`);
  return { arb, auto, em, act, log, sink, onIssue, skip };
}
type Rig = ReturnType<typeof rig>;

const change = fc.record({
  from: fc.nat(N - 1),
  len: fc.integer({ min: 1, max: N }),
  layer: fc.constantFrom('auto', 'em'),
  lock: fc.constantFrom(0, 1000, 1400, 1755),
  limit: fc.constantFrom(0, 250, 400, 650),
  brake: fc.constantFrom(0, 1),
});
const tickPlan = fc.record({
  changes: fc.array(change, { maxLength: 2 }),
  hold: fc.boolean(),
  staleGpu: fc.option(fc.nat(N - 1), { nil: null }),
  /** Read-back a GPU reports (an agent that came up capped or braked: adopted where nothing was ever commanded). */
  readback: fc.option(fc.record({ gpu: fc.nat(N - 1), limitW: fc.constantFrom(300, 350), brake: fc.boolean() }), { nil: null }),
});

describe('actuation model: visiting only re-decided and unsettled GPUs', () => {
  it('issues, lands and reconciles exactly as visiting every GPU every step', () => {
    fc.assert(
      fc.property(fc.array(tickPlan, { minLength: 1, maxLength: 40 }), (plan) => {
        const rigs = [rig(false), rig(true)];
        plan.forEach((p, i) => {
          const nowMs = i * 1000;
          for (const r of rigs) step(r, p, nowMs);
        });
        const [full, skip] = rigs as [Rig, Rig];
        expect(skip.log).toEqual(full.log);
        for (let c = 0; c < 3; c++) {
          expect(Array.from(skip.act.req[c]!)).toEqual(Array.from(full.act.req[c]!));
          expect(Array.from(skip.act.eff[c]!)).toEqual(Array.from(full.act.eff[c]!));
        }
        expect(Array.from(skip.act.alarm)).toEqual(Array.from(full.act.alarm));
      }),
      { numRuns: 300 },
    );
  });
});

type TickPlan = typeof tickPlan extends fc.Arbitrary<infer T> ? T : never;

function step(r: Rig, p: TickPlan, nowMs: number): void {
  for (const c of p.changes) {
    const ly = c.layer === 'auto' ? r.auto : r.em;
    const to = Math.min(N, c.from + c.len);
    ly.lockMHz.fill(c.lock, c.from, to);
    ly.limitW.fill(c.limit, c.from, to);
    ly.brake.fill(c.brake, c.from, to);
    r.arb.decide(c.from, to);
  }
  // Read-back as the fleet reports it: the in-effect values, except one stale GPU and one reporting its own state.
  const limitW = Float64Array.from(r.act.eff[0]);
  const clockMHz = new Float64Array(N).fill(1000);
  const flags = Uint32Array.from(r.act.eff[2], (b) => (b === 1 ? ClockEvent.hwPowerBrake : 0));
  for (let g = 0; g < N; g++) if (r.act.eff[1][g]! > 0) flags[g] = flags[g]! | ClockEvent.clocksSetting;
  if (p.readback) {
    limitW[p.readback.gpu] = p.readback.limitW;
    if (p.readback.brake) flags[p.readback.gpu] = flags[p.readback.gpu]! | ClockEvent.hwPowerBrake;
  }
  if (p.staleGpu !== null) flags[p.staleGpu] = flags[p.staleGpu]! | SampleFlag.stale;
  r.act.reconcile(nowMs, { limitW, clockMHz, flags }, false, r.sink);
  const changed = r.arb.takeChanged();
  r.act.step(nowMs, r.arb.out, r.sink, r.onIssue, { holdReleases: p.hold, flags, ...(r.skip ? { changed } : {}) });
}
