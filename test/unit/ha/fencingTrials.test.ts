import { describe, expect, it } from 'vitest';
import { runFencingTrials } from '../../support/fencingTrials.js';

/**
 * Randomized freeze/resume trials (test/support/fencingTrials.ts) on the agent's real gate and fence: a deposed
 * leader never acts after its successor — with the agent's fence, whatever the deposed leader's own rule does — and
 * the trials do catch a missing fence (they are not vacuous). docs/RELIABILITY.md gives the 1,000-trial figures
 * (`BENCH_ONLY=failover npx tsx bench/run.ts`).
 */
describe('fencing under randomized freezes, delays and agent restarts', () => {
  it('the agent fence alone admits no command of a deposed leader after its successor’s', () => {
    const r = runFencingTrials(200, { agentFence: true, selfFence: false }, 7);
    expect(r.violations).toBe(0);
    expect(r.acceptedStale).toBe(0);
    expect(r.refusedStale).toBeGreaterThan(0); // the deposed leader did speak: the fence was exercised
  });

  it('both guards: none either', () => {
    expect(runFencingTrials(200, { agentFence: true, selfFence: true }, 8)).toMatchObject({ violations: 0, acceptedStale: 0 });
  });

  it('without the agent fence the same trials find deposed leaders acting (a broken fence is caught)', () => {
    expect(runFencingTrials(200, { agentFence: false, selfFence: false }, 7).violations).toBeGreaterThan(50);
    // The controller's own rule is not enough: commands delayed in flight land after the successor's.
    expect(runFencingTrials(400, { agentFence: false, selfFence: true }, 9).violations).toBeGreaterThan(0);
  });
});
