// @ts-check
// Mutation testing of the control plane's guarantees (`npm run mutate`; not part of `npm test`).
// Runs vitest.mutate.config.ts (only the tests of these files) per mutant. Incremental: results of unchanged code and
// tests are reused from reports/stryker-incremental.json (ignored by git; delete it or pass --force for a full run).
import { readFileSync } from 'node:fs';

/**
 * The audit hash chain's functions in main/store/audit.ts as line ranges found by their declarations (the file is
 * edited often; fixed line numbers would drift): the canonical form and hash, the text cleaning, the append
 * transaction and both verifiers. The SQL query builders and list paging are not part of the chain.
 */
function auditChainRanges(file) {
  const lines = readFileSync(file, 'utf8').split('\n');
  const at = (re, from = 0) => {
    const i = lines.findIndex((l, k) => k >= from && re.test(l));
    if (i < 0) throw new Error(`stryker.config.mjs: ${re} not found in ${file}`);
    return i + 1;
  };
  /** From the line of `start` to the line of the first `end` after it (both 1-based, inclusive). */
  const range = (start, end) => {
    const a = at(start);
    return `${file}:${a}-${at(end, a) - 1}`;
  };
  return [
    range(/^export function canonicalAudit/, /^interface Row/),
    range(/^export function recordedAudit/, /^export class AuditTrail/),
    range(/^\s+constructor\(db: DB/, /^\s+\/\*\* The SQL and parameters `list` runs/),
    `${file}:${at(/^\s+verify\(\): ResponseTypes/)}-${lines.length}`,
  ];
}

/** @type {import('@stryker-mutator/api/core').PartialStrykerOptions} */
export default {
  testRunner: 'vitest',
  vitest: { configFile: 'vitest.mutate.config.ts', related: false },
  plugins: ['@stryker-mutator/vitest-runner'],
  mutate: ['main/core/control/**/*.ts', 'main/agent/commandGate.ts', ...auditChainRanges('main/store/audit.ts')],
  coverageAnalysis: 'perTest',
  concurrency: 2,
  timeoutMS: 20_000,
  timeoutFactor: 2,
  incremental: true,
  incrementalFile: 'reports/stryker-incremental.json',
  reporters: ['clear-text', 'progress-append-only', 'html', 'json'],
  htmlReporter: { fileName: 'reports/mutation/mutation.html' },
  jsonReporter: { fileName: 'reports/mutation/mutation.json' },
  tempDirName: '.stryker-tmp',
  ignorePatterns: ['dist', 'release', 'tmp', 'data', 'docs/screenshots', 'test-results', 'bench/results.json', '*.db', '*.db-wal', '*.db-shm'],
  thresholds: { high: 90, low: 80, break: 80 },
};
