/**
 * Issue 14, the controller's choice of lever in the console (`serve --tapas` on the tapas hall): as row D's code load
 * nears its oversubscribed budget, TAPAS reconfigures its SaaS instances to FP8 before POLCA's T1 locks would come;
 * the floor's row label says so, with the reason on hover, and the Audit view lists the change (kind "lever") with
 * its reason; the floor colours by thermal pressure (TAPAS's slack); the routing weights a load balancer polls. Needs
 * `npm run build` and Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe("TAPAS's levers in the console", () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 40, scenario: 'tapas', extraArgs: ['--tapas'] });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    await operator.opensTheConsole(server.urls.operator);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('row D goes to FP8 before caps: the row label shows the lever and why, the audit lists it', async () => {
    const page = browser.page;
    const lever = page.getByTestId('row-lever-D');
    await lever.waitFor({ timeout: 60_000 });
    await expect(lever.textContent()).resolves.toBe('FP8');
    await expect(lever.getAttribute('title')).resolves.toMatch(/^TAPAS: the row's SaaS instances → FP8 weights and activations \(quality −0\.5 %\): pressure \d\.\d\d ≥ 0\.5 for 20 s \(row at \d+ % of its budget/);
    await operator.console.screenshot('tapas-floor.png');
    // The floor coloured by TAPAS's thermal slack (inlet and hottest GPU), the legend naming it: a few minutes into
    // row A's cooling derating (600 s), its aisle above 27 °C.
    for (let i = 0; i < 400; i++) {
      const snap = await server.invoke('fleet:snapshot', {});
      if (snap && Math.max(...snap.rack.inletC.slice(0, 10)) > 28) break;
      await operator.waits(250);
    }
    // The weights a load balancer polls (POST /api/invoke/routing:weights): row A's servers, behind the hot aisle,
    // weigh less than row C's.
    const w = await server.invoke('routing:weights', {});
    const mean = (row: string) => {
      const xs = w.servers.filter((s) => s.row === row).map((s) => s.weight);
      return xs.reduce((a, b) => a + b, 0) / xs.length;
    };
    expect(w.servers).toHaveLength(160);
    expect(mean('A')).toBeLessThan(mean('C'));
    await page.getByTestId('metric-select').selectOption('thermalPct');
    await expect(page.locator('body').textContent()).resolves.toContain('Thermal pressure, % (inlet and GPUs)');
    await operator.console.screenshot('tapas-thermal.png');
    await page.locator('body').press('5');
    const rec = page.locator('[data-testid="audit-row"]').filter({ hasText: 'TAPAS reconfiguration' }).filter({ hasText: 'row D' }).first();
    await rec.waitFor({ timeout: 15_000 });
    await expect(rec.textContent()).resolves.toMatch(/FP8 weights and activations on the row's SaaS instances/);
    expect(browser.errors).toEqual([]);
  }, 120_000);
});
