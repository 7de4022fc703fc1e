/**
 * Issue 14, placement in the console: on the `tapas-free` hall (40 idle servers) with history stored, the operator
 * opens Planner → Placement, asks where 64 training GPUs should go, and gets the servers chosen, the ranking with a
 * reason per server, and the advisor beside first fit. A viewer may ask too (advice changes nothing). Needs
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
});
