import type { Page } from 'playwright-core';
import { confirmDialog } from './dialogs.js';

export interface ShownSource {
  id: string;
  kind: string;
  state: string;
  detail: string;
  age: string;
  errors: string;
  lastError: string;
}

export interface AgentFields {
  id: string;
  host: string;
  address?: string;
  port?: number;
}

/** Settings → Sources (view 8): the sources with their health, inventory, identity, the add form. */
export class SourcesPage {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('sources-view');
  }
  async open(): Promise<void> {
    await this.page.locator('body').press('8');
    await this.root().waitFor();
    // The list has arrived (the table is busy until then).
    await this.page.locator('[data-testid="sources-table"][aria-busy="false"]').waitFor();
  }
  mode() {
    return this.page.getByTestId('sources-mode');
  }
  simNote() {
    return this.page.getByTestId('sources-sim-note');
  }
  summary() {
    return this.page.getByTestId('sources-summary');
  }
  inventory() {
    return this.page.getByTestId('sources-inventory');
  }
  identity() {
    return this.page.getByTestId('sources-identity');
  }
  message() {
    return this.page.getByTestId('sources-message');
  }
  rows() {
    return this.page.getByTestId('source-row');
  }
  row(id: string) {
    return this.page.locator(`[data-testid="source-row"][data-id="${id}"]`);
  }
  /** Waits until source `id` is listed in `state`. */
  async waitForState(id: string, state: 'up' | 'stale' | 'down', timeoutMs = 15_000): Promise<void> {
    await this.page.locator(`[data-testid="source-row"][data-id="${id}"][data-state="${state}"]`).waitFor({ timeout: timeoutMs });
  }
  async shown(): Promise<ShownSource[]> {
    return this.rows().evaluateAll((trs) =>
      trs.map((tr) => {
        const f = (name: string) => (tr.querySelector(`[data-field="${name}"]`)?.textContent ?? '').replace(/\s+/g, ' ').trim();
        return {
          id: tr.getAttribute('data-id') ?? '',
          kind: tr.getAttribute('data-kind') ?? '',
          state: tr.getAttribute('data-state') ?? '',
          detail: f('detail'),
          age: f('age'),
          errors: f('errors'),
          lastError: f('last-error'),
        };
      }),
    );
  }
  /** Opens the full text of a source's last error (the cell shows it cut to one line). */
  async expandLastError(id: string): Promise<void> {
    await this.row(id).locator('[data-field="last-error"] button').click();
    await this.lastErrorDetail(id).waitFor();
  }
  lastErrorDetail(id: string) {
    return this.page.getByTestId(`source-last-error-${id}`);
  }
  rowTestButton(id: string) {
    return this.page.getByTestId(`source-row-test-${id}`);
  }
  rowTestResult(id: string) {
    return this.page.getByTestId(`source-row-result-${id}`);
  }
  rowRemoveButton(id: string) {
    return this.page.getByTestId(`source-row-remove-${id}`);
  }
  removeButtons() {
    return this.page.locator('[data-testid^="source-row-remove-"]');
  }

  // The add form.
  form() {
    return this.page.getByTestId('source-form');
  }
  kind(kind: 'agent' | 'dcgm' | 'prometheus') {
    return this.page.getByTestId(`source-kind-${kind}`);
  }
  field(name: 'id' | 'host' | 'address' | 'port' | 'url' | 'interval' | 'reason') {
    return this.page.getByTestId(`source-${name}`);
  }
  testButton() {
    return this.page.getByTestId('source-test');
  }
  addButton() {
    return this.page.getByTestId('source-add');
  }
  testResult() {
    return this.page.getByTestId('source-test-result');
  }
  formError() {
    return this.page.getByTestId('source-form-error');
  }

  async fillAgent(f: AgentFields, reason = ''): Promise<void> {
    await this.kind('agent').click();
    await this.field('id').fill(f.id);
    await this.field('host').fill(f.host);
    await this.field('address').fill(f.address ?? '');
    await this.field('port').fill(f.port === undefined ? '' : String(f.port));
    // Only admins may add: the reason field is disabled for everyone else.
    if (reason) await this.field('reason').fill(reason);
  }

  /** Presses Test and returns the one-line result once shown (`ok` from its styling). */
  async testsTheForm(): Promise<{ ok: boolean; text: string }> {
    await this.testButton().click();
    await this.page.locator('[data-testid="source-test"]:not([disabled])').waitFor();
    await this.testResult().waitFor();
    return { ok: (await this.testResult().getAttribute('data-ok')) === 'true', text: ((await this.testResult().textContent()) ?? '').trim() };
  }

  async removes(id: string, reason: string): Promise<void> {
    await this.rowRemoveButton(id).click();
    await this.page.getByTestId('source-remove-reason').fill(reason);
    await confirmDialog(this.page, 'source-remove-dialog');
  }
}
