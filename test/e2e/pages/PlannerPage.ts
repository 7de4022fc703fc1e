import type { Page } from 'playwright-core';

/** The capacity planner (view 6). */
export class PlannerPage {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('planner-view');
  }
  progress() {
    return this.page.getByTestId('planner-progress');
  }
  chart() {
    return this.page.getByTestId('planner-chart');
  }
  tableRows() {
    return this.page.getByTestId('planner-row');
  }
  headline() {
    return this.page.getByTestId('planner-headline');
  }
  error() {
    return this.page.getByTestId('planner-error');
  }

  demand() {
    return this.page.getByTestId('planner-demand');
  }
  policy(id: string) {
    return this.page.getByTestId(`planner-policy-${id}`);
  }
  exportCsvButton() {
    return this.root().getByTestId('export-csv');
  }

  async fill(o: { from: number; to: number; step: number; durationS: number }): Promise<void> {
    await this.page.getByTestId('planner-from').fill(String(o.from));
    await this.page.getByTestId('planner-to').fill(String(o.to));
    await this.page.getByTestId('planner-step').fill(String(o.step));
    await this.page.getByTestId('planner-duration').fill(String(o.durationS));
  }
  async run(): Promise<void> {
    await this.page.getByTestId('planner-run').click();
  }
}
