// Planted faults of issue 17's safety properties: each fault is written into the source, the tests that guard the
// property are run, and the fault must make them fail ("caught"); the source is restored either way. Not part of
// `npm test` (it rebuilds dist/main and runs the three-controller test): `npx tsx scripts/ha-planted-faults.ts [N …]`.
// Results: docs/MUTATION.md, "Issue 17".
import { execSync, spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';

const FAULTS: Array<{ what: string; file: string; from: string; to: string; tests: string[] }> = [
  { what: 'the gate admits the epoch just below the highest', file: 'main/agent/commandGate.ts', from: 'if ((b.epoch ?? 0) < highest) {', to: 'if ((b.epoch ?? 0) < highest - 1) {', tests: ['test/unit/agent/epochFence.test.ts'] },
  { what: 'the fence is not written to disk', file: 'main/agent/epochFence.ts', from: 'if (this.dir) this.save(', to: 'if (this.dir && Math.random() > 2) this.save(', tests: ['test/unit/agent/epochFence.test.ts'] },
  { what: "the leader's own guard holds at exactly TTL − margin", file: 'main/core/ha/fence.ts', from: 'nowMs - lastConfirmedMs < ttlMs - marginMs', to: 'nowMs - lastConfirmedMs <= ttlMs - marginMs', tests: ['test/unit/ha/fence.test.ts'] },
  { what: "a replicated record's link to the head is not checked", file: 'main/store/replica.ts', from: 'if (r.prevHash !== head.hash) throw', to: 'if (false as boolean) throw', tests: ['test/unit/store/replica.test.ts'] },
  { what: 'a controller that may not act sends anyway', file: 'main/fleet/agentActuator.ts', from: 'if (!this.mayAct()) {', to: 'if (false as boolean) {', tests: ['test/integration/fleet/fencing.test.ts'] },
  { what: 'the agent never raises its fence', file: 'main/agent/agent.ts', from: 'if (this.fence.raise(body.epoch, g.consoleKey)) this.log(', to: 'if (Math.random() > 2) this.log(', tests: ['test/integration/fleet/fencing.test.ts'] },
  { what: 'a new leader does not claim the lease in force', file: 'main/fleet/agentActuator.ts', from: 'if (this.claimLeases && ', to: 'if (false && this.claimLeases && ', tests: ['test/integration/fleet/fencing.test.ts'] },
  { what: "the leader's etcd writes are not guarded by its key", file: 'main/ha/replication.ts', from: ".if(key, 'Create', '==', epoch)\n        .then(...batch", to: ".if(key, 'Create', '>=', 0)\n        .then(...batch", tests: ['test/integration/ha/leadership.test.ts'] },
  { what: "publishing reads inside the operator's transaction", file: 'main/ha/controller.ts', from: 'new Promise<void>((next) => setImmediate(next))\n      .then(() => this.flush())', to: 'this.flush()', tests: ['test/integration/ha/failover.test.ts'] },
];

const only = process.argv.slice(2).map(Number);
let survived = 0;
for (const [i, f] of FAULTS.entries()) {
  if (only.length && !only.includes(i)) continue;
  const src = readFileSync(f.file, 'utf8');
  if (!src.includes(f.from)) throw new Error(`fault ${i}: "${f.from}" is no longer in ${f.file}: update this script`);
  writeFileSync(f.file, src.replace(f.from, f.to));
  try {
    // dist/ serves the process-level tests; a fault that does not type-check still runs from source under vitest.
    spawnSync('npm', ['run', 'build:main'], { stdio: 'ignore' });
    const r = spawnSync('npx', ['vitest', 'run', ...f.tests], { stdio: 'ignore' });
    const caught = r.status !== 0;
    if (!caught) survived++;
    console.log(`${i} ${caught ? 'CAUGHT  ' : 'SURVIVED'} ${f.what} (${f.file})`);
  } finally {
    writeFileSync(f.file, src);
  }
}
execSync('npm run build:main', { stdio: 'ignore' });
process.exit(survived ? 1 : 0);
