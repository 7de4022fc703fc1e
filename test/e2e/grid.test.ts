/**
 * Issue 15, the grid view: a console whose grid source is a simulated grid meter (100 Hz, the training-swings site)
 * shows the swings an unmitigated site sends the grid — every limit crossed, the spectrum with the band shaded, the
 * jobs that swing the load, the gridLimit alert — and, on a console with every remedy, the same site within its limits; a
 * console without a meter says its 1 Hz source cannot show the band. Needs `npm run build` and Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

async function opensTheGridView(operator: Operator): Promise<void> {
  await operator.page.locator('body').press('g');
  await operator.page.getByTestId('grid-view').waitFor();
  // Two minutes simulated (×10): the analysis covers its whole 120 s window.
  await operator.page.waitForFunction(() => Number(document.querySelector('[data-testid="grid-view"]')?.getAttribute('data-analysis-s') ?? 0) >= 120, null, { timeout: 60_000 });
  expect(Number(await operator.page.getByTestId('grid-spectrum').getAttribute('data-points'))).toBeGreaterThan(100);
}

/** Each console in this file talks to its own server: what the previous one logged on closing is not this one's. */
async function opensAFreshConsole(operator: Operator, browser: BrowserSession, url: string): Promise<void> {
  await operator.opensTheConsole(url);
  browser.errors.length = 0;
}

describe('the grid view', () => {
  let browser: BrowserSession;
  let operator: Operator;
  beforeAll(async () => {
    browser = await openBrowser();
    operator = new Operator(browser.page);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
  });

  it('an unmitigated training site: every limit crossed, the band shaded, the jobs that swing it, the alert', async () => {
    const server: RunningServer = await startHeadroom({ speed: 10, extraArgs: ['--grid-meter', 'none'] });
    try {
      await opensAFreshConsole(operator, browser, server.urls.operator);
      await opensTheGridView(operator);
      const page = browser.page;
      await expect(page.getByTestId('grid-source').getAttribute('data-kind')).resolves.toBe('sim-meter');
      await expect(page.getByTestId('grid-source').textContent()).resolves.toMatch(/^100 Hz · simulated grid meter/);
      for (const id of ['ramp', 'swing', 'band']) await expect(page.getByTestId(`grid-tile-${id}`).getAttribute('data-ok')).resolves.toBe('false');
      await expect(page.getByTestId('grid-tile-band').textContent()).resolves.toMatch(/Energy in 0\.1–20 Hz\s*\d+\.\d %/);
      await expect(page.getByTestId('grid-crossed').textContent()).resolves.toMatch(/ramp [\d.]+ MW\/s over 1 s, limit 0\.15; swing [\d.]+ MW within 10 s, limit 0\.15; [\d.]+ % of the energy in 0\.1–20 Hz, limit 20 %/);
      // Ten refreshes a second: the time chart holds the last 30 s at 100 Hz.
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="grid-time-chart"]')?.getAttribute('data-points') ?? 0) >= 2900, null, { timeout: 20_000 });
      const rows = page.getByTestId('grid-contributors').locator('tbody tr');
      await expect(rows.count()).resolves.toBe(4);
      // The biggest job (512 GPUs at 2 s iterations) swings it most.
      await expect(rows.first().locator('th').textContent()).resolves.toBe('pretrain-a');
      expect(Number(await page.getByTestId('grid-view').getAttribute('data-frame-ms'))).toBeGreaterThan(0);
      // The alert: one for the grid connection, naming the limits.
      const alert = page.locator('[data-testid="alert-row"][data-alert-id^="gridLimit"]').first();
      await alert.waitFor({ timeout: 15_000 });
      await expect(alert.textContent()).resolves.toMatch(/Grid limits crossed at the point of interconnection: ramp/);
      await operator.console.screenshot('grid.png');
      // A longer stretch: 2 minutes at 100 Hz.
      await page.getByTestId('grid-span').selectOption('120');
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="grid-time-chart"]')?.getAttribute('data-points') ?? 0) >= 11_000, null, { timeout: 20_000 });
      expect(browser.errors).toEqual([]);
    } finally {
      await server.stop();
    }
  }, 150_000);

  it('every remedy on: the same site within its limits; without a meter, the 1 Hz source says what it cannot show', async () => {
    const server: RunningServer = await startHeadroom({ speed: 10, extraArgs: ['--grid-meter', 'all'] });
    try {
      await opensAFreshConsole(operator, browser, server.urls.operator);
      await opensTheGridView(operator);
      const page = browser.page;
      // Past the jobs' start ramps (60 s) the remedies hold the site within every limit over the 2-minute analysis.
      await page.waitForFunction(() => document.querySelector('[data-testid="grid-within"]') !== null, null, { timeout: 60_000 });
      for (const id of ['ramp', 'swing', 'band']) await expect(page.getByTestId(`grid-tile-${id}`).getAttribute('data-ok')).resolves.toBe('true');
      await expect(page.getByTestId('grid-within').textContent()).resolves.toMatch(/remedy in force: all/);
      await operator.console.screenshot('grid-mitigated.png');
    } finally {
      await server.stop();
    }
    const plain = await startHeadroom({ speed: 10 });
    try {
      await opensAFreshConsole(operator, browser, plain.urls.operator);
      await browser.page.locator('body').press('g');
      const src = browser.page.getByTestId('grid-source');
      await src.waitFor({ timeout: 20_000 });
      await expect(src.getAttribute('data-kind')).resolves.toBe('engine');
      await expect(src.textContent()).resolves.toMatch(/^1 Hz · site power summed from per-GPU readings.*resolves below 0\.5 Hz only/);
      expect(browser.errors).toEqual([]);
    } finally {
      await plain.stop();
    }
  }, 180_000);
});
