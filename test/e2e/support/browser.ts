/** Headless Chromium (the system's, via playwright-core) with a 1600×1000 page that records page errors. */
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
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

export const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Where specs save their screenshots: a temporary folder, so `npm test` leaves the working tree clean;
 * `npm run screenshots` sets HEADROOM_SCREENSHOTS=docs/screenshots to refresh the committed ones.
 */
export const screenshotDir = process.env.HEADROOM_SCREENSHOTS ? resolve(repoRoot, process.env.HEADROOM_SCREENSHOTS) : join(tmpdir(), 'headroom-e2e-screenshots');

export interface BrowserSession {
  browser: Browser;
  page: Page;
  /** Uncaught page errors and console errors (CSP violations included). */
  errors: string[];
  close(): Promise<void>;
}

/** The e2e specs need Debian's Chromium (`.ci/run` installs it); they never download a browser, and never skip. */
export async function openBrowser(o: { width?: number; height?: number; colorScheme?: 'dark' | 'light' } = {}): Promise<BrowserSession> {
  if (!existsSync(chromiumPath)) throw new Error(`e2e: no Chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM_PATH)`);
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  const page = await browser.newPage({ colorScheme: o.colorScheme ?? 'dark' });
  await page.setViewportSize({ width: o.width ?? 1600, height: o.height ?? 1000 });
  // Fail an action with its own message well before the test's timeout.
  page.setDefaultTimeout(10_000);
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(`console: ${m.text()}`);
  });
  mkdirSync(screenshotDir, { recursive: true });
  return { browser, page, errors, close: () => browser.close() };
}

/**
 * Records Content-Security-Policy violations as errors too. Chromium reports a blocked eval that the page catches
 * (zod's probe for `new Function`, say) only as a `securitypolicyviolation` event, never on the console.
 * Call before the page is opened.
 */
export async function reportCspViolations(page: Page, errors: string[]): Promise<void> {
  await page.exposeFunction('__headroomCspViolation', (what: string) => errors.push(`csp: ${what}`));
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      (window as unknown as { __headroomCspViolation(what: string): void }).__headroomCspViolation(`${e.violatedDirective} blocked ${e.blockedURI}`);
    });
  });
}
