/**
 * Power history after a drill: the operator cuts 30 % of row C's feed, then looks back over a window they pick and
 * sees row C's budget step down at the moment of the drill (the % of budget is against the budget in force then),
 * looks at a custom window rack by rack, and opens a GPU of row C to see its last hour.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

/** "2026-01-01 00:04" (UTC) as the custom window's fields take it, rounded down (or up) to the minute. */
const minute = (ms: number, up = false) => new Date((up ? Math.ceil(ms / 60_000) : Math.floor(ms / 60_000)) * 60_000).toISOString().slice(0, 16).replace('T', ' ');

describe('power history: a budget step after a feed-loss drill', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;
  let budgetC = 0;
  let startMs = 0;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10, db: 'temp' });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    startMs = (await server.invoke('status:get', {})).simTimeMs;
    await operator.opensTheConsole(server.urls.operator);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('the operator cuts row C’s feed and the row’s budget falls to 70 %', async () => {
    // Some history before the drill.
    await operator.waits(8_000);
    budgetC = (await server.invoke('fleet:snapshot', {}))!.row.budgetKW[2]!;
    await operator.startsADrill('powerBudgetLoss', 'C', 30, 1800, 'feed-loss drill, history review');
    let now = budgetC;
    for (let i = 0; i < 40 && now > budgetC * 0.71; i++) {
      await operator.waits(250);
      now = (await server.invoke('fleet:snapshot', {}))!.row.budgetKW[2]!;
    }
    expect(now).toBeCloseTo(budgetC * 0.7, 0);
    // And some history after it.
    await operator.waits(8_000);
  }, 40_000);

  it('picks the last 15 minutes and sees row C’s budget step down at the drill; % of budget is against the budget then', async () => {
    await operator.looksAtPowerOverTime();
    await operator.picksRange('15m');
    await expect(operator.power.note().textContent()).resolves.toMatch(/History: .* of 10 s averages from the store, then live/);
    const step = await operator.power.readBudgetChange('row:C');
    expect(step.fromKW).toBeCloseTo(budgetC, 0);
    expect(step.toKW).toBeCloseTo(budgetC * 0.7, 0);
    expect(step.text).toMatch(/^Row C 408\.0 kW → 285\.6 kW at \d\d:\d\d:\d\d UTC$/);
    // Only row C's budget changed.
    await expect(operator.power.budgetChanges().locator('[data-testid^="budget-change-"]').count()).resolves.toBe(1);
    // The tooltip near the right edge (after the drill) divides row C's power by 285.6 kW, not by 408 kW.
    await operator.power.hover(0.97, 3, 5);
    await operator.page.waitForFunction(() => [...document.querySelectorAll('[data-testid="power-chart"] div')].some((d) => /Row C:.*% of 285\.6 kW/.test(d.textContent ?? '')));
    await operator.console.screenshot('power.png');
  }, 30_000);

  it('the range picker works from the keyboard', async () => {
    await operator.power.range('15m').focus();
    await operator.page.keyboard.press('ArrowRight');
    await operator.power.waitUntilDrawn();
    await expect(operator.power.range('1h').isChecked()).resolves.toBe(true);
    await operator.power.readBudgetChange('row:C');
  }, 20_000);

  it('a custom window, rack by rack: row C steps, its racks keep their own budgets', async () => {
    const now = (await server.invoke('status:get', {})).simTimeMs;
    await operator.power.range('custom').check();
    // A window that ends before it starts is refused with a reason, not drawn.
    await operator.power.customFrom().fill(minute(now, true));
    await operator.power.customTo().fill(minute(startMs));
    await operator.power.customApply().click();
    await expect(operator.power.rangeError().textContent()).resolves.toMatch(/To must be after From/);
    await operator.picksCustomRange(minute(startMs), minute(now, true));
    await expect(operator.power.note().textContent()).resolves.not.toMatch(/then live/);
    await operator.showsRacksOfRow('C');
    const step = await operator.power.readBudgetChange('row:C');
    expect(step.toKW).toBeCloseTo(budgetC * 0.7, 0);
    await expect(operator.power.budgetChanges().locator('[data-testid^="budget-change-rack:"]').count()).resolves.toBe(0);
    await operator.power.hover(0.8, 0, 11);
    await operator.page.waitForFunction(() => [...document.querySelectorAll('[data-testid="power-chart"] div')].some((d) => /Rack C03:/.test(d.textContent ?? '')));
    await operator.console.screenshot('power-history.png');
  }, 30_000);

  it('opens a GPU of row C in the rack view and sees its last hour', async () => {
    const topo = await server.invoke('fleet:topology', {});
    const rack = topo.racks.find((r) => r.id === 'C03')!;
    const gpu = topo.servers[rack.serverStart + 1]!.gpuStart + 2;
    await operator.console.tab('floor').click();
    await operator.floor.root().waitFor();
    await operator.opensRack('C03');
    const seconds = await operator.looksAtTheLastHourOf(gpu);
    // Every stored second of the run so far (1 Hz, ×10 speed: ~25 s of wall time).
    expect(seconds).toBeGreaterThan(150);
    await expect(operator.rack.gpuHistory().locator('h3').textContent()).resolves.toMatch(/C03.* · last hour/);
    await operator.rack.gpuHistory().scrollIntoViewIfNeeded();
    await operator.console.screenshot('rack-gpu-history.png');
  }, 30_000);

  it('raised no page errors', () => {
    expect(browser.errors).toEqual([]);
  });
});
