import { describe, expect, it } from 'vitest';
import { HeadroomConfigSchema, PolcaConfigSchema } from '../../../../shared/domain/control.js';
import { createHeadroomMemory, expectedRise, noteLocks, observeEnvelope, stepEscalation } from '../../../../main/core/control/headroom.js';
import { initialPolcaState, type PolcaRowState } from '../../../../main/core/control/polca.js';

/** The edges of Headroom's rules (headroom.ts): envelope window, learning pauses, quantiles, escalation and shed bounds. */

const H = HeadroomConfigSchema.parse({});
const P = PolcaConfigSchema.parse({});

describe('envelope and learning', () => {
  it('the envelope is exactly the highest of the last envelopeS readings, on any series', () => {
    const cfg = { ...H, envelopeS: 7 };
    const mem = createHeadroomMemory(cfg, 1000, 40);
    let s = 3;
    const xs: number[] = [];
    for (let i = 0; i < 300; i++) {
      s = (s * 48271) % 2147483647;
      xs.push(40 + (s % 600) / 10);
      const env = observeEnvelope(mem, xs[i]!, false, i * 1000);
      expect(env).toBe(Math.max(...xs.slice(Math.max(0, i - 6))));
    }
    expect(mem.size).toBe(7);
  });

  it('a lock change pauses learning for the latency + envelope (+1 step); the first look at a row does not', () => {
    const cfg = { ...H, warmupS: 0 };
    const mem = createHeadroomMemory(cfg, 1000, 40);
    const s0 = initialPolcaState(0);
    noteLocks(mem, s0, 0, cfg, 40);
    expect(mem.quietUntilMs).toBe(-Infinity);
    noteLocks(mem, s0, 1000, cfg, 40);
    expect(mem.quietUntilMs).toBe(-Infinity); // nothing changed
    noteLocks(mem, { ...s0, t2SinceMs: 2000 }, 2000, cfg, 40);
    expect(mem.quietUntilMs).toBe(2000 + (40 + cfg.envelopeS) * 1000 + 1000);
    // Rises inside the pause are not learnt; from its end they are.
    for (let t = 3; t < 60; t++) observeEnvelope(mem, t < 50 ? 50 : 90, false, t * 1000);
    expect(mem.rises.worst()).toBe(0);
    for (let t = 72; t < 200; t++) observeEnvelope(mem, t < 150 ? 30 : 80, false, t * 1000);
    expect(mem.rises.worst()).toBe(50);
  });

  it('the rise: POLCA’s allowance until a latency of history, then the quantile asked (the worst at 1), never under minRisePct', () => {
    const cfg = { ...H, warmupS: 0, minRisePct: 1 };
    const mem = createHeadroomMemory(cfg, 1000, 4); // a 5-sample window
    const allowance = P.brakePct - P.t2Pct - cfg.marginPct;
    for (let i = 0; i < 5; i++) observeEnvelope(mem, 50, false, i * 1000);
    expect(mem.rises.size).toBe(5);
    expect(expectedRise(mem, cfg, P)).toBe(allowance);
    observeEnvelope(mem, 50, false, 5000);
    expect(expectedRise(mem, cfg, P)).toBe(1);
    // 94 flat readings then one 20-point step: the worst is 20, the median 0 (→ minRisePct).
    for (let i = 6; i < 100; i++) observeEnvelope(mem, 50, false, i * 1000);
    observeEnvelope(mem, 70, false, 100_000);
    expect(expectedRise(mem, cfg, P, 1)).toBe(20);
    expect(expectedRise(mem, cfg, P, 0.5)).toBe(1);
    expect(expectedRise(mem, cfg, P, 0.999)).toBe(20);
  });
});

describe('escalation and shed, at their bounds', () => {
  const base = { braked: false, stale: false, capLatencyS: 40, budgetKW: 400, rowKW: 440, servers: 40 };
  const at = (s: PolcaRowState, pct: number, lockPct = pct): PolcaRowState => ({ ...s, pct, lockPct });

  it('a brake exactly escalateWindowS old has left the window', () => {
    const mem = createHeadroomMemory(H, 1000, 40);
    let s = initialPolcaState(0);
    s = stepEscalation(H, P, mem, at(s, 101), { ...base, nowMs: 0, braked: true });
    s = stepEscalation(H, P, mem, at(s, 101), { ...base, nowMs: H.escalateWindowS * 1000, braked: true });
    expect(Number.isNaN(s.deepSinceMs)).toBe(true);
    s = stepEscalation(H, P, mem, at(s, 101), { ...base, nowMs: H.escalateWindowS * 1000 + 1, braked: true });
    expect(s.deepSinceMs).toBe(H.escalateWindowS * 1000 + 1);
  });

  it('the deep lock releases only below T2 − hysteresis (exactly at it, it holds)', () => {
    const mem = createHeadroomMemory(H, 1000, 40);
    let s = { ...initialPolcaState(0), deepSinceMs: 0 };
    mem.lastBrakeMs = 0;
    const after = H.deepHoldS * 1000;
    const edge = P.t2Pct - P.releaseHysteresisPct;
    s = stepEscalation(H, P, mem, at(s, 50, edge), { ...base, nowMs: after });
    expect(s.deepSinceMs).toBe(0);
    s = stepEscalation(H, P, mem, at(s, 50, edge - 0.01), { ...base, nowMs: after });
    expect(Number.isNaN(s.deepSinceMs)).toBe(true);
  });

  it('shed: only above the brake level (not at it), after the latency, with servers and power known; cleared with the deep lock', () => {
    const mem = createHeadroomMemory(H, 1000, 40);
    const deep = { ...initialPolcaState(0), deepSinceMs: 0 };
    const lat = 40_000;
    expect(stepEscalation(H, P, mem, at(deep, 100), { ...base, nowMs: lat }).shedServers).toBe(0);
    expect(stepEscalation(H, P, mem, at(deep, 105), { ...base, nowMs: lat - 1 }).shedServers).toBe(0);
    expect(stepEscalation(H, P, mem, at(deep, 105), { ...base, nowMs: lat, stale: true }).shedServers).toBe(0);
    expect(stepEscalation(H, P, mem, at(deep, 105), { ...base, nowMs: lat, servers: 0 }).shedServers).toBe(0);
    expect(stepEscalation(H, P, mem, at(deep, 105), { ...base, nowMs: lat, rowKW: 0 }).shedServers).toBe(0);
    // 5 % of 400 kW = 20 kW over, 11 kW a server → 2.
    const shed = stepEscalation(H, P, mem, at(deep, 105), { ...base, nowMs: lat });
    expect(shed.shedServers).toBe(2);
    // Still deep, back under: the recommendation stays until the deep lock goes; then it is cleared.
    mem.lastBrakeMs = lat;
    const under = stepEscalation(H, P, mem, at(shed, 90, 90), { ...base, nowMs: lat + 1000 });
    expect(under.shedServers).toBe(2);
    const gone = stepEscalation(H, P, mem, at(under, 50, 50), { ...base, nowMs: lat + H.deepHoldS * 1000 });
    expect(Number.isNaN(gone.deepSinceMs)).toBe(true);
    expect(gone.shedServers).toBe(0);
  });
});
