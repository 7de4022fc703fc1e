/**
 * Issue 13 item 7: an admin edits the policy in a form with plain-language labels; T1 = 95 % above T2 = 89 % is
 * refused as typed (not at submit), a clock lock outside the H100's range too; fixed, Review shows the change in
 * words before it is applied, and the engine applies and audits it. Needs `npm run build` and Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, reportCspViolations, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';
import { confirmDialog } from './pages/dialogs.js';

describe('the policy form', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 1 });
    browser = await openBrowser({ width: 1280, height: 720 });
    // The form checks with zod: it must not try eval under the console's CSP (renderer/model/zodCsp.ts).
    await reportCspViolations(browser.page, browser.errors);
    operator = new Operator(browser.page);
    await operator.opensTheConsole(server.urls.admin);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('T1 above T2 is refused as typed; a valid change is reviewed in words, applied and audited', async () => {
    const page = browser.page;
    await operator.console.pressViewKey('7');
    await page.getByTestId('policy-form-open').click();
    await page.getByTestId('policy-form').waitFor();
    await expect(page.getByTestId('pf-status').textContent()).resolves.toBe('Every field is valid');
    await page.getByTestId('pf-polca.t1Pct').fill('95');
    await expect(page.getByTestId('pf-err-polca.t1Pct').textContent()).resolves.toBe('T1 (95 %) must be below T2 (89 %)');
    await expect(page.getByTestId('pf-review').isDisabled()).resolves.toBe(true);
    // A clock lock outside the model's clocks, named with the range.
    await page.getByTestId('pf-add-caps-H100-SXM').click();
    await page.getByTestId('pf-caps-H100-SXM-lowT1MHz').fill('2500');
    await expect(page.getByTestId('policy-form').textContent()).resolves.toMatch(/H100-SXM clocks run \d+–1980 MHz/);
    await page.getByTestId('pf-caps-H100-SXM-lowT1MHz').fill('1600');
    await page.getByTestId('pf-polca.t1Pct').fill('78');
    await expect(page.getByTestId('pf-status').textContent()).resolves.toBe('Every field is valid');
    await page.getByTestId('pf-review').click();
    await page.getByTestId('policy-dialog').waitFor();
    const changes = await page.getByTestId('policy-change').allTextContents();
    expect(changes.some((c) => /^Lock low-priority GPUs when the row is above \(polca\.t1Pct\): 80 → 78$/.test(c.trim()))).toBe(true);
    await page.getByTestId('policy-reason').fill('drill season: act earlier');
    await confirmDialog(page, 'policy-dialog');
    await expect(page.getByTestId('policy-message').textContent()).resolves.toBe('Policy updated.');
    expect((await server.invoke('policy:get', {})).polca.t1Pct).toBe(78);
    const rec = (await server.invoke('audit:list', { kind: 'policy', limit: 1 }))[0]!;
    expect(rec).toMatchObject({ reason: 'drill season: act earlier', outcome: 'ok' });
    await operator.console.screenshot('policy-form.png');
    expect(browser.errors).toEqual([]);
  }, 60_000);
});
