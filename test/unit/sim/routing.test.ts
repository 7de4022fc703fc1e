import { describe, expect, it } from 'vitest';
import { MIN_WEIGHT } from '../../../main/core/slack.js';
import { createRng } from '../../../main/sim/rng.js';
import { PENALTY_COST, Router, WEIGHT_TAU_S } from '../../../main/sim/routing.js';

const MAX_BATCH = 48;

/** Route n requests that were all dealt to `own` with fixed backlogs; count where they went. */
function route(r: Router, own: number, backlog: number[], n = 20_000): number[] {
  const seen = new Array(backlog.length).fill(0);
  for (let i = 0; i < n; i++) seen[r.pick(own, (k) => backlog[k]!)]!++;
  return seen;
}

describe('router (load balancer stand-in)', () => {
  it('affinity keeps every request on the server it was dealt, and draws nothing', () => {
    let draws = 0;
    const rng = createRng(1);
    const r = new Router(4, () => (draws++, rng()), MAX_BATCH);
    expect(route(r, 2, [0, 0, 100, 0])).toEqual([0, 0, 20_000, 0]);
    expect(draws).toBe(0);
  });

  it('least loaded: a request leaves its server only for a shorter queue', () => {
    const r = new Router(4, createRng(2), MAX_BATCH);
    r.mode = 'leastLoaded';
    expect(route(r, 0, [0, 5, 5, 5])).toEqual([20_000, 0, 0, 0]);
    const seen = route(r, 0, [10, 0, 0, 20]);
    // The other draw is uniform: about a quarter each goes to servers 1 and 2; never to the longer queue 3.
    expect(seen[3]).toBe(0);
    expect(seen[1]! / 20_000).toBeCloseTo(0.25, 1);
    expect(seen[2]! / 20_000).toBeCloseTo(0.25, 1);
  });

  it('slack: load leaves a server under pressure for one with slack, in proportion to the weights', () => {
    const r = new Router(3, createRng(3), MAX_BATCH);
    r.mode = 'slack';
    // Server 0 under full pressure, 1 and 2 clear; equal queues.
    r.penalty.set([1, 0, 0]);
    r.reweigh();
    const seen = route(r, 0, [4, 4, 4]);
    // The other draw lands on 0 itself with weight MIN_WEIGHT / (MIN_WEIGHT + 2): those stay; everything else leaves.
    const stay = MIN_WEIGHT / (MIN_WEIGHT + 2);
    expect(seen[0]! / 20_000).toBeCloseTo(stay, 2);
    expect(seen[1]! / 20_000).toBeCloseTo((1 - stay) / 2, 1);
  });

  it('slack only moves load as far as the others can take it: a full penalty weighs PENALTY_COST batches of queue', () => {
    const r = new Router(2, createRng(4), MAX_BATCH);
    r.mode = 'slack';
    r.penalty.set([1, 0]);
    r.reweigh();
    // Server 1's queue is longer than server 0's by more than the penalty is worth: requests stay on 0.
    expect(route(r, 0, [0, PENALTY_COST * MAX_BATCH + 1])[1]).toBe(0);
    // Shorter by less: they go.
    expect(route(r, 0, [0, PENALTY_COST * MAX_BATCH - 1])[1]).toBeGreaterThan(19_000);
  });

  it('the penalties follow the signal with a lag (no herding), toward it and never past it', () => {
    const r = new Router(1, createRng(5), MAX_BATCH);
    const seen: number[] = [];
    for (let i = 0; i < 4 * WEIGHT_TAU_S; i++) {
      r.observe([1], 1);
      seen.push(r.penalty[0]!);
    }
    expect(seen[0]).toBeCloseTo(1 - Math.exp(-1 / WEIGHT_TAU_S), 9);
    expect(seen[WEIGHT_TAU_S - 1]).toBeCloseTo(1 - Math.exp(-1), 6);
    for (let i = 1; i < seen.length; i++) expect(seen[i]!).toBeGreaterThan(seen[i - 1]!);
    expect(seen.at(-1)!).toBeLessThan(1);
  });
});
