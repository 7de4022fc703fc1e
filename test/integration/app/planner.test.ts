import { describe, expect, it } from 'vitest';
import { createPlanner } from '../../../main/app/planner.js';

describe('capacity planner (worker thread)', () => {
  it('runs a sweep off the main thread, one at a time, and returns every server count × policy', async () => {
    const planner = createPlanner();
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const first = planner.sweep({ fromServers: 40, toServers: 44, step: 4, durationS: 120 });
    await expect(planner.sweep({ fromServers: 40, toServers: 40, step: 1, durationS: 60 })).rejects.toThrow(/already running/);
    const result = await first;
    clearInterval(timer);
    const each = ['headroom', 'polca', 'polca-no-priority', 'none'];
    expect(result.points.map((p) => `${p.servers}:${p.policy}`)).toEqual([...each.map((x) => `40:${x}`), ...each.map((x) => `44:${x}`)]);
    expect(result.budgetKW).toBeCloseTo(408, 6);
    // The event loop kept turning while the sweep ran (the engine's tick would too).
    expect(ticks).toBeGreaterThan(5);
    // And a new sweep may start once the first is done.
    await expect(planner.sweep({ fromServers: 40, toServers: 40, step: 1, durationS: 60 })).resolves.toMatchObject({ durationS: 60 });
  }, 60_000);

  it('passes the requested policies and demand through to the worker’s sweep', async () => {
    const result = await createPlanner().sweep({ fromServers: 40, toServers: 40, step: 1, durationS: 60, policies: ['headroom'], demand: 'bursty' });
    expect(result.points.map((p) => `${p.servers}:${p.policy}`)).toEqual(['40:headroom']);
    expect(result.demand).toBe('bursty');
    expect(result.seeds).toEqual([1]);
  }, 60_000);
});
