/**
 * Issue 10, liquid cooling in the console (`--scenario gb200`): the Plant view shows row G's CDUs among the single
 * failures — a whole CDU lost is unsafe (its GPUs reach slowdown in tens of seconds, caps cannot remove all the heat),
 * a pump is harmless — and planning a window with a CDU-G1 pump out shows the next pump loss answered by caps on G01
 * and G02. Needs `npm run build` and Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('a GB200 NVL72 row on its CDUs', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10, scenario: 'gb200' });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    await operator.opensTheConsole(server.urls.operator);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the Plant view: a CDU lost is unsafe in tens of seconds; with a pump out for maintenance the next one is answered by caps on row G', async () => {
    const page = browser.page;
    // The floor row says so before anyone opens the Plant view.
    await page.waitForFunction(() => /N-1/.test(document.querySelector('[data-testid="row-n1-G"]')?.textContent ?? ''));
    await expect(page.getByTestId('row-n1-G').textContent()).resolves.not.toBe('N-1 ok');
    await page.locator('body').press('0');
    await page.getByTestId('plant-budgets').waitFor();
    await expect(page.getByTestId('plant-budgets').locator('tbody tr').last().textContent()).resolves.toBe('G520 kWBW-G-A');
    const leak = page.getByTestId('n1-CDU-G2');
    await leak.waitFor();
    await expect(leak.textContent()).resolves.toMatch(/CDU-G2 with nothing left: its GPUs reach slowdown in \d+(\.\d+)? s.*UNSAFE/);
    // Row G's training has started (a loaded machine runs the simulation slower): its CDUs carry their heat.
    for (let i = 0; i < 240; i++) {
      const snap = await server.invoke('fleet:snapshot', {});
      if (snap && snap.row.powerW[4]! / 1000 > 300) break;
      await operator.waits(250);
    }
    await page.getByTestId('maint-CDU-G1/pump').check();
    await page.getByTestId('maint-analyse').click();
    const pump = page.getByTestId('n1-CDU-G1/pump');
    await pump.waitFor();
    await expect(pump.textContent()).resolves.toMatch(/CDU-G1 at \d+(\.\d+)? %: its GPUs reach slowdown in \d+(\.\d+)? s.*cap \d+(\.\d+)? kW \(G [\d.]+\), lands in 40 s/);
    await expect(pump.locator('.verdict').textContent()).resolves.toBe('caps armed');
    await pump.scrollIntoViewIfNeeded();
    await operator.console.screenshot('plant-gb200.png');
    expect(browser.errors).toEqual([]);
  }, 90_000);
});
