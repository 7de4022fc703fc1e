import { describe, expect, it } from 'vitest';
import { INLET_FROM_C, INLET_SPAN_C, MIN_WEIGHT, POWER_FROM_PCT, POWER_SPAN_PCT, THERMAL_FROM_C, THERMAL_SPAN_C, serverPenalties, serverPenalty, slackWeight } from '../../../main/core/slack.js';

const SLOWDOWN = 89;
const cool = { gpuC: 60, inletC: 24, rowPct: 50 };

describe('server slack (the signal TAPAS routing follows)', () => {
  it('is 0 with every part well clear, and 1 at the far end of any part', () => {
    expect(serverPenalty(cool.gpuC, SLOWDOWN, cool.inletC, cool.rowPct)).toBe(0);
    expect(serverPenalty(SLOWDOWN - THERMAL_FROM_C + THERMAL_SPAN_C, SLOWDOWN, cool.inletC, cool.rowPct)).toBe(1);
    expect(serverPenalty(cool.gpuC, SLOWDOWN, INLET_FROM_C + INLET_SPAN_C + 5, cool.rowPct)).toBe(1);
    expect(serverPenalty(cool.gpuC, SLOWDOWN, cool.inletC, POWER_FROM_PCT + POWER_SPAN_PCT)).toBe(1);
  });

  it('grows linearly inside each band and takes the worst part', () => {
    expect(serverPenalty(SLOWDOWN - THERMAL_FROM_C + THERMAL_SPAN_C / 2, SLOWDOWN, cool.inletC, cool.rowPct)).toBeCloseTo(0.5, 9);
    expect(serverPenalty(cool.gpuC, SLOWDOWN, INLET_FROM_C + INLET_SPAN_C / 4, cool.rowPct)).toBeCloseTo(0.25, 9);
    expect(serverPenalty(cool.gpuC, SLOWDOWN, cool.inletC, POWER_FROM_PCT + (3 * POWER_SPAN_PCT) / 4)).toBeCloseTo(0.75, 9);
    // Worst of the three, not a sum.
    const p = serverPenalty(SLOWDOWN - THERMAL_FROM_C + THERMAL_SPAN_C / 2, SLOWDOWN, INLET_FROM_C + INLET_SPAN_C / 4, POWER_FROM_PCT + (3 * POWER_SPAN_PCT) / 4);
    expect(p).toBeCloseTo(0.75, 9);
  });

  it('the power band sits below POLCA\'s T1 (80 %): load leaves before the locks come', () => {
    expect(POWER_FROM_PCT + POWER_SPAN_PCT).toBeLessThanOrEqual(80);
    expect(serverPenalty(cool.gpuC, SLOWDOWN, cool.inletC, 79.9)).toBeGreaterThan(0.9);
  });

  it('unknown GPU temperature or row power is a full penalty; an unknown inlet has no air part', () => {
    expect(serverPenalty(NaN, SLOWDOWN, cool.inletC, cool.rowPct)).toBe(1);
    expect(serverPenalty(cool.gpuC, SLOWDOWN, cool.inletC, NaN)).toBe(1);
    expect(serverPenalty(cool.gpuC, SLOWDOWN, NaN, cool.rowPct)).toBe(0);
  });

  it('weights are 1 − penalty, never below the floor', () => {
    expect(slackWeight(0)).toBe(1);
    expect(slackWeight(0.4)).toBeCloseTo(0.6, 12);
    expect(slackWeight(1)).toBe(MIN_WEIGHT);
  });

  it('per server from live columns: its hottest GPU, its rack inlet, its row against the budget in force', () => {
    // Two servers of 2 GPUs: server 0 on rack 0 / row 0, server 1 on rack 1 / row 1.
    const servers = { gpuStart: [0, 2], gpuEnd: [2, 4], rack: [0, 1], row: [0, 1], slowdownC: [SLOWDOWN, SLOWDOWN] };
    const out = new Float64Array(2);
    // GPU 1 is the hot one of server 0 (80 °C: 0.733…); row 1 at 150 kW of a 200 kW budget (75 %: 0.75).
    serverPenalties(servers, [50, 80, 50, 50], [24, 24], [10_000, 150_000], [200, 200], out);
    expect(out[0]).toBeCloseTo((80 - (SLOWDOWN - THERMAL_FROM_C)) / THERMAL_SPAN_C, 9);
    expect(out[1]).toBeCloseTo((75 - POWER_FROM_PCT) / POWER_SPAN_PCT, 9);
    // A row with no budget in force (a lost feed) is a full penalty.
    serverPenalties(servers, [50, 50, 50, 50], [24, 24], [10_000, 150_000], [200, 0], out);
    expect(Array.from(out)).toEqual([0, 1]);
  });
});
