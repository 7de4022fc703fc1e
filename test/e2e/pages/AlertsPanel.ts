import type { Page } from 'playwright-core';
import { confirmDialog } from './dialogs.js';

export interface ShownAlert {
  id: string;
  state: string;
  severity: string;
  text: string;
  acked: boolean;
  silenced: boolean;
  inhibited: boolean;
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
        acked: e.getAttribute('data-acked') === 'yes',
        silenced: e.getAttribute('data-silenced') === 'yes',
        inhibited: e.getAttribute('data-inhibited') === 'yes',
      })),
    );
  }

  row(id: string) {
    return this.page.locator(`[data-testid="alert-row"][data-alert-id="${id}"]`).first();
  }
  group(rowId: string) {
    return this.page.getByTestId(`alert-group-${rowId}`);
  }
  ackButton(id: string) {
    return this.page.getByTestId(`alert-ack-${id}`);
  }
  silenceButton(id: string) {
    return this.page.getByTestId(`alert-silence-${id}`);
  }
  silences() {
    return this.page.getByTestId('silence-item');
  }

  /** The card of an alert group (rule × row) with more than one member. */
  groupCard(key: string) {
    return this.page.locator(`[data-testid="alert-group-card"][data-group="${key}"]`).first();
  }

  /** Acknowledges every member of a group from its card ("Ack all N…"), with a comment. */
  async acknowledgesGroup(key: string, comment: string): Promise<void> {
    await this.opens(() => this.page.getByTestId(`alert-ack-group-${key}`).click(), 'ack-group-comment');
    await this.page.getByTestId('ack-group-comment').fill(comment);
    await confirmDialog(this.page, 'ack-group-dialog');
  }

  async acknowledge(id: string, comment: string): Promise<void> {
    await this.opens(() => this.ackButton(id).click(), 'ack-comment');
    await this.page.getByTestId('ack-comment').fill(comment);
    await confirmDialog(this.page, 'ack-dialog');
  }

  /**
   * Clicks until the dialog's field shows: at ×10 the alert list re-renders several times a second, and a click can
   * land while its row is being replaced (an operator would click again; so does this).
   */
  private async opens(click: () => Promise<void>, field: string): Promise<void> {
    for (let i = 0; ; i++) {
      await click();
      try {
        await this.page.getByTestId(field).waitFor({ state: 'visible', timeout: 2000 });
        return;
      } catch (e) {
        if (i >= 3) throw e;
      }
    }
  }

  /** Opens the silence dialog, keeps the pre-filled matchers of `scope`, picks a duration and gives the reason. */
  async silence(id: string, o: { scope: 'subject' | 'row' | 'rule'; duration: '30m' | '1h' | '4h' | '24h'; reason: string }): Promise<string> {
    await this.opens(() => this.silenceButton(id).click(), `silence-scope-${o.scope}`);
    await this.page.getByTestId(`silence-scope-${o.scope}`).check();
    await this.page.getByTestId('silence-duration').selectOption(o.duration);
    await this.page.getByTestId('silence-reason').fill(o.reason);
    const matchers = (await this.page.getByTestId('silence-matchers').textContent()) ?? '';
    await confirmDialog(this.page, 'silence-dialog');
    return matchers;
  }

  async unsilence(silenceId: string, reason: string): Promise<void> {
    await this.page.getByTestId(`unsilence-${silenceId}`).click();
    await this.page.getByTestId('unsilence-reason').fill(reason);
    await confirmDialog(this.page, 'unsilence-dialog');
  }

  /** Waits for an alert with this id (rule:subject) in the given states. */
  async waitForAlert(id: string, states: string[] = ['pending', 'firing'], timeoutMs = 60_000): Promise<ShownAlert> {
    const sel = states.map((s) => `[data-testid="alert-row"][data-alert-id="${id}"][data-state="${s}"]`).join(', ');
    const deadline = Date.now() + timeoutMs;
    // The list can change between seeing the row and reading it (an alert resolves, a higher one inhibits it): look
    // again until it is there when read, or the time is up.
    for (;;) {
      await this.page.locator(sel).first().waitFor({ timeout: Math.max(1, deadline - Date.now()) });
      const a = (await this.shown()).find((x) => x.id === id && states.includes(x.state));
      if (a) return a;
      if (Date.now() > deadline) throw new Error(`alert ${id} (${states.join('/')}) came and went before it could be read`);
      await this.page.waitForTimeout(100);
    }
  }
}
