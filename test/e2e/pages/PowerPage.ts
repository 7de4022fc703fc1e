import type { Page } from 'playwright-core';

export type RangePreset = '15m' | '1h' | '6h' | '24h' | '7d';

/** Power against budget over time: the range and scope pickers, the chart, the budget changes it shows. */
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
  range(preset: RangePreset | 'custom') {
    return this.page.getByTestId(`range-${preset}`);
  }
  customFrom() {
    return this.page.getByTestId('range-from');
  }
  customTo() {
    return this.page.getByTestId('range-to');
  }
  customApply() {
    return this.page.getByTestId('range-apply');
  }
  rangeError() {
    return this.page.getByTestId('range-error');
  }
  scope(s: 'row' | 'rack') {
    return this.page.getByTestId(`scope-${s}`);
  }
  budgetChanges() {
    return this.page.getByTestId('budget-changes');
  }
  /** A budget step of a panel ('row:C', 'rack:C03') as listed under the toolbar. */
  budgetChange(panelId: string) {
    return this.page.getByTestId(`budget-change-${panelId}`);
  }

  /** Waits until ECharts has drawn (its canvas exists) and the window's history has answered. */
  async waitUntilDrawn(): Promise<void> {
    await this.chart().locator('canvas').first().waitFor();
    await this.page.waitForFunction(() => document.querySelector('[data-testid="power-note"]')?.getAttribute('data-status') === 'ready');
  }

  /** The step of a panel's budget: from and to (kW), as the chart shows it. */
  async readBudgetChange(panelId: string): Promise<{ fromKW: number; toKW: number; text: string }> {
    const c = this.budgetChange(panelId).first();
    await c.waitFor();
    return { fromKW: Number(await c.getAttribute('data-from-kw')), toKW: Number(await c.getAttribute('data-to-kw')), text: ((await c.textContent()) ?? '').trim() };
  }

  /** Points the mouse at a fraction of the chart's width inside panel `panel` (0 = first) so the tooltip shows. */
  async hover(xFrac: number, panel: number, panels: number): Promise<void> {
    const box = (await this.chart().boundingBox())!;
    const top = 38;
    const plotH = (box.height - 8 - 44 - 30 * panels) / panels;
    await this.page.mouse.move(box.x + 60 + (box.width - 156) * xFrac, box.y + top + panel * (plotH + 30) + plotH / 2);
  }
}
