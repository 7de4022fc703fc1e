/**
 * Row D of the default scenario is 30 % oversubscribed: within about a minute of simulated time it crosses 90 % of
 * its budget. The operator sees the alert arrive, then looks at power over time against the budget lines.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('alerts and power over time', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 30, db: 'temp' });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    await operator.opensTheConsole(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('an alert appears when row D goes over 90 % of its budget', async () => {
    const alert = await operator.alerts.waitForAlert('rowPower90:D', ['pending', 'firing'], 60_000);
    expect(alert.severity).toBe('warning');
    expect(alert.text).toMatch(/row D/i);
    expect(alert.text).toMatch(/\d+(\.\d)? %/);
    expect(alert.text).toMatch(/since \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC/);
    await expect(operator.alerts.badge().textContent()).resolves.toMatch(/^\s*[1-9]\d*\s*$/);
    await operator.console.pressViewKey('4');
    await operator.console.screenshot('alerts.png');
  }, 75_000);

  it('power over time shows the site and every row against its budget', async () => {
    await operator.waits(2_000);
    await operator.looksAtPowerOverTime();
    await expect(operator.power.note().textContent()).resolves.toMatch(/History|No stored history/);
    const panels = await operator.page.evaluate(() => document.querySelectorAll('[data-testid="power-chart"] canvas').length);
    expect(panels).toBeGreaterThan(0);
    await operator.waits(1_500);
    await operator.console.screenshot('power.png');
  }, 30_000);

  it('raised no page errors', () => {
    expect(browser.errors).toEqual([]);
  });
});
