import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

let cached: string | null = null;

/**
 * Headroom's version from its package.json (the nearest one above this module, in the sources, dist/ or the packaged
 * app alike), for run markers in the audit trail; "unknown" when none can be read.
 */
export function packageVersion(): string {
  if (cached !== null) return cached;
  cached = 'unknown';
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const file = resolve(dir, 'package.json');
    if (existsSync(file)) {
      try {
        const v = (JSON.parse(readFileSync(file, 'utf8')) as { version?: unknown }).version;
        if (typeof v === 'string') cached = v;
      } catch {
        // An unreadable package.json: the version stays unknown; a run marker is not worth failing a start.
      }
      return cached;
    }
    const up = dirname(dir);
    if (up === dir) return cached;
    dir = up;
  }
}
