import type { Page } from 'playwright-core';

export interface ShownAuditRecord {
  seq: number;
  kind: string;
  outcome: string;
  actor: string;
  target: string;
  change: string;
  reason: string;
}

/** The audit log (view 5). */
export class AuditPage {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('audit-view');
  }
  rows() {
    return this.page.getByTestId('audit-row');
  }
  verifyButton() {
    return this.page.getByTestId('audit-verify');
  }
  verifyResult() {
    return this.page.getByTestId('audit-verify-result');
  }
  exportButton() {
    return this.page.getByTestId('audit-export');
  }
  kindFilter() {
    return this.page.getByTestId('audit-filter-kind');
  }
  targetFilter() {
    return this.page.getByTestId('audit-filter-target');
  }
  outcomeFilter() {
    return this.page.getByTestId('audit-filter-outcome');
  }

  async shown(): Promise<ShownAuditRecord[]> {
    return this.rows().evaluateAll((trs) =>
      trs.map((tr) => {
        const f = (name: string) => (tr.querySelector(`[data-field="${name}"]`)?.textContent ?? '').replace(/\s+/g, ' ').trim();
        return {
          seq: Number(tr.getAttribute('data-seq')),
          kind: tr.getAttribute('data-kind') ?? '',
          outcome: tr.getAttribute('data-outcome') ?? '',
          actor: f('actor'),
          target: f('target'),
          change: f('change'),
          reason: f('reason'),
        };
      }),
    );
  }

  /** Waits for a record of `kind` that mentions `text` (in its target, change or reason); returns the newest such. */
  async waitForRecord(kind: string, text: string, timeoutMs = 10_000): Promise<ShownAuditRecord> {
    const row = this.page.locator(`[data-testid="audit-row"][data-kind="${kind}"]`).filter({ hasText: text }).first();
    await row.waitFor({ timeout: timeoutMs });
    const seq = Number(await row.getAttribute('data-seq'));
    return (await this.shown()).find((r) => r.seq === seq)!;
  }
}
