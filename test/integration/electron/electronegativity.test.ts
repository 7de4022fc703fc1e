import { describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../../helpers.js';

// Electronegativity (Doyensec) audits the built Electron shell and renderer against the Electron security checklist.
// It always exits 0, so the gate is its SARIF: no finding of level "error" (high) or "warning" (medium).
describe('Electron security audit (electronegativity)', () => {
  it('finds no high or medium issue in the built app', () => {
    expect(existsSync('dist/main/electron/main.js'), 'run npm run build first').toBe(true);
    expect(existsSync('dist/renderer/index.html'), 'run npm run build first').toBe(true);
    const tmp = tempDir();
    try {
      cpSync('dist/main/electron', join(tmp.dir, 'electron'), { recursive: true });
      cpSync('dist/renderer', join(tmp.dir, 'renderer'), { recursive: true });
      cpSync('package.json', join(tmp.dir, 'package.json'));
      const electronVersion = (JSON.parse(readFileSync('node_modules/electron/package.json', 'utf8')) as { version: string }).version;
      const sarif = join(tmp.dir, 'report.sarif');
      const r = spawnSync(process.execPath, ['node_modules/@doyensec/electronegativity/dist/index.js', '-i', tmp.dir, '-o', sarif, '-r', '-e', electronVersion], {
        encoding: 'utf8',
        timeout: 120_000,
      });
      expect(existsSync(sarif), r.stderr).toBe(true);
      const results = (JSON.parse(readFileSync(sarif, 'utf8')) as { runs: Array<{ results: Array<{ ruleId: string; level: string; message: { text: string } }> }> }).runs[0]!.results;
      const serious = results.filter((x) => x.level === 'error' || x.level === 'warning').map((x) => `${x.ruleId}: ${x.message.text}`);
      expect(serious).toEqual([]);
    } finally {
      tmp.cleanup();
    }
    // Its run takes ~13 s alone and more beside the rest of the suite: the limit is its own (120 s), not vitest's 20 s.
  }, 130_000);
});
