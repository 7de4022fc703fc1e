/**
 * Issue 13 item 8, fits the desk: at 1280×720, in the dark and the light theme (following the operating system), the
 * floor shows every rack id of a row inside the window, the side columns take at most a third of the width, the top
 * bar's controls are on screen, and `?` opens how to read the current view with the keys; a viewer's Pause and
 * speed are disabled with the reason. Needs `npm run build` and Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('the console at 1280×720', () => {
  let server: RunningServer;
  beforeAll(async () => {
    server = await startHeadroom({ speed: 10 });
  }, 60_000);
  afterAll(async () => {
    await server?.stop();
  });

  for (const scheme of ['dark', 'light'] as const) {
    it(`${scheme} theme: rack ids in view, side columns ≤ a third, top bar on screen, ? explains the view`, async () => {
      let browser: BrowserSession | null = null;
      try {
        browser = await openBrowser({ width: 1280, height: 720, colorScheme: scheme });
        const operator = new Operator(browser.page);
        await operator.opensTheConsole(server.urls.operator);
        const page = browser.page;
        // The theme follows the operating system: the page's background is dark or light.
        const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
        const [r, g, b] = bg.match(/\d+/g)!.map(Number);
        const luma = 0.299 * r! + 0.587 * g! + 0.114 * b!;
        if (scheme === 'light') expect(luma).toBeGreaterThan(200);
        else expect(luma).toBeLessThan(40);
        // Every rack of row A is inside the window, wide and tall enough for the painter to write its id (RackGrid:
        // ids from 46 px wide and value + id + 10 px tall).
        const boxes = await page.locator('[data-testid^="rack-cell-A"]').evaluateAll((els) => els.map((e) => e.getBoundingClientRect()).map((r) => ({ right: r.right, w: r.width, h: r.height })));
        expect(boxes.length).toBe(10);
        for (const x of boxes) {
          expect(x.right).toBeLessThanOrEqual(1280);
          expect(x.w).toBeGreaterThanOrEqual(46);
          expect(x.h).toBeGreaterThanOrEqual(60);
        }
        // The control column and the alerts share one column of at most a third of the width.
        const sideLeft = await page.getByTestId('alerts-panel').evaluate((e) => e.getBoundingClientRect().left);
        expect(1280 - sideLeft).toBeLessThanOrEqual(1280 / 3);
        for (const id of ['btn-help', 'btn-save-incident', 'nav-plant', 'speed-select']) {
          const box = await page.getByTestId(id).boundingBox();
          expect(box, id).not.toBeNull();
          expect(box!.x + box!.width, id).toBeLessThanOrEqual(1280);
        }
        await page.locator('body').press('?');
        await page.getByTestId('keys-sheet').waitFor();
        await expect(page.getByTestId('howto-current').textContent()).resolves.toMatch(/^Every rack of every row/);
        await operator.console.screenshot(`desk-1280-${scheme}.png`);
        await page.getByTestId('keys-sheet-close').click();
        await page.getByTestId('keys-sheet').waitFor({ state: 'hidden' });
        await operator.console.pressViewKey('3');
        await page.locator('body').press('?');
        await expect(page.getByTestId('howto-current').textContent()).resolves.toMatch(/^Each row \(or each rack of a row\) against its budget/);
        await page.keyboard.press('Escape');
        expect(browser.errors).toEqual([]);
      } finally {
        await browser?.close();
      }
    }, 60_000);
  }

  it('a viewer: Pause and the speed are disabled, saying why', async () => {
    const browser = await openBrowser({ width: 1280, height: 720 });
    try {
      const operator = new Operator(browser.page);
      await operator.opensTheConsole(server.urls.viewer);
      const page = browser.page;
      await page.waitForFunction(() => document.querySelector<HTMLButtonElement>('[data-testid="btn-pause"]')?.disabled === true);
      await expect(page.getByTestId('speed-select').isDisabled()).resolves.toBe(true);
      await expect(page.getByTestId('speed-select').getAttribute('title')).resolves.toMatch(/is a viewer: pausing and the speed are for operators/);
    } finally {
      await browser.close();
    }
  }, 60_000);
});
