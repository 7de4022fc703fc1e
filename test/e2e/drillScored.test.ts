/**
 * Issue 13's "done when", end to end in Chromium at 1280×720, once in each theme: an operator runs the cooling-loss
 * drill with automation off, acknowledges the grouped alert, caps the row, ends the drill and reads a scored report
 * beside the automatic response. Needs `npm run build` and Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe.each(['dark', 'light'] as const)('a scored drill at 1280×720, %s theme', (scheme) => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10 });
    browser = await openBrowser({ width: 1280, height: 720, colorScheme: scheme });
    operator = new Operator(browser.page);
    await operator.opensTheConsole(server.urls.operator);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('cooling loss on row C, automation off: ack the group, cap the row, end — the report puts the operator beside the controller', async () => {
    const page = operator.page;
    await operator.runsALibraryDrill('cooling-loss-c', false, 'monthly cooling drill');
    await expect(page.getByTestId('drill-banner').textContent()).resolves.toMatch(/DRILL.*Cooling loss on row C.*automation OFF/s);
    // The row's automation is off: the controller leaves it to the operator.
    expect((await server.invoke('control:summary', {})).rows.find((r) => r.row === 'C')!.automation).toBe(false);
    // A group of row C's alerts arrives (its inlets climbing); the operator acknowledges it whole.
    let key = '';
    for (let i = 0; i < 240 && !key; i++) {
      const alerts = await server.invoke('alerts:list', { includeResolved: false });
      const counts = new Map<string, number>();
      for (const a of alerts) if (a.row === 'C' && a.state === 'firing' && a.rule !== 'controllerStage' && !a.ack) counts.set(`${a.rule}/C`, (counts.get(`${a.rule}/C`) ?? 0) + 1);
      key = [...counts].filter(([, n]) => n >= 2).sort((a, b) => b[1] - a[1])[0]?.[0] ?? '';
      if (!key) await operator.waits(250);
    }
    expect(key).not.toBe('');
    await operator.alerts.groupCard(key).waitFor();
    await operator.alerts.acknowledgesGroup(key, 'drill: on it');
    await operator.capsRow('C', 350, 'cooling drill: cap row C');
    await operator.waits(3000);
    await operator.endsTheDrill('objectives met');
    // Scored: the operator beside Headroom's controller from the same start.
    const report = page.getByTestId('drill-report');
    await report.waitFor({ timeout: 60_000 });
    const op = Number((await page.getByTestId('drill-score-operator').locator('.big').textContent())!.trim());
    const auto = Number((await page.getByTestId('drill-score-automatic').locator('.big').textContent())!.trim());
    expect(op).toBeGreaterThanOrEqual(0);
    expect(op).toBeLessThanOrEqual(100);
    expect(auto).toBeGreaterThanOrEqual(0);
    await expect(page.getByTestId('drill-comparison').textContent()).resolves.toMatch(/Time to detect.*Time to first action.*Over budget/s);
    // Her acknowledgement is the detection, her cap the first action (commanded, before it lands).
    const firstAction = await page.getByTestId('drill-comparison').locator('tr', { hasText: 'Time to first action' }).locator('td').first().textContent();
    const detect = await page.getByTestId('drill-comparison').locator('tr', { hasText: 'Time to detect' }).locator('td').first().textContent();
    expect(detect).toMatch(/^\d+(\.\d)? s$/);
    expect(firstAction).toMatch(/^\d+(\.\d)? s$/);
    await expect(report.textContent()).resolves.toMatch(/operator \(token\) \(automation off\).*Headroom's controller/s);
    await operator.console.screenshot(`drill-report-${scheme}.png`);
    await page.getByTestId('drill-report-close').click();
    // Kept and listed; automation back on; audited.
    const reports = await server.invoke('drill:reports', {});
    expect(reports[0]).toMatchObject({ drill: 'cooling-loss-c', automation: false, score: op });
    expect((await server.invoke('control:summary', {})).rows.find((r) => r.row === 'C')!.automation).toBe(true);
    const drills = await server.invoke('audit:list', { kind: 'drill', limit: 5 });
    expect(drills.map((d) => d.newValue)).toEqual(expect.arrayContaining(['ended early']));
    expect(browser.errors).toEqual([]);
  }, 180_000);
});
