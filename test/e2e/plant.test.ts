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

  it('approves the window, then two UPS1 modules fail: the budgets fall at once and the prepared response brings every row under them before anything trips', async () => {
    const page = browser.page;
    await page.getByTestId('maint-UPS2').check();
    await page.getByTestId('maint-analyse').click();
    await page.getByTestId('n1-UPS1').waitFor();
    await page.getByTestId('maint-approve').click();
    await page.getByTestId('plant-dialog').waitFor();
    await page.getByTestId('maint-hours').fill('2');
    await page.getByTestId('plant-reason').fill('UPS2 battery replacement');
    await page.getByTestId('plant-dialog-confirm').click();
    await page.getByTestId('plant-out').waitFor();
    await expect(page.getByTestId('plant-out').textContent()).resolves.toBe('out of service now: UPS2');
    const audit = await server.invoke('audit:list', { kind: 'maintenance', limit: 5 });
    expect(audit[0]).toMatchObject({ target: 'maintenance UPS2', reason: 'UPS2 battery replacement', role: 'operator' });
    // Without redundancy the live analysis says so: an alert, and the floor rows.
    await page.waitForFunction(() => document.querySelector('[data-testid="n1-summary"]')?.textContent?.match(/[1-9]\d* unsafe/) !== null);
    // The drill: two modules of UPS1 fail, one after the other.
    for (let k = 0; k < 2; k++) {
      await page.getByTestId('fail-device').selectOption('UPS1/module');
      await page.getByTestId('fail-open').click();
      await page.getByTestId('plant-reason').fill('module fault drill');
      await page.getByTestId('plant-dialog-confirm').click();
      await page.getByTestId('plant-dialog').waitFor({ state: 'hidden' });
    }
    let snap = (await server.invoke('fleet:snapshot', {}))!;
    for (let i = 0; i < 40 && snap.row.budgetKW.some((b) => b !== 275); i++) {
      await operator.waits(250);
      snap = (await server.invoke('fleet:snapshot', {}))!;
    }
    expect(snap.row.budgetKW).toEqual([275, 275, 275, 275]);
    await page.waitForFunction(() => /D275 kW/.test(document.querySelector('[data-testid="plant-budgets"]')?.textContent ?? ''));
    // Within a minute of simulated time every row is under its new budget; nothing tripped.
    let under = false;
    for (let i = 0; i < 80 && !under; i++) {
      snap = (await server.invoke('fleet:snapshot', {}))!;
      under = snap.row.powerW.every((w) => w / 1000 <= 275);
      if (!under) await operator.waits(250);
    }
    expect(under).toBe(true);
    const view = await server.invoke('plant:contingency', {});
    if (!view.available) throw new Error('no plant');
    expect(view.out.sort()).toEqual(['UPS1/module', 'UPS1/module', 'UPS2']);
    await operator.console.screenshot('plant-window.png');
    expect(browser.errors).toEqual([]);
  }, 120_000);
});
