import type { Page } from 'playwright-core';

/** The status bar: simulated clock, speed, run state, sources, store, connection; pause/resume/speed controls. */
export class StatusBar {
  constructor(readonly page: Page) {}

  async simTime(): Promise<string> {
    return (await this.page.getByTestId('status-sim-time').textContent()) ?? '';
  }
  /** Simulated time as epoch ms (from the element's machine-readable datetime). */
  async simTimeMs(): Promise<number> {
    return Date.parse((await this.page.getByTestId('status-sim-time').getAttribute('datetime')) ?? '');
  }
  runState() {
    return this.page.getByTestId('status-run-state');
  }
  speed() {
    return this.page.getByTestId('status-speed');
  }
  sources() {
    return this.page.getByTestId('status-sources');
  }
  /** "sources 3/4 up" (a button that opens Settings → Sources; its tooltip lists every source). */
  sourcesSummary() {
    return this.page.getByTestId('status-sources-summary');
  }
  store() {
    return this.page.getByTestId('status-store');
  }

  /** Who the console acts as: "operator (token) · operator". */
  identity() {
    return this.page.getByTestId('status-identity');
  }

  async pause(): Promise<void> {
    await this.page.getByTestId('btn-pause').click();
  }
  async resume(): Promise<void> {
    await this.page.getByTestId('btn-resume').click();
  }
  async setSpeed(x: 1 | 10 | 60 | 600): Promise<void> {
    await this.page.getByTestId('speed-select').selectOption(String(x));
  }
}
