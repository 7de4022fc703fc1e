import type { Page } from 'playwright-core';

export interface PreviewShown {
  gpus: string;
  current: string;
  after: string;
  delta: string;
  clamped: string;
}

/** The control column beside the floor and rack views: selection, override form, overrides, rows. */
export class ControlPanel {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('control-panel');
  }
  selectionLabel() {
    return this.page.getByTestId('selection-label');
  }
  readonlyNote() {
    return this.page.getByTestId('readonly-note');
  }
  message() {
    return this.page.getByTestId('control-message');
  }

  // Override form.
  kind(k: 'powerCap' | 'clockLock' | 'exempt') {
    return this.page.getByTestId(`override-kind-${k}`);
  }
  value() {
    return this.page.getByTestId('override-value');
  }
  reason() {
    return this.page.getByTestId('override-reason');
  }
  expiry() {
    return this.page.getByTestId('override-expiry');
  }
  reviewButton() {
    return this.page.getByTestId('override-review');
  }
  confirmDialog() {
    return this.page.getByTestId('override-confirm');
  }
  confirmButton() {
    return this.page.getByTestId('override-confirm-confirm');
  }
  confirmError() {
    return this.page.getByTestId('override-confirm-error');
  }

  /** The preview's numbers once the engine has answered. */
  async preview(): Promise<PreviewShown> {
    const box = this.page.getByTestId('override-preview');
    await box.waitFor();
    return box.evaluate((el) => {
      const out: Record<string, string> = {};
      el.querySelectorAll<HTMLElement>('[data-field]').forEach((f) => (out[f.dataset.field!] = (f.textContent ?? '').trim()));
      return out as unknown as PreviewShown;
    });
  }

  // Active overrides.
  overrides() {
    return this.page.getByTestId('override-item');
  }
  override(text: string) {
    return this.overrides().filter({ hasText: text });
  }

  // Rows.
  row(rowId: string) {
    return this.page.getByTestId(`row-control-${rowId}`);
  }
  automationToggle(rowId: string) {
    return this.page.getByTestId(`automation-toggle-${rowId}`);
  }
  brakeButton(rowId: string) {
    return this.page.getByTestId(`brake-${rowId}`);
  }
  brakeDialog() {
    return this.page.getByTestId('brake-dialog');
  }
  brakeTyped() {
    return this.page.getByTestId('brake-confirm-input');
  }
  brakeReason() {
    return this.page.getByTestId('brake-reason');
  }
  brakeConfirm() {
    return this.page.getByTestId('brake-dialog-confirm');
  }
  brakeCancel() {
    return this.page.getByTestId('brake-dialog-cancel');
  }
  async rowStage(rowId: string): Promise<string> {
    return (await this.row(rowId).getAttribute('data-stage')) ?? '';
  }
}
