/**
 * Issue 9, end to end: an operator runs the power-budget-loss drill on a live console and saves the incident; a second
 * console opens the recording read-only; the engineer scrubs to the brake, exports the HTML report and replays the
 * incident with a higher T2 to see the difference. Needs `npm run build` and Chromium.
 */
import { readFileSync } from 'node:fs';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';
import { RecordingBar } from './pages/RecordingBar.js';

describe('an incident, from the drill to the replay', () => {
  const tmp = tempDir();
  let live: RunningServer;
  let second: RunningServer | null = null;
  let desk: BrowserSession;
  let lab: BrowserSession;
  let operator: Operator;
  let engineer: Operator;
  let file = '';
  let brakeMs = 0;

  beforeAll(async () => {
    live = await startHeadroom({ speed: 10, db: 'temp' });
    desk = await openBrowser();
    operator = new Operator(desk.page);
    await operator.opensTheConsole(live.urls.operator);
  }, 60_000);
  afterAll(async () => {
    await desk?.close();
    await lab?.close();
    await second?.stop();
    await live?.stop();
    tmp.cleanup();
  });

  it('the operator runs the power-budget-loss drill on row C and saves the last 15 minutes as an incident', async () => {
    await operator.startsADrill('powerBudgetLoss', 'C', 30, 600, 'feed-loss drill');
    // Wait for the brake on row C and 30 simulated seconds after it.
    for (let i = 0; i < 120 && !brakeMs; i++) {
      const now = (await live.invoke('status:get', {})).simTimeMs;
      const w = await live.invoke('telemetry:events', { fromMs: now - 3600_000, toMs: now + 1, kinds: ['stage'] });
      brakeMs = w.events.find((e) => e.subject === 'C' && e.body.stage === 'brake')?.tMs ?? 0;
      if (!brakeMs) await operator.waits(250);
    }
    expect(brakeMs).toBeGreaterThan(0);
    while ((await live.invoke('status:get', {})).simTimeMs < brakeMs + 30_000) await operator.waits(250);

    const page = desk.page;
    await page.getByTestId('btn-save-incident').click();
    await page.getByTestId('incident-dialog').waitFor();
    await page.getByTestId('incident-window').selectOption('15');
    await page.getByTestId('incident-title').fill('Row C feed loss drill');
    await page.getByTestId('incident-notes').fill('The brake engaged on C; check T2.');
    await page.getByTestId('incident-reason').fill('keep the drill for review');
    await page.getByTestId('incident-dialog-confirm').click();
    await page.getByTestId('incident-saved').waitFor();
    file = (await page.getByTestId('incident-saved-path').textContent())!.trim();
    expect(file).toMatch(/recordings[/\\].*-row-c-feed-loss-drill\.headroom$/);
    await operator.console.screenshot('incident-saved.png');
    await page.getByTestId('incident-dialog-confirm').click();
    const audit = await live.invoke('audit:list', { kind: 'incident', limit: 5 });
    expect(audit[0]).toMatchObject({ actor: expect.any(String), role: 'operator', reason: 'keep the drill for review', outcome: 'ok' });
  }, 120_000);

  it('a second console opens the recording; the engineer scrubs to the brake with the keyboard', async () => {
    second = await startHeadroom({ speed: 1, extraArgs: ['--recording', file] });
    lab = await openBrowser();
    engineer = new Operator(lab.page);
    await engineer.opensTheConsole(second.urls.viewer);
    const timeline = new RecordingBar(lab.page);
    await expect(timeline.banner().textContent()).resolves.toMatch(/row-c-feed-loss-drill\.headroom: read-only/);
    await timeline.markers().first().waitFor();
    await timeline.press('Space');
    await lab.page.waitForFunction(() => document.querySelector('[data-testid="recording-play"]')?.getAttribute('aria-label') === 'Play');
    // Shift+→ from marker to marker until the brake.
    let at = await timeline.settledNowMs();
    for (let i = 0; i < 40 && at < brakeMs; i++) {
      await timeline.press('Shift+ArrowRight');
      at = await timeline.movesFrom(at);
    }
    expect(at).toBe(brakeMs);
    const rowC = (await second.invoke('fleet:snapshot', {}))!;
    expect(rowC.tMs).toBe(brakeMs);
    // A note at the brake: saved into a copy beside the recording (the recording itself stays as it was).
    await lab.page.getByTestId('note-text').fill('brake on C here: ride-through too short?');
    await lab.page.getByTestId('note-add').click();
    await lab.page.getByTestId('recording-note').first().waitFor();
    const notes = await second.invoke('recording:notes', {});
    expect(notes.copy).toBe(file.replace(/\.headroom$/, ' (notes).headroom'));
    expect(notes.items).toEqual([expect.objectContaining({ kind: 'note', tMs: brakeMs, text: 'brake on C here: ride-through too short?' })]);
    await engineer.console.screenshot('incident-at-brake.png');
  }, 120_000);

  it('exports the HTML report, which opens offline with the notes and the reason', async () => {
    const [download] = await Promise.all([lab.page.waitForEvent('download'), lab.page.getByTestId('recording-report').click()]);
    expect(download.suggestedFilename()).toMatch(/row-c-feed-loss-drill\.html$/);
    const html = tmp.file('incident.html');
    await download.saveAs(html);
    expect(readFileSync(html, 'utf8')).toContain('<!doctype html>');
    const page = await lab.browser.newPage();
    await page.goto(pathToFileURL(html).href);
    await expect(page.locator('h1').textContent()).resolves.toBe('Row C feed loss drill');
    await expect(page.locator('.notes').textContent()).resolves.toContain('check T2');
    await expect(page.locator('.facts').textContent()).resolves.toContain('keep the drill for review');
    await expect(page.locator('table.events').textContent()).resolves.toContain('ride-through too short?');
    await page.close();
  }, 60_000);

  it('replays the incident with a higher T2 and sees the difference', async () => {
    const page = lab.page;
    await page.getByTestId('recording-replay').click();
    await page.getByTestId('replay-form').waitFor();
    await page.getByTestId('replay-t2').fill('95');
    await page.getByTestId('replay-run').click();
    await page.getByTestId('replay-diff').waitFor({ timeout: 90_000 });
    const lines = await page.getByTestId('replay-diff').locator('li').allTextContents();
    // The console ran Headroom's controller; the form starts from the recorded policy.
    expect(lines[0]).toMatch(/^Headroom T1 = 80 %, T2 = 95 %: \d+ brakes? instead of \d+ \(as recorded: Headroom T1 = 80 %, T2 = 89 %\)$/);
    expect(lines.at(-1)).toMatch(/matches the recording within/);
    await page.getByTestId('replay-chart').waitFor();
    expect(await page.getByTestId('replay-table').locator('tbody tr').count()).toBe(4);
    await engineer.console.screenshot('replay.png');
    expect(desk.errors).toEqual([]);
    expect(lab.errors).toEqual([]);
  }, 120_000);
});
