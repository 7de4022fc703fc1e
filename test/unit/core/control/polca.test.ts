import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { PolcaConfigSchema } from '../../../../shared/domain/control.js';
import { clockCapsFor, initialPolcaState, polcaLockMHz, stepPolca, type PolcaRowState } from '../../../../main/core/control/polca.js';
import { A100, H100 } from '../../../helpers.js';

const cfg = PolcaConfigSchema.parse({});
const LAT = 40;
const step = (s: PolcaRowState, pct: number, tS: number, stale = false, timing = { capLatencyS: LAT }) =>
  stepPolca(cfg, { budgetKW: 100, powerW: pct * 1000, stale }, s, tS * 1000, timing);

describe('POLCA clock caps per GPU model', () => {
  it('A100: the paper values; H100: the same fraction of max clock; the policy overrides both', () => {
    expect(clockCapsFor(A100, cfg)).toEqual({ lowT1MHz: 1275, lowT2MHz: 1110, highT2MHz: 1305, origin: 'POLCA paper' });
    expect(clockCapsFor(H100, cfg)).toEqual({ lowT1MHz: 1790, lowT2MHz: 1559, highT2MHz: 1833, origin: 'derived from max clock' });
    const custom = PolcaConfigSchema.parse({ clockCaps: { 'H100-SXM': { lowT1MHz: 1700, lowT2MHz: 1500, highT2MHz: 5000 } } });
    expect(clockCapsFor(H100, custom)).toEqual({ lowT1MHz: 1700, lowT2MHz: 1500, highT2MHz: 1980, origin: 'policy config' });
  });
});

describe('POLCA row controller', () => {
  it('escalates T1 → T2 (low) → T2 (high, once the low locks landed and power is still above) → brake', () => {
    let s = initialPolcaState(0);
    s = step(s, 81, 1);
    expect(s.stage).toBe('t1');
    expect(polcaLockMHz(s, false, clockCapsFor(H100, cfg))).toBe(1790);
    expect(polcaLockMHz(s, true, clockCapsFor(H100, cfg))).toBe(0);
    s = step(s, 90, 2);
    expect(s.stage).toBe('t2');
    expect(polcaLockMHz(s, false, clockCapsFor(H100, cfg))).toBe(1559);
    expect(polcaLockMHz(s, true, clockCapsFor(H100, cfg))).toBe(0);
    s = step(s, 91, 2 + LAT - 1);
    expect(polcaLockMHz(s, true, clockCapsFor(H100, cfg))).toBe(0);
    s = step(s, 91, 2 + LAT);
    expect(polcaLockMHz(s, true, clockCapsFor(H100, cfg))).toBe(1833);
    s = step(s, 100.5, 50);
    expect(s.stage).toBe('brake');
  });

  it('releases with hysteresis, only after the hold, never on stale data', () => {
    let s = initialPolcaState(0);
    s = step(s, 85, 0); // T1 at t = 0
    for (let t = 1; t <= 100; t++) s = step(s, 77, t); // below T1 but not by 5 points
    expect(s.stage).toBe('t1');
    for (let t = 101; t <= 300; t++) s = step(s, 60, t, true); // stale: hold
    expect(s.stage).toBe('t1');
    let released = NaN;
    for (let t = 301; t <= 400 && Number.isNaN(released); t++) {
      s = step(s, 60, t);
      if (s.stage === 'normal') released = t;
    }
    expect(released).toBe(301 + cfg.minHoldS); // stayed below for minHoldS on fresh data
  });

  it('holds the brake until power stayed low brakeReleaseS AND the T2 locks have landed', () => {
    let s = initialPolcaState(0);
    s = step(s, 110, 0);
    expect(s.stage).toBe('brake');
    let t = 1;
    for (; t < 100 && s.stage === 'brake'; t++) s = step(s, 50, t);
    expect(t - 1).toBe(LAT); // caps engaged with the brake land at +40 s (> 10 s below)
    expect(s.stage).toBe('t2');
  });

  it('in-band locks (1 s) release the brake after brakeReleaseS', () => {
    let s = initialPolcaState(0);
    s = step(s, 110, 0, false, { capLatencyS: 1 });
    let t = 1;
    for (; t < 100 && s.stage === 'brake'; t++) s = step(s, 50, t, false, { capLatencyS: 1 });
    expect(t - 1).toBe(1 + cfg.brakeReleaseS);
  });

  it('treats unreadable power or budget as the worst case', () => {
    const s = stepPolca(cfg, { budgetKW: 0, powerW: 1000, stale: false }, initialPolcaState(0), 0, { capLatencyS: LAT });
    expect(s.stage).toBe('brake');
    const s2 = stepPolca(cfg, { budgetKW: 100, powerW: NaN, stale: false }, initialPolcaState(0), 0, { capLatencyS: LAT });
    expect(s2.stage).toBe('brake');
  });

  it('with caps disabled (automation paused) only the brake acts', () => {
    let s = step(initialPolcaState(0), 95, 0, false, { capLatencyS: LAT, capsEnabled: false } as never);
    expect(s.stage).toBe('normal');
    s = stepPolca(cfg, { budgetKW: 100, powerW: 101_000, stale: false }, s, 1000, { capLatencyS: LAT, capsEnabled: false });
    expect(s.stage).toBe('brake');
    expect(polcaLockMHz(s, false, clockCapsFor(H100, cfg))).toBe(0);
  });

  it('property: over random traces and stale windows — no release on stale data; a level releases only after power stayed below its release point (fresh) for minHoldS and its locks held minHoldS; brake at once above 100 %', () => {
    let runs = 0;
    let releases = 0;
    const holdMs = cfg.minHoldS * 1000;
    fc.assert(
      fc.property(
        fc.array(fc.record({ pct: fc.double({ min: 0, max: 130, noNaN: true }), len: fc.integer({ min: 1, max: 80 }), stale: fc.boolean() }), { minLength: 1, maxLength: 30 }),
        fc.constantFrom(1, 40),
        (segments, lat) => {
          runs++;
          let s = initialPolcaState(0);
          let t = 0;
          let lastBrakeRelease = -Infinity;
          // Every reading the controller saw, one per second from t = 1 s.
          const seen: Array<{ pct: number; stale: boolean }> = [];
          /**
           * The hold rule (polca.ts): at a release at `t`, every reading of the last `forMs` (both ends included: the
           * controller saw it below at t − forMs and at each tick since) was fresh and below `level` − hysteresis.
           */
          const stayedBelow = (level: number, forMs: number, what: string) => {
            const from = t - forMs / 1000;
            expect(from, `${what}: released ${t} s into the trace, before it could have stayed below for ${forMs} ms`).toBeGreaterThanOrEqual(1);
            for (let k = from; k <= t; k++) {
              const r = seen[k - 1]!;
              expect(r.stale, `${what} at ${t} s: reading at ${k} s was stale`).toBe(false);
              expect(r.pct, `${what} at ${t} s: reading at ${k} s`).toBeLessThan(level - cfg.releaseHysteresisPct);
            }
          };
          /** …and its locks were in effect (engaged + cap latency, and not under a brake) for minHoldS. */
          const heldLocks = (sinceMs: number, what: string) =>
            expect(t * 1000 - Math.max(sinceMs + lat * 1000, lastBrakeRelease), `${what}: locks in effect`).toBeGreaterThanOrEqual(holdMs);
          for (const seg of segments) {
            for (let k = 0; k < seg.len; k++) {
              t++;
              const jitter = ((t * 7919) % 11) - 5; // deterministic ripple on the segment level
              const pct = Math.max(0, seg.pct + jitter);
              seen.push({ pct, stale: seg.stale });
              const prev = s;
              s = stepPolca(cfg, { budgetKW: 100, powerW: pct * 1000, stale: seg.stale }, prev, t * 1000, { capLatencyS: lat });
              // (Checked with plain comparisons first: expect() on every one of ~10^5 steps dominates the run time.)
              if (pct > cfg.brakePct && s.stage !== 'brake') expect(s.stage, `${pct} % at ${t} s`).toBe('brake');
              if (pct > cfg.t2Pct && s.stage !== 't2' && s.stage !== 'brake') expect(s.stage, `${pct} % at ${t} s`).toBe('t2');
              if (pct > cfg.t1Pct && s.stage === 'normal') expect(s.stage, `${pct} % at ${t} s`).toBe('t1');
              const off = (a: number, b: number) => !Number.isNaN(a) && Number.isNaN(b);
              if (seg.stale && (off(prev.t1SinceMs, s.t1SinceMs) || off(prev.t2SinceMs, s.t2SinceMs) || off(prev.highSinceMs, s.highSinceMs) || off(prev.brakeSinceMs, s.brakeSinceMs))) {
                expect.fail(`released on stale data at ${t} s`);
              }
              if (off(prev.brakeSinceMs, s.brakeSinceMs)) {
                releases++;
                stayedBelow(cfg.brakePct, cfg.brakeReleaseS * 1000, 'brake release');
                // Every lock engaged with (or before) the brake has landed.
                for (const since of [prev.t2SinceMs, prev.highSinceMs]) if (!Number.isNaN(since)) expect(t * 1000).toBeGreaterThanOrEqual(since + lat * 1000);
                lastBrakeRelease = t * 1000;
              } else {
                // Lock levels release only while no brake is on.
                if (off(prev.highSinceMs, s.highSinceMs)) {
                  releases++;
                  expect(Number.isNaN(prev.brakeSinceMs)).toBe(true);
                  stayedBelow(cfg.t2Pct, holdMs, 'T2 high release');
                  heldLocks(prev.highSinceMs, 'T2 high release');
                }
                if (off(prev.t2SinceMs, s.t2SinceMs)) {
                  releases++;
                  expect(Number.isNaN(prev.brakeSinceMs)).toBe(true);
                  stayedBelow(cfg.t2Pct, holdMs, 'T2 release');
                  heldLocks(prev.t2SinceMs, 'T2 release');
                }
                if (off(prev.t1SinceMs, s.t1SinceMs)) {
                  releases++;
                  expect(Number.isNaN(s.t2SinceMs)).toBe(true);
                  stayedBelow(cfg.t1Pct, holdMs, 'T1 release');
                  heldLocks(prev.t1SinceMs, 'T1 release');
                }
              }
              if (!Number.isNaN(s.highSinceMs) && Number.isNaN(s.t2SinceMs)) expect.fail(`T2 high without T2 at ${t} s`);
              if (!Number.isNaN(s.t2SinceMs) && Number.isNaN(s.t1SinceMs)) expect.fail(`T2 without T1 at ${t} s`);
            }
          }
        },
      ),
      { numRuns: 3000, seed: 42 },
    );
    console.log(`POLCA property: ${runs} random traces, ${releases} releases checked against the hold rule, 0 violations`);
    expect(runs).toBe(3000);
    expect(releases).toBeGreaterThan(300);
  });
});
