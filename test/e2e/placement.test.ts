/**
 * Issue 14, placement in the console: on the `tapas-free` hall (40 idle servers) with history stored, the operator
 * opens Planner → Placement, asks where 64 training GPUs should go, and gets the servers chosen, the ranking with a
 * reason per server, and the advisor beside first fit; then opens a rack and reads the profile learned from its
 * history, and colours the floor by the pressure those profiles predict. A viewer may ask too (advice changes nothing). Needs
 * `npm run build` and Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('placement advisor in the console', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 20, scenario: 'tapas-free', db: 'temp' });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    await operator.opensTheConsole(server.urls.operator);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('asks where 64 training GPUs go: servers on the row with headroom, a reason for each, better than first fit', async () => {
    const page = browser.page;
    // Enough history for the fit (≥ 30 ticks at a 1 s stride): a minute and a half simulated.
    const t0 = (await server.invoke('status:get', {})).simTimeMs;
    for (let i = 0; i < 240; i++) {
      if ((await server.invoke('status:get', {})).simTimeMs - t0 >= 90_000) break;
      await operator.waits(250);
    }
    await page.locator('body').press('6');
    await page.getByTestId('planner-mode-place').click();
    await page.getByTestId('placement-gpus').fill('64');
    await page.getByTestId('placement-window').fill('600');
    await page.getByTestId('placement-ask').click();
    await page.locator('[data-testid="placement-result"], [data-testid="placement-error"]').first().waitFor({ timeout: 30_000 });
    const failed = await page.getByTestId('placement-error').count();
    expect(failed ? await page.getByTestId('placement-error').textContent() : null).toBeNull();
    const chosen = (await page.getByTestId('placement-chosen').textContent())!.split(', ');
    expect(chosen).toHaveLength(8);
    // Only the idle servers (B09–B10, C07–C10, D07–D10) are candidates; the pick avoids first fit's B09–B10 end of row B.
    for (const s of chosen) expect(s).toMatch(/^(B09|B10|C07|C08|C09|C10|D07|D08|D09|D10)-S[1-4]$/);
    const rows = page.getByTestId('placement-row');
    await expect(rows.count()).resolves.toBeGreaterThan(5);
    await expect(rows.first().textContent()).resolves.toMatch(/row [B-D] peak [\d.]+ → [\d.]+ % of [\d.]+ kW; rack [B-D]\d\d inlet [\d.]+ → [\d.]+ °C/);
    const cmp = await page.getByTestId('placement-compare').textContent();
    expect(cmp).toMatch(/Advisor[\d.]+ %[\d.]+ °Cyes/);
    await expect(page.getByTestId('placement-better').textContent()).resolves.toMatch(/worst row [\d.]+ points lower/);
    await operator.console.screenshot('placement.png');
    expect(browser.errors).toEqual([]);
  }, 120_000);

  it("opens a rack and reads its learned profile: how it runs against its row, the scatter and fit, its servers' rise", async () => {
    const page = browser.page;
    await operator.console.pressViewKey('1');
    await operator.opensRack('A01');
    const summary = page.getByTestId('rack-profile-summary');
    await summary.waitFor({ timeout: 30_000 });
    expect(await page.getByTestId('rack-profile-error').count()).toBe(0);
    // A01 is a row end of a busy row: its own fit, and a place in the air against its row.
    await expect(summary.textContent()).resolves.toMatch(/^Rack A01 runs (as warm as its row|[\d.]+ °C (hotter|cooler) than its row) at the same power \(inlet [+−][\d.]+ °C per 10 kW, σ [\d.]+ °C\)\.$/);
    const offset = Number(await summary.getAttribute('data-hotter'));
    expect(Number.isFinite(offset)).toBe(true);
    await expect(page.getByTestId('rack-profile-chart').getAttribute('data-points')).resolves.toMatch(/^[1-9]\d+$/);
    const servers = page.getByTestId('rack-profile-servers').locator('tbody tr');
    await expect(servers.count()).resolves.toBe(4);
    await expect(servers.first().textContent()).resolves.toMatch(/A01-S1\d+ W\+[\d.]+ °C per 100 W/);
    // The next rack by keyboard-free navigation: the profile follows the rack shown.
    await page.getByTestId('btn-next-rack').click();
    await page.waitForFunction(() => /^Rack A02 /.test(document.querySelector('[data-testid="rack-profile-summary"]')?.textContent ?? ''), null, { timeout: 30_000 });
    await page.getByTestId('btn-prev-rack').click();
    await page.waitForFunction(() => /^Rack A01 /.test(document.querySelector('[data-testid="rack-profile-summary"]')?.textContent ?? ''), null, { timeout: 30_000 });
    await page.getByTestId('rack-profile').scrollIntoViewIfNeeded();
    await operator.console.screenshot('rack-profile.png');
    expect(browser.errors).toEqual([]);
  }, 90_000);

  it('colours the floor by predicted pressure: every rack from its profile, with what sets it in the tooltip', async () => {
    const page = browser.page;
    await operator.goesBackToTheFloor();
    await operator.floor.colourBy('predictedPct');
    const status = page.getByTestId('forecast-status');
    await page.waitForFunction(() => /^Predicted from each rack's profile/.test(document.querySelector('[data-testid="forecast-status"]')?.textContent?.trim() ?? ''), null, { timeout: 30_000 });
    await expect(status.textContent()).resolves.toMatch(/over the last hour \(\d+ samples, fitted in \d+ ms\)/);
    // A busy row's rack: its row's p99, its inlet at p95 and its GPUs at their limit, and the pressure they give.
    const tip = await operator.floor.hoverRack('A03');
    expect(tip['Predicted']).toMatch(/^\d+ %(, set by (its row's power|its inlet|its hottest GPU))?$/);
    expect(tip['Row p99']).toMatch(/^[\d.]+ %$/);
    expect(tip['Inlet at p95']).toMatch(/^[\d.]+ °C$/);
    expect(tip['Hottest GPU at TDP']).toMatch(/^[\d.]+ °C$/);
    await operator.console.screenshot('predicted-floor.png');
    // Back to a live metric: the forecast's status goes with it.
    await operator.floor.colourBy('budgetPct');
    await expect(status.count()).resolves.toBe(0);
    expect(browser.errors).toEqual([]);
  }, 90_000);
});
