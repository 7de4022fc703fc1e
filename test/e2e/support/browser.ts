/** Headless Chromium (the system's, via playwright-core) with a 1600×1000 page that records page errors. */
import { mkdirSync } from 'node:fs';
import { resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { repoRoot } from './server.js';

export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-quic',
  '--no-first-run',
];

export const screenshotDir = resolve(repoRoot, 'docs/screenshots');

export interface BrowserSession {
  browser: Browser;
  page: Page;
  /** Uncaught page errors and console errors (CSP violations included). */
  errors: string[];
  close(): Promise<void>;
}

export async function openBrowser(): Promise<BrowserSession> {
  const browser = await chromium.launch({ executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium', args: CHROMIUM_ARGS });
  const page = await browser.newPage();
  await page.setViewportSize({ width: 1600, height: 1000 });
  // Fail an action with its own message well before the test's timeout.
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    // A <meta> CSP cannot carry frame-ancestors (the server sends it as a header); Chromium says so on every load.
    if (m.type() === 'error' && !m.text().includes("'frame-ancestors' is ignored")) errors.push(`console: ${m.text()}`);
  });
  mkdirSync(screenshotDir, { recursive: true });
  return { browser, page, errors, close: () => browser.close() };
}
