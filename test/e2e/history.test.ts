/**
 * Power history after a drill: the operator cuts 30 % of row C's feed, then looks back over a window they pick and
 * sees row C's budget step down at the moment of the drill (the % of budget is against the budget in force then),
 * looks at a custom window rack by rack, opens a GPU of row C to see its last hour, and exports the Power view's chart
 * as CSV and PNG.
 */
import { copyFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
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

  it('exports the Power view’s chart: its series as CSV (row C’s power and budget step) and a picture as PNG', async () => {
    await operator.looksAtPowerOverTime();
    const page = operator.page;
    const csvButton = operator.power.root().getByTestId('export-csv');
    const pngButton = operator.power.root().getByTestId('export-png');
    await expect(csvButton.getAttribute('title')).resolves.toMatch(/CSV/);

    const [csvDownload] = await Promise.all([page.waitForEvent('download'), csvButton.click()]);
    expect(csvDownload.suggestedFilename()).toMatch(/^headroom-power-racks-of-row-c-\d{8}T\d{6}Z\.csv$/);
    const text = readFileSync(await csvDownload.path(), 'utf8');
    // A byte-order mark for spreadsheets, then RFC 4180 records ending in CRLF.
    expect(text.startsWith('\uFEFFtime,')).toBe(true);
    const [header, ...rows] = text.slice(1).split('\r\n').filter((l) => l !== '').map((l) => l.split(','));
    const rowC = header!.indexOf('Row C · kW');
    const budget = header!.indexOf('Row C 100 % of budget · kW');
    expect(header![0]).toBe('time');
    expect(rowC).toBeGreaterThan(0);
    expect(budget).toBeGreaterThan(0);
    expect(header).toContain('Rack C03 · kW');
    // The custom window (start to now) holds ~25 s of sim time per wall second: tens of 10 s buckets.
    expect(rows.length).toBeGreaterThan(10);
    let lastMs = -Infinity;
    for (const r of rows) {
      expect(r).toHaveLength(header!.length);
      expect(r[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
      const ms = Date.parse(r[0]!);
      expect(ms).toBeGreaterThan(lastMs);
      lastMs = ms;
      for (const cell of r.slice(1)) expect(cell).toMatch(/^(-?\d+(\.\d+)?)?$/);
    }
    const powerC = rows.map((r) => r[rowC]).filter((c) => c !== '').map(Number);
    expect(powerC.length).toBeGreaterThan(rows.length / 2);
    for (const kw of powerC) expect(kw).toBeGreaterThan(0);
    // Row C's budget in force at each bucket: 408 kW before the drill, 70 % of it after.
    const budgets = [...new Set(rows.map((r) => r[budget]).filter((c) => c !== '').map(Number))];
    expect(budgets.some((kw) => Math.abs(kw - budgetC) < 0.1)).toBe(true);
    expect(budgets.some((kw) => Math.abs(kw - budgetC * 0.7) < 0.1)).toBe(true);

    // The PNG button, from the keyboard.
    await pngButton.focus();
    const [pngDownload] = await Promise.all([page.waitForEvent('download'), page.keyboard.press('Enter')]);
    expect(pngDownload.suggestedFilename()).toMatch(/^headroom-power-racks-of-row-c-\d{8}T\d{6}Z\.png$/);
    const pngPath = await pngDownload.path();
    const png = readFileSync(pngPath);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    // IHDR: twice the chart's pixels.
    const { w, h } = await operator.power.chart().evaluate((el) => ({ w: el.clientWidth, h: el.clientHeight }));
    expect(png.readUInt32BE(16)).toBe(w * 2);
    expect(png.readUInt32BE(20)).toBe(h * 2);
    // Kept (outside the working tree) to look at: the download itself goes when the browser closes.
    copyFileSync(pngPath, join(tmpdir(), 'headroom-e2e-power-export.png'));
    await operator.console.screenshot('power-export.png');
  }, 30_000);

  it('raised no page errors', () => {
    expect(browser.errors).toEqual([]);
  });
});
