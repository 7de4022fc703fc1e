import type { Page } from 'playwright-core';

export interface ShownAlert {
  id: string;
  state: string;
  severity: string;
  text: string;
}

/** The always-visible alerts panel and its badge. */
export class AlertsPanel {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('alerts-panel');
  }
  rows() {
    return this.page.getByTestId('alert-row');
  }
  badge() {
    return this.page.getByTestId('alerts-badge');
  }

  async shown(): Promise<ShownAlert[]> {
    return this.rows().evaluateAll((els) =>
      els.map((e) => ({
        id: e.getAttribute('data-alert-id') ?? '',
        state: e.getAttribute('data-state') ?? '',
        severity: e.getAttribute('data-severity') ?? '',
        text: (e.textContent ?? '').replace(/\s+/g, ' ').trim(),
      })),
    );
  }

  /** Waits for an alert with this id (rule:subject) in the given states. */
  async waitForAlert(id: string, states: string[] = ['pending', 'firing'], timeoutMs = 60_000): Promise<ShownAlert> {
    const sel = states.map((s) => `[data-testid="alert-row"][data-alert-id="${id}"][data-state="${s}"]`).join(', ');
    await this.page.locator(sel).first().waitFor({ timeout: timeoutMs });
    return (await this.shown()).find((a) => a.id === id && states.includes(a.state))!;
  }
}
