import { beforeAll, describe, expect, it } from 'vitest';
import { CH, type Channel } from '../../../../main/core/control/actuation.js';
import { FAULT, randomSchedule, scheduleSeed, type FaultSchedule } from '../../../fixtures/faultSchedules.js';
import { FaultPlant } from '../../../fixtures/faultPlant.js';
import { BOUNDS, runSchedule } from '../../../fixtures/faultCheck.js';
import { runRange, violations, type Tally } from '../../../../soak/closedLoop.js';

/**
 * The closed loop under random fault schedules, at small counts: the checker of `npm run soak`'s closedLoop part
 * (soak/closedLoop.ts, test/fixtures/faultPlant.ts) on 300 seeded schedules, and planted faults proving each of its
 * checks can fail. The planted faults live here, never in main/.
 */

const SEED = 11;
const RUNS = 300;

/** A hand-made schedule: no faults unless given. */
function schedule(ticks: number, demand: (k: number) => number, over: Partial<FaultSchedule> = {}): FaultSchedule {
  return {
    seed: 0,
    ticks,
    demand: Float64Array.from({ length: ticks }, (_, k) => demand(k)),
    capPath: 'inBand',
    loss: null,
    stalls: [],
    silences: [],
    failures: [],
    delays: [],
    brakePathFailsAt: null,
    renewPhase: 0,
    ...over,
  };
}

describe('closed loop under random fault schedules (soak/closedLoop.ts at 300 schedules)', () => {
  let t: Tally;
  beforeAll(() => {
    t = runRange(SEED, 0, RUNS);
    console.log(
      `closed loop under faults: ${t.runs} schedules, ${t.ticks} ticks, ${t.overTicks} above the budget; ` +
        `brake bound: ${t.brakeStretches} stretches, worst ${t.worstBrakeStretch} ticks, ${t.brakeBound} over (${t.brakeBoundUndercount} while the stale engine undercounted); ` +
        `lease bound: ${t.leaseStretches} stretches, worst ${t.worstLeaseStretch} ticks, ${t.leaseBound} over (${t.leaseBoundUndercount} undercounting); ` +
        `stale releases ${t.staleRelease}, stale re-sends ${t.staleResend} (${t.staleResendReapply} after a lapse), bad commands ${t.badCommand}`,
    );
  }, 300_000);

  it('the schedules exercise every fault and both bounds', () => {
    expect(t.runs).toBe(RUNS);
    expect(t.brakeStretches).toBeGreaterThan(100);
    expect(t.leaseStretches).toBeGreaterThan(20);
    expect(t.brakePathFailed).toBeGreaterThan(20);
    expect(t.lostCommands).toBeGreaterThan(0);
    expect(t.lapses).toBeGreaterThan(0);
  });

  it('no release decided on stale data (per GPU, limit / lock / brake), no command outside the device limits', () => {
    expect(t.examples.filter((e) => e.kind === 'staleRelease' || e.kind === 'badCommand')).toEqual([]);
    expect([t.staleRelease, t.badCommand]).toEqual([0, 0]);
  });

  it('over-budget stretches within their bounds: brake latency + delay + 1 tick while the brake path works, lease + interval when it fails', () => {
    expect([t.brakeBound, t.leaseBound]).toEqual([0, 0]);
    expect(t.worstBrakeExcessClean).toBeLessThanOrEqual(0);
    expect(t.worstLeaseExcessClean).toBeLessThanOrEqual(0);
  });

  it('no re-send loosens a GPU its console saw stale (the control service\'s reconcile, the fleet actuator\'s re-apply)', () => {
    expect([t.staleResend, t.staleResendReapply]).toEqual([0, 0]);
  });

  // The soak found two bugs this checks: (A) a silent source's GPUs counted at their last reported limit, not their
  // maximum (engine.ts markStale), so a raise landing during the silence went unseen; (B) the fleet actuator re-applied
  // a lapsed host's setpoints while its readings were stale (agentActuator.ts reapply). Both fixed.
  it('every check holds on every schedule', () => {
    expect(violations(t)).toBe(0);
  });
});

describe('closed loop: the checker fails on planted faults', () => {
  it('schedules are reproducible from their seed', () => {
    const seed = scheduleSeed(SEED, 7);
    expect(randomSchedule(seed)).toEqual(randomSchedule(seed));
    expect(runSchedule(randomSchedule(seed))).toEqual(runSchedule(randomSchedule(seed)));
  });

  it('the fixture refuses safe caps that do not fit the lowest budget', () => {
    expect(() => new FaultPlant(schedule(10, () => 0), { safeCapW: 400 })).toThrow(/does not fit/);
  });

  // Full demand for 60 s (brake, locks), then a light load on a raised budget while host 3 is silent: POLCA releases
  // the row; the actuation must hold host 3's GPUs until they are fresh.
  const partial = schedule(200, (k) => (k < 60 ? 1.1 : 0.05), { silences: [{ host: 3, at: 60, len: 120 }] });

  it('(a) an actuation that releases on stale data is counted, per GPU', () => {
    const honest = runSchedule(partial);
    expect(honest.staleRelease).toBe(0);
    const r = runSchedule(partial, {
      patch: (control) => {
        const A = control.actuation;
        const step = A.step.bind(A);
        // Planted: the stale hold ignored (no holdReleases, no per-GPU flags).
        A.step = (nowMs, d, sink, onIssue) => step(nowMs, d, sink, onIssue, {});
      },
    });
    expect(r.staleRelease).toBeGreaterThan(0);
    const host3 = new Set(r.examples.filter((e) => e.kind === 'staleRelease').map((e) => e.gpu));
    expect([...host3].every((g) => g >= 24 && g < 32)).toBe(true);
  });

  // Low demand, then from tick 30 full demand (148 % of the budget) while every command to every host is lost.
  const failed = schedule(120, (k) => (k < 30 ? 0.3 : 1.1), { brakePathFailsAt: 30 });

  it('(b) with the brake path failed, safe caps that fit the budget end the stretch within lease + interval; safe caps that do not, do not', () => {
    const fit = runSchedule(failed);
    expect(fit.leaseStretches).toBeGreaterThan(0);
    expect([fit.leaseBound, fit.brakeBound]).toEqual([0, 0]);
    expect(fit.worstLeaseStretch).toBeLessThanOrEqual(BOUNDS.leaseBound);
    expect(fit.lapses).toBe(FAULT.hosts);
    // Planted: a safe cap at the GPUs' max limit (no cap at all).
    const unsafe = runSchedule(failed, { safeCapW: 700, unsafeSafeCap: true });
    expect(unsafe.leaseBound).toBeGreaterThan(0);
    expect(unsafe.worstLeaseStretch).toBeGreaterThan(BOUNDS.leaseBound);
    expect(unsafe.examples.find((e) => e.kind === 'leaseBound')?.detail).toMatch(/from the command path's failure at tick/);
  });

  it('(c) a command outside the device limits is counted', () => {
    const high = schedule(60, () => 1.1);
    expect(runSchedule(high).badCommand).toBe(0);
    const r = runSchedule(high, {
      patch: (control) => {
        const A = control.actuation;
        const target = A.target.bind(A);
        // Planted: clock locks a tenth of what was asked, below the GPU's minimum clock, not clamped.
        A.target = (g: number, ch: Channel, desired: number) => (ch === CH.lock && desired > 0 ? desired / 10 : target(g, ch, desired));
      },
    });
    expect(r.badCommand).toBeGreaterThan(0);
    expect(r.examples.find((e) => e.kind === 'badCommand')?.detail).toMatch(/clock lock .* outside/);
  });

  it('(e) a fleet actuator that re-applies a lapsed host while it reads stale loosens it: counted', () => {
    // The soak's schedule 1648629602: commands to host 1 lost from tick 15 to 34 (its lease lapses to the 240 W safe
    // cap at 27), the whole source silent from 36; the renewal at 36 re-applies host 1's setpoints (700 W).
    const lapse = randomSchedule(1648629602);
    expect(runSchedule(lapse).staleResendReapply).toBe(0);
    const r = runSchedule(lapse, { looseReapply: true });
    expect(r.staleResendReapply).toBeGreaterThan(0);
    // The soak's schedule 4103529763: a lock release lost (the agent kept 1188 MHz), then a full re-apply to the stale
    // host carried the 1833 MHz lock — a release too. Locks are held while a host is stale.
    const lock = randomSchedule(4103529763);
    expect(runSchedule(lock).staleResend).toBe(0);
  });

  it('(d) a brake that never reaches the GPUs, brake path otherwise working, breaks the brake bound', () => {
    const spike = schedule(60, (k) => (k < 10 ? 0.3 : 1.1));
    const honest = runSchedule(spike);
    expect(honest.brakeStretches).toBeGreaterThan(0);
    expect(honest.brakeBound).toBe(0);
    expect(honest.worstBrakeStretch).toBeLessThanOrEqual(6);
    // Planted: brake commands dropped by the actuator (no loss event: the path looks healthy).
    const r = runSchedule(spike, { patch: (_c, plant) => (plant.setBrake = () => {}) });
    expect(r.brakeBound).toBeGreaterThan(0);
  });
});
