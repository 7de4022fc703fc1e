/**
 * Issue 10 in the console: the Plant view shows the budgets the plant gives each row, every single failure analysed
 * live, and a maintenance planner — with UPS2 out, losing UPS1 (or its feed, or a side-A busway) drops racks.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('the plant and its single failures', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10 });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    await operator.opensTheConsole(server.urls.operator);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('each floor row shows its worst single failure: all survivable on the default plant', async () => {
    const page = browser.page;
    for (const row of ['A', 'B', 'C', 'D']) await expect(page.getByTestId(`row-n1-${row}`).textContent()).resolves.toBe('N-1 ok');
  });

  it('the Plant view (key 0): budgets and what limits them; no single failure unsafe now', async () => {
    const page = browser.page;
    await page.locator('body').press('0');
    await page.getByTestId('plant-budgets').waitFor();
    const rows = await page.getByTestId('plant-budgets').locator('tbody tr').allTextContents();
    expect(rows).toEqual(['A408 kWits racks’ PDUs', 'B408 kWits racks’ PDUs', 'C408 kWits racks’ PDUs', 'D313.8 kWBW-D-A']);
    await expect(page.getByTestId('n1-summary').textContent()).resolves.toMatch(/96 single failures analysed at .*: 0 unsafe, 0 answered by caps in time, 96 harmless\./);
  });

  it('plans a window with UPS2 out: losing UPS1, its feed, its switchboard or a side-A busway would drop racks', async () => {
    const page = browser.page;
    await page.getByTestId('maint-UPS2').check();
    await page.getByTestId('maint-analyse').click();
    await page.getByTestId('n1-UPS1').waitFor();
    await expect(page.getByTestId('n1-UPS1').textContent()).resolves.toMatch(/40 racks lose all supply.*none can help.*UNSAFE/);
    for (const d of ['U1', 'SB1', 'BW-D-A']) await expect(page.getByTestId(`n1-${d}`).locator('.verdict').textContent()).resolves.toBe('UNSAFE');
    await expect(page.getByTestId('n1-summary').textContent()).resolves.toMatch(/[1-9]\d* unsafe/);
    await operator.console.screenshot('plant-maintenance.png');
    // The live picture is unchanged: a what-if raises no alert.
    const alerts = await server.invoke('alerts:list', {});
    expect(alerts.some((a) => a.rule === 'contingencyUnsafe')).toBe(false);
    await page.getByTestId('maint-clear').click();
    await expect(page.getByTestId('n1-summary').textContent()).resolves.toMatch(/0 unsafe/);
    expect(browser.errors).toEqual([]);
  });
});
