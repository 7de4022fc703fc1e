import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ActuationConfigSchema } from '../../../../shared/domain/control.js';
import { SampleFlag } from '../../../../shared/domain/fleet.js';
import { Actuation, CH, type Channel } from '../../../../main/core/control/actuation.js';
import { Arbiter } from '../../../../main/core/control/arbiter.js';
import { A100, H100 } from '../../../helpers.js';

/**
 * "Automation never uncaps on stale data", on every channel the actuation issues (power limit, clock lock, brake):
 * while the telemetry is stale (holdReleases) no release is issued to any GPU, and while one GPU's own reading is
 * stale (its flags: a silent host among fresh ones) none is issued to it — whatever the arbiter asks. Caps still go
 * out at once in both cases, and the fresh GPUs are released normally.
 */
const N = 6;
const loosens = (c: number, before: number, after: number) => (c === CH.brake ? before === 1 && after === 0 : c === CH.lock ? before > 0 && (after === 0 || after > before) : after > before);

describe('actuation: no release on stale data, on any channel', () => {
  it('property: random decisions, global and per-GPU stale windows: no channel of a stale GPU ever loosens; every channel is released when fresh', () => {
    const released = [0, 0, 0];
    const held = [0, 0, 0];
    const step = fc.record({
      limit: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 100, max: 800 })), { minLength: N, maxLength: N }),
      lock: fc.array(fc.oneof(fc.constant(0), fc.integer({ min: 200, max: 2100 })), { minLength: N, maxLength: N }),
      brake: fc.array(fc.boolean(), { minLength: N, maxLength: N }),
      len: fc.integer({ min: 1, max: 40 }),
      allStale: fc.boolean(),
      staleGpus: fc.array(fc.boolean(), { minLength: N, maxLength: N }),
    });
    fc.assert(
      fc.property(fc.array(step, { minLength: 1, maxLength: 12 }), fc.constantFrom('outOfBand' as const, 'inBand' as const), (steps, capPath) => {
        const arb = new Arbiter(N);
        const layer = arb.addLayer('test', 'auto');
        const act = new Actuation(N, Int32Array.from({ length: N }, (_, g) => g % 2), [H100, A100], ActuationConfigSchema.parse({ capPath }));
        const sink = { apply: (_g: number, _c: Channel, _v: number) => {} };
        const flags = new Uint32Array(N);
        let t = 0;
        for (const s of steps) {
          for (let g = 0; g < N; g++) {
            layer.limitW[g] = s.limit[g]!;
            layer.lockMHz[g] = s.lock[g]!;
            layer.brake[g] = s.brake[g] ? 1 : 0;
            flags[g] = s.staleGpus[g] ? SampleFlag.stale : 0;
          }
          arb.decide();
          for (let k = 0; k < s.len; k++) {
            t += 1000;
            const before = act.req.map((a) => Float64Array.from(a));
            act.step(t, arb.out, sink, undefined, { holdReleases: s.allStale, flags });
            for (let g = 0; g < N; g++) {
              const stale = s.allStale || s.staleGpus[g]!;
              for (let c = 0; c < 3; c++) {
                const wantLoosen = loosens(c, before[c]![g]!, act.target(g, c as Channel, c === CH.limit ? arb.out.limitW[g]! : c === CH.lock ? arb.out.lockMHz[g]! : arb.out.brake[g]!));
                if (loosens(c, before[c]![g]!, act.req[c]![g]!)) {
                  if (stale) expect.fail(`t=${t}: GPU ${g} channel ${c} released on stale data: ${before[c]![g]} → ${act.req[c]![g]}`);
                  released[c]!++;
                } else if (stale && wantLoosen) held[c]!++;
              }
            }
          }
        }
      }),
      { numRuns: 400, seed: 99 },
    );
    // Every channel was both released (fresh) and held back (stale) many times: the check above is not vacuous.
    for (let c = 0; c < 3; c++) {
      expect(released[c], `channel ${c} released`).toBeGreaterThan(100);
      expect(held[c], `channel ${c} held`).toBeGreaterThan(100);
    }
  });

  it('a stale GPU keeps its caps while its fresh neighbours are released; tightening is never held', () => {
    const arb = new Arbiter(2);
    const layer = arb.addLayer('test', 'auto');
    const act = new Actuation(2, new Int32Array(2), [H100], ActuationConfigSchema.parse({ capPath: 'inBand' }));
    const sink = { apply: () => {} };
    const flags = new Uint32Array(2);
    for (const g of [0, 1]) {
      layer.limitW[g] = 300;
      layer.lockMHz[g] = 1000;
      layer.brake[g] = 1;
    }
    arb.decide();
    act.step(1000, arb.out, sink, undefined, { flags });
    flags[1] = SampleFlag.stale | SampleFlag.invalid;
    // Caps still go out to a stale GPU (a tighter lock).
    layer.lockMHz[1] = 900;
    arb.decide();
    let t = 1000;
    for (; t < 60_000; t += 1000) act.step(t, arb.out, sink, undefined, { flags });
    expect([act.req[CH.limit][1], act.req[CH.lock][1], act.req[CH.brake][1]]).toEqual([300, 900, 1]);
    for (const g of [0, 1]) {
      layer.limitW[g] = 0;
      layer.lockMHz[g] = 0;
      layer.brake[g] = 0;
    }
    arb.decide();
    for (; t < 120_000; t += 1000) act.step(t, arb.out, sink, undefined, { flags });
    expect([act.req[CH.limit][0], act.req[CH.lock][0], act.req[CH.brake][0]]).toEqual([H100.defaultLimitW, 0, 0]);
    expect([act.req[CH.limit][1], act.req[CH.lock][1], act.req[CH.brake][1]]).toEqual([300, 900, 1]);
    // Fresh again, it is released.
    flags[1] = 0;
    for (; t < 180_000; t += 1000) act.step(t, arb.out, sink, undefined, { flags });
    expect([act.req[CH.limit][1], act.req[CH.lock][1], act.req[CH.brake][1]]).toEqual([H100.defaultLimitW, 0, 0]);
  });
});
