import type { Page } from 'playwright-core';

/** The control policy (view 7). */
export class PolicyPage {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('policy-view');
  }
  polcaTable() {
    return this.page.getByTestId('policy-polca');
  }
  editButton() {
    return this.page.getByTestId('policy-edit');
  }
  json() {
    return this.page.getByTestId('policy-json');
  }
  localErrors() {
    return this.page.getByTestId('policy-local-errors');
  }
  reviewButton() {
    return this.page.getByTestId('policy-review');
  }
  dialog() {
    return this.page.getByTestId('policy-dialog');
  }
  dialogError() {
    return this.page.getByTestId('policy-dialog-error');
  }
}
