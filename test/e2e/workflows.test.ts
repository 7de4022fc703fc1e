/**
 * Issue 16, the Workflows view: the four declared workflows' plans for the load at this minute of the simulated day —
 * per task model, GPUs, clock, instances —, energy per request and SLO attainment; the operator moves the power budget
 * down with the keyboard and reads what the planner would run, or how much it would shed; then colours the floor by
 * workflow and reads which racks run which. Needs `npm run build` and Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('the Workflows view', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;
  beforeAll(async () => {
    server = await startHeadroom({ speed: 1 });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    await operator.opensTheConsole(server.urls.operator);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows each workflow’s plan within its SLO; a lower budget shows what the planner would do', async () => {
    const page = browser.page;
    await page.locator('body').press('w');
    await page.getByTestId('workflows-view').waitFor();
    for (const id of ['chat-assist', 'code-review', 'meeting-notes', 'doc-qa']) await page.getByTestId(`workflow-${id}`).waitFor({ timeout: 15_000 });
    const chat = page.getByTestId('workflow-chat-assist');
    await expect(chat.locator('h3').textContent()).resolves.toMatch(/chat-assist\s*good: 95 % within [\d.]+ s/);
    await expect(chat.locator('tbody tr').first().textContent()).resolves.toMatch(/^answerllama-3\.1-(8b|70b|405b-fp8)\d × (H100|A100)-SXM\d+ %\d+[\d.]+ s$/);
    await expect(chat.locator('[data-field="energy"]').textContent()).resolves.toMatch(/^\d+ J$/);
    await expect(chat.locator('[data-field="attainment"]').getAttribute('class')).resolves.toBe('ok');
    // doc-qa's answer keeps its quality floor (0.8): never the 8 B model.
    await expect(page.getByTestId('workflow-doc-qa').locator('tbody tr').nth(1).textContent()).resolves.not.toMatch(/llama-3\.1-8b/);
    expect(await page.getByTestId('workflow-under-budget').count()).toBe(0);
    await operator.console.screenshot('workflows.png');
    // The budget down to 80 % with the keyboard (4 steps of 5 %).
    const slider = page.getByTestId('workflows-budget');
    await slider.focus();
    for (let i = 0; i < 4; i++) await page.keyboard.press('ArrowLeft');
    await page.getByTestId('workflows-budget-power').waitFor({ timeout: 10_000 });
    const unders = page.getByTestId('workflow-under-budget');
    await expect(unders.count()).resolves.toBe(4);
    for (let i = 0; i < 4; i++) await expect(unders.nth(i).textContent()).resolves.toMatch(/^Under [\d.]+ kW:\s*(.*within the target|no plan fits — the least it can draw at this load is [\d.]+ kW .* shed\s*[\d.]+ %)/);
    await operator.console.screenshot('workflows-budget.png');
    expect(browser.errors).toEqual([]);
  }, 90_000);

  it('colours the floor by workflow: a colour per workflow named in the legend, its GPUs per rack in the tooltip', async () => {
    const page = browser.page;
    // The Workflows view names each card's racks.
    await expect(page.getByTestId('workflow-code-review').locator('[data-field="racks"]').textContent()).resolves.toMatch(/^This hour's plan runs on row A, \d+ racks?, \d+ GPUs$/);
    // Off the budget slider (it keeps the keys), then the floor's key.
    await page.evaluate('document.activeElement && document.activeElement.blur()');
    await operator.console.pressViewKey('1');
    await operator.floor.root().waitFor();
    await operator.floor.colourBy('workflow');
    await page.waitForFunction("/^This hour's plans on the \\d+ racks that serve SaaS inference/.test(document.querySelector('[data-testid=\"workflow-placement-status\"]')?.textContent?.trim() ?? '')", null, { timeout: 15_000 });
    const legend = (await operator.floor.legend().textContent()) ?? '';
    for (const name of ['chat-assist', 'code-review', 'meeting-notes', 'doc-qa', 'none']) expect(legend).toContain(name);
    // The largest workflow goes first, from the first SaaS rack (A01); row B runs none of them at this hour.
    const first = await operator.floor.hoverRack('A01');
    expect(first['Workflows']).toMatch(/^code-review \d+ GPUs/);
    const idle = await operator.floor.hoverRack('B05');
    expect(idle['Workflows']).toBe('none');
    await operator.floor.hoverRack('A01');
    await operator.console.screenshot('floor-workflows.png');
    await operator.floor.colourBy('budgetPct');
    await expect(page.getByTestId('workflow-placement-status').count()).resolves.toBe(0);
    expect(browser.errors).toEqual([]);
  }, 90_000);
});
