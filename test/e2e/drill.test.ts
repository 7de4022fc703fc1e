/**
 * An emergency drill: the operator cuts a feed to row C from the console and watches the controller answer — the row's
 * budget drops, the lost-feed playbook acts, the row is back under its new budget — and finds the drill audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('emergency drill: a lost feed', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10 });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    await operator.opensTheConsole(server.urls.operator);
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('cuts 30 % of row C’s feed and sees the controller bring the row under its new budget', async () => {
    const before = (await server.invoke('fleet:snapshot', {}))!.row.budgetKW[2]!;
    await operator.startsADrill('powerBudgetLoss', 'C', 30, 300, 'quarterly feed-loss drill');
    await expect(operator.control.message().textContent()).resolves.toMatch(/Drill started: lost feed: row C loses 30 % of its power budget for 300 s/);
    // The row's budget falls to 70 % and, within the UPS ride-through and the brake's latency, its power follows.
    let snap = await server.invoke('fleet:snapshot', {});
    for (let i = 0; i < 40 && snap!.row.budgetKW[2]! > before * 0.71; i++) {
      await operator.waits(250);
      snap = await server.invoke('fleet:snapshot', {});
    }
    expect(snap!.row.budgetKW[2]).toBeCloseTo(before * 0.7, 0);
    // The lost-feed playbook takes the row (brake first, then locks) and the row comes under its new budget.
    const rowC = (await server.invoke('control:summary', {})).rows.find((r) => r.row === 'C')!;
    expect(rowC.playbook !== null || rowC.brakedGpus > 0).toBe(true);
    let under = false;
    for (let i = 0; i < 60 && !under; i++) {
      const s = (await server.invoke('fleet:snapshot', {}))!;
      under = s.row.powerW[2]! / 1000 <= s.row.budgetKW[2]!;
      if (!under) await operator.waits(250);
    }
    expect(under).toBe(true);
    await operator.page.getByTestId('row-control-C').waitFor();
    await operator.console.screenshot('drill.png');
    const records = await server.invoke('audit:list', { kind: 'drill', limit: 5 });
    expect(records[0]).toMatchObject({ kind: 'drill', target: 'row C', reason: 'quarterly feed-loss drill', outcome: 'ok', role: 'operator' });
  });
});
