import { resolve } from 'node:path';
import type { Page } from 'playwright-core';
import { screenshotDir } from '../support/browser.js';

/** The console shell: navigation, connection, screenshots. */
export class ConsolePage {
  constructor(readonly page: Page) {}

  async open(url: string): Promise<void> {
    await this.page.goto(url);
  }

  /** Connected, topology loaded and a first snapshot drawn. */
  async waitUntilLive(): Promise<void> {
    await this.page.getByTestId('connection-state').filter({ hasText: 'connected' }).waitFor();
    await this.page.waitForFunction(() => {
      const t = document.querySelector('[data-testid="status-sim-time"]')?.textContent ?? '';
      return /\d{4}-\d\d-\d\d/.test(t);
    });
  }

  /** Views by their keyboard shortcuts: 1 floor, 2 rack, 3 power, 4 alerts, 5 audit, 6 planner, 7 policy, 8 sources. */
  async pressViewKey(key: '1' | '2' | '3' | '4' | '5' | '6' | '7' | '8'): Promise<void> {
    await this.page.locator('body').press(key);
  }

  tab(id: 'floor' | 'rack' | 'power' | 'alerts' | 'audit' | 'planner' | 'policy' | 'sources') {
    return this.page.getByTestId(`nav-${id}`);
  }

  connectionState() {
    return this.page.getByTestId('connection-state');
  }

  tokenScreen() {
    return this.page.getByTestId('token-screen');
  }

  async screenshot(name: string): Promise<string> {
    const path = resolve(screenshotDir, name);
    await this.page.screenshot({ path });
    return path;
  }
}
