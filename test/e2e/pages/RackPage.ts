import type { Page } from 'playwright-core';

/** One rack: servers × GPUs with live power, temperature, clock, limit and clock events. */
export class RackPage {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('rack-view');
  }
  title() {
    return this.page.getByTestId('rack-title');
  }
  gpuCells() {
    return this.page.locator('[data-testid^="gpu-cell-"]');
  }
  gpuCell(index: number) {
    return this.page.getByTestId(`gpu-cell-${index}`);
  }
  serverRows() {
    return this.page.locator('[data-testid^="server-row-"]');
  }

  async shownRackId(): Promise<string | null> {
    return this.root().getAttribute('data-rack-id');
  }

  async gpuIndexes(): Promise<number[]> {
    return this.gpuCells().evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-testid')!.slice('gpu-cell-'.length))));
  }

  /** A GPU cell's fields as shown ("612 W", "71.3 °C", "1980 MHz", "/ 700 W", events). */
  async readGpu(index: number): Promise<Record<string, string>> {
    return this.gpuCell(index).evaluate((cell) => {
      const out: Record<string, string> = {};
      cell.querySelectorAll<HTMLElement>('[data-field]').forEach((f) => (out[f.dataset.field!] = (f.textContent ?? '').trim()));
      return out;
    });
  }

  /** Where a GPU's setpoint comes from ('none', 'auto', 'manual', 'emergency'), as the cell says. */
  async gpuSource(index: number): Promise<string> {
    return (await this.gpuCell(index).getAttribute('data-source')) ?? '';
  }
  controlDetail() {
    return this.page.getByTestId('gpu-control-detail');
  }
  async selectGpu(index: number, modifiers: Array<'Shift' | 'Control'> = []): Promise<void> {
    await this.gpuCell(index).click({ modifiers });
  }
  async selectServer(serverId: string): Promise<void> {
    await this.page.getByTestId(`server-select-${serverId}`).click();
  }

  /** The focused GPU's last hour below its control detail, and its chart (with the number of stored points drawn). */
  gpuHistory() {
    return this.page.getByTestId('gpu-history');
  }
  gpuHistoryChart() {
    return this.page.getByTestId('gpu-history-chart');
  }
  /** Waits until the last hour of GPU `index` is drawn; returns how many stored seconds it shows. */
  async waitForGpuHistory(index: number): Promise<number> {
    await this.page.waitForFunction((g) => {
      const s = document.querySelector('[data-testid="gpu-history"]');
      const c = s?.querySelector('[data-testid="gpu-history-chart"] canvas');
      return s?.getAttribute('data-gpu') === String(g) && !!c;
    }, index);
    return Number(await this.gpuHistoryChart().getAttribute('data-points'));
  }

  async backToFloor(): Promise<void> {
    await this.page.getByTestId('btn-back').click();
  }
}
