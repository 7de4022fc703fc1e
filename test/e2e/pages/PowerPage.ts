import type { Page } from 'playwright-core';

/** Site and row power against budget over time. */
export class PowerPage {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('power-view');
  }
  chart() {
    return this.page.getByTestId('power-chart');
  }
  note() {
    return this.page.getByTestId('power-note');
  }

  /** Waits until ECharts has drawn (its canvas exists) and the backfill request has answered. */
  async waitUntilDrawn(): Promise<void> {
    await this.chart().locator('canvas').first().waitFor();
    await this.page.waitForFunction(() => !/Loading/.test(document.querySelector('[data-testid="power-note"]')?.textContent ?? 'Loading'));
  }
}
