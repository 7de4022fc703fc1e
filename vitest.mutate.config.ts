import { defineConfig } from 'vitest/config';

/**
 * The tests StrykerJS runs against each mutant (`npm run mutate`, stryker.config.mjs): only those that exercise the
 * mutated files (core/control, the agent's command gate, the audit hash chain), so one mutant is seconds, not the
 * whole suite. Not part of `npm test`.
 */
export default defineConfig({
  test: {
    include: ['test/unit/core/control/**/*.test.ts', 'test/unit/agent/commandGate*.test.ts', 'test/unit/agent/auditHeadGate.test.ts', 'test/unit/store/auditChain.test.ts', 'test/integration/store/audit.test.ts', 'test/integration/store/auditVerifyCountersigs.test.ts', 'test/unit/core/drillScore.test.ts', 'test/unit/core/peakHold.test.ts', 'test/unit/core/alertRulesSite.test.ts', 'test/unit/core/alerts.test.ts', 'test/unit/shared/alertGroups.test.ts', 'test/unit/core/slack.test.ts', 'test/unit/core/profiles.test.ts', 'test/unit/core/rackThermal.test.ts', 'test/unit/sim/routing.test.ts', 'test/unit/core/placement.test.ts', 'test/unit/core/grid/**/*.test.ts', 'test/unit/sim/gridSwings.test.ts', 'test/unit/core/workflows/**/*.test.ts'],
    environment: 'node',
    testTimeout: 20_000,
    hookTimeout: 60_000,
    maxWorkers: 1,
  },
});
