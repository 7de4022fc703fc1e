// better-sqlite3 is a native addon built for one ABI at a time: Electron's (npm start) or Node's (tests, CLI).
// Before tests and benchmarks, make sure it loads in this Node; rebuild it from source if it does not.
import { execFileSync, spawnSync } from 'node:child_process';

const probe = spawnSync(process.execPath, ['-e', "new (require('better-sqlite3'))(':memory:').close()"], { encoding: 'utf8' });
if (probe.status !== 0) {
  console.error('better-sqlite3 does not load in this Node (built for Electron?); rebuilding for Node…');
  execFileSync('npm', ['rebuild', 'better-sqlite3'], { stdio: 'inherit' });
}
