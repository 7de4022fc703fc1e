import type { Page } from 'playwright-core';

/** The floor heatmap: racks by row, or every GPU on a canvas. */
export class FloorPage {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('floor-view');
  }
  heatmap() {
    return this.page.getByTestId('floor-heatmap');
  }
  rackCells() {
    return this.page.locator('[data-testid^="rack-cell-"]');
  }
  rackCell(rackId: string) {
    return this.page.getByTestId(`rack-cell-${rackId}`);
  }
  metricSelect() {
    return this.page.getByTestId('metric-select');
  }
  legend() {
    return this.page.getByTestId('heat-legend');
  }
  gpuCanvas() {
    return this.page.getByTestId('gpu-canvas');
  }
  gpuSummary() {
    return this.page.getByTestId('gpu-summary');
  }

  async rackIds(): Promise<string[]> {
    const ids = await this.rackCells().evaluateAll((els) => els.map((e) => e.getAttribute('data-testid')!.slice('rack-cell-'.length)));
    return ids;
  }

  /** Hover a rack and read its tooltip as "label: value" lines. */
  async hoverRack(rackId: string): Promise<Record<string, string>> {
    await this.rackCell(rackId).hover();
    return readTooltip(this.page, 'rack-tooltip');
  }

  /** A click selects the rack (Shift: range, Control: add/remove). */
  async clickRack(rackId: string, modifiers: Array<'Shift' | 'Control'> = []): Promise<void> {
    await this.rackCell(rackId).click({ modifiers });
  }

  /** A double-click opens the rack. */
  async doubleClickRack(rackId: string): Promise<void> {
    await this.rackCell(rackId).dblclick();
  }

  /** What the heatmap says about a rack's selection ('', 'partial', 'all') and control mark ('cap 450 W', 'BRAKE', …). */
  async rackState(rackId: string): Promise<{ selected: string; control: string }> {
    const cell = this.rackCell(rackId);
    return { selected: (await cell.getAttribute('data-selected')) ?? '', control: (await cell.getAttribute('data-control')) ?? '' };
  }

  rowLabel(rowId: string) {
    return this.page.getByTestId(`floor-rowlabel-${rowId}`);
  }
  async selectRow(rowId: string): Promise<void> {
    await this.page.getByTestId(`row-select-${rowId}`).click();
  }
  controlLegend() {
    return this.page.getByTestId('control-legend');
  }

  /** Keyboard only: focus the heatmap's rack, then Enter. */
  async openRackWithKeyboard(rackId: string): Promise<void> {
    await this.rackCell(rackId).focus();
    await this.page.keyboard.press('Enter');
  }

  async colourBy(metric: string): Promise<void> {
    await this.metricSelect().selectOption(metric);
  }

  async showEveryGpu(): Promise<void> {
    await this.page.getByTestId('granularity-gpu').click();
    await this.gpuCanvas().waitFor();
  }

  async showRacks(): Promise<void> {
    await this.page.getByTestId('granularity-rack').click();
    await this.heatmap().waitFor();
  }

  /** Canvas pixel (its intrinsic size) and CSS size, to aim the mouse at a GPU. */
  async canvasGeometry(): Promise<{ width: number; height: number; cssWidth: number; cssHeight: number }> {
    return this.gpuCanvas().evaluate((c: HTMLCanvasElement) => ({ width: c.width, height: c.height, cssWidth: c.clientWidth, cssHeight: c.clientHeight }));
  }

  /** Hover the first GPU (top-left pixel) of the picture and read its tooltip. */
  async hoverFirstGpu(): Promise<Record<string, string>> {
    const g = await this.canvasGeometry();
    const scale = g.cssWidth / g.width;
    await this.gpuCanvas().hover({ position: { x: scale / 2, y: scale / 2 } });
    return readTooltip(this.page, 'gpu-tooltip');
  }

  async clickFirstGpu(): Promise<void> {
    const g = await this.canvasGeometry();
    const scale = g.cssWidth / g.width;
    await this.gpuCanvas().click({ position: { x: scale / 2, y: scale / 2 } });
  }

  async doubleClickFirstGpu(): Promise<void> {
    const g = await this.canvasGeometry();
    const scale = g.cssWidth / g.width;
    await this.gpuCanvas().dblclick({ position: { x: scale / 2, y: scale / 2 } });
  }
}

export async function readTooltip(page: Page, testId: string): Promise<Record<string, string>> {
  const tip = page.getByTestId(testId);
  await tip.waitFor();
  const rows = await tip.locator('tr').evaluateAll((trs) => trs.map((tr) => [tr.querySelector('th')?.textContent ?? '', tr.querySelector('td')?.textContent ?? '']));
  return Object.fromEntries(rows);
}
