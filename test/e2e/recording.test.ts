/**
 * An engineer opens an incident recording in the console (`headroom serve --recording F.headroom`): read-only, with a
 * timeline to move through it. Needs `npm run build` and Chromium at /usr/bin/chromium (or $CHROMIUM_PATH).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../shared/domain/topology.js';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { repoRoot, startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';
import { RecordingBar } from './pages/RecordingBar.js';

describe('a recording in the console', () => {
  const dir = mkdtempSync(resolve(tmpdir(), 'headroom-rec-e2e-'));
  const rec = resolve(dir, 'seed7.headroom');
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;
  let timeline: RecordingBar;
  let site: Topology;
  let sha = '';
  const hash = () => createHash('sha256').update(readFileSync(rec)).digest('hex');

  beforeAll(async () => {
    const r = spawnSync(process.execPath, ['bin/headroom.js', 'sim', '--seed', '7', '--duration', '600', '--record', rec, '--out', resolve(dir, 'r.json')], { cwd: repoRoot, encoding: 'utf8', timeout: 120_000 });
    expect(r.status, r.stderr).toBe(0);
    sha = hash();
    server = await startHeadroom({ speed: 1, extraArgs: ['--recording', rec] });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    timeline = new RecordingBar(browser.page);
    site = await server.invoke('fleet:topology', {});
    await operator.opensTheConsole(server.url);
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('shows the read-only banner and jumps through the recording with the keyboard; the floor follows', async () => {
    await expect(timeline.banner().textContent()).resolves.toMatch(/Recording seed7\.headroom: read-only, \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC → \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    await timeline.markers().first().waitFor();
    await timeline.press('Space'); // pause: the position moves only when we move it
    await operator.page.waitForFunction(() => document.querySelector('[data-testid="recording-play"]')?.getAttribute('aria-label') === 'Play');
    const start = await timeline.settledNowMs();

    await timeline.press('ArrowRight');
    const plus10 = await timeline.movesFrom(start);
    expect(plus10).toBe(start + 10_000);

    const events = await server.invoke('telemetry:events', { fromMs: plus10 + 1, toMs: plus10 + 600_000, kinds: ['stage', 'brake', 'override', 'scenario', 'budget', 'automation', 'playbook'] });
    const next = events.events[0]!;
    const rack = site.racks[site.racks.length - 1]!;
    const before = (await operator.floor.hoverRack(rack.id))['Power'];
    await operator.page.mouse.move(0, 0);
    await timeline.press('Shift+ArrowRight');
    expect(await timeline.movesFrom(plus10)).toBe(next.tMs);
    const after = (await operator.floor.hoverRack(rack.id))['Power'];
    expect(after).not.toBe(before);
    await operator.page.mouse.move(0, 0);
    await operator.console.screenshot('recording.png');
  });

  it('refuses a forced override, and leaves the file as it was', async () => {
    const forced = await server.tryInvoke('override:set', { target: { kind: 'racks', ids: [site.racks[0]!.id] }, action: { kind: 'powerCap', watts: 400 }, reason: 'forced', expiresInS: 600 });
    expect(forced).toMatchObject({ ok: false, error: 'override:set: seed7.headroom is a recording: read-only' });
    // Through the console: every acting control is disabled, saying why (even for an operator); selecting still works.
    await operator.selectsRack(site.racks[0]!.id);
    await expect(operator.control.reviewButton().isDisabled()).resolves.toBe(true);
    await expect(operator.control.reviewButton().locator('xpath=..').getAttribute('title')).resolves.toBe('seed7.headroom is a recording: read-only');
    for (const row of site.rows) await expect(operator.control.brakeButton(row.id).isDisabled()).resolves.toBe(true);
    await operator.page.mouse.move(0, 0);
    await operator.console.screenshot('recording-refused.png');
    expect(hash()).toBe(sha);
  });
});
