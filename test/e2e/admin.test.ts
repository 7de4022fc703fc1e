/**
 * An admin plans capacity (a small sweep: server counts × the four policies, Headroom's controller among them, demand
 * chosen by keyboard) and edits the control policy, where the engine's validation errors come back readable.
 */
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('capacity planner and policy (admin)', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let admin: Operator;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10 });
    browser = await openBrowser();
    admin = new Operator(browser.page);
    await admin.opensTheConsole(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('picks the demand by keyboard; all four policies are ticked by default', async () => {
    await admin.console.pressViewKey('6');
    await admin.planner.root().waitFor();
    for (const id of ['headroom', 'polca', 'polca-no-priority', 'none']) await expect(admin.planner.policy(id).isChecked()).resolves.toBe(true);
    const demand = admin.planner.demand();
    await expect(demand.inputValue()).resolves.toBe('production');
    await demand.focus();
    await admin.page.keyboard.press('ArrowDown');
    await expect(demand.inputValue()).resolves.toBe('bursty');
    await admin.page.keyboard.press('ArrowUp');
    await expect(demand.inputValue()).resolves.toBe('production');
  });

  it('runs a sweep and charts every server count for the four policies, Headroom’s as its own series', async () => {
    await expect(admin.status.identity().getAttribute('data-role')).resolves.toBe('admin');
    await admin.plansCapacity({ from: 36, to: 56, step: 4, durationS: 900 });
    await expect(admin.planner.error().count()).resolves.toBe(0);
    await expect(admin.planner.tableRows().count()).resolves.toBe(24);
    const policies = await admin.planner.tableRows().evaluateAll((trs) => [...new Set(trs.map((t) => t.getAttribute('data-policy')))]);
    expect(policies.sort()).toEqual(['headroom', 'none', 'polca', 'polca-no-priority']);
    await expect(admin.planner.headline().textContent()).resolves.toMatch(/production demand.*provisioned \d+ servers/s);
    await expect(admin.planner.headline().textContent()).resolves.toMatch(/Headroom:/);
    await expect(admin.planner.chart().getAttribute('aria-label')).resolves.toMatch(/Headroom, POLCA, POLCA, no priority, No capping/);
    await admin.planner.chart().locator('canvas').first().waitFor();
    // The chart as drawn: its CSV export names every series, Headroom's among them, one per panel.
    const [download] = await Promise.all([admin.page.waitForEvent('download'), admin.planner.exportCsvButton().click()]);
    const header = readFileSync(await download.path(), 'utf8').slice(1).split('\r\n')[0]!.split(',');
    expect(header).toContain('Brake events · Headroom · count');
    expect(header.filter((h) => h.includes(' · Headroom · '))).toHaveLength(8);
    expect(header).toContain('Brake events · POLCA · count');
    await admin.waits(500);
    await admin.console.screenshot('planner.png');
  }, 300_000);

  it('edits the policy as JSON; an invalid one is refused with the field named', async () => {
    await admin.console.pressViewKey('7');
    await admin.policy.root().waitFor();
    await admin.policy.editButton().click();
    const text = await admin.policy.json().inputValue();
    await admin.policy.json().fill(text.slice(0, -3));
    await expect(admin.policy.localErrors().textContent()).resolves.toMatch(/not valid JSON/);
    const bad = JSON.parse(text);
    bad.polca.t1Pct = 95; // above T2 (89 %): for the engine to refuse
    await admin.policy.json().fill(JSON.stringify(bad, null, 2));
    await admin.policy.reviewButton().click();
    await expect(admin.policy.dialog().textContent()).resolves.toMatch(/Lock low-priority GPUs when the row is above \(polca\.t1Pct\): 80 → 95/);
    await admin.page.getByTestId('policy-reason').fill('tighten T1 (test)');
    await admin.page.getByTestId('policy-dialog-confirm').click();
    await expect(admin.policy.dialogError().textContent()).resolves.toMatch(/T1 \(95 %\) must be below T2/);
    await admin.page.getByTestId('policy-dialog-cancel').click();

    const good = JSON.parse(text);
    good.polca.t1Pct = 78;
    await admin.policy.json().fill(JSON.stringify(good, null, 2));
    await admin.policy.reviewButton().click();
    await expect(admin.policy.dialog().textContent()).resolves.toMatch(/Lock low-priority GPUs when the row is above \(polca\.t1Pct\): 80 → 78/);
    await admin.page.getByTestId('policy-reason').fill('tighten T1 (test)');
    await admin.page.getByTestId('policy-dialog-confirm').click();
    await admin.page.getByTestId('policy-message').waitFor();
    expect((await server.invoke('policy:get', {})).polca.t1Pct).toBe(78);
    await expect(admin.policy.polcaTable().locator('[data-path="polca.t1Pct"]').textContent()).resolves.toMatch(/78.*changed/s);
    await admin.console.screenshot('policy.png');
  });

  it('raised no page errors', () => {
    expect(browser.errors).toEqual([]);
  });
});
