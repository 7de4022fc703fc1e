import type { Page } from 'playwright-core';

/** A recording played back: the read-only banner and the timeline (scrubber, markers, play/pause, speed). */
export class RecordingBar {
  constructor(readonly page: Page) {}

  root() {
    return this.page.getByTestId('recording-bar');
  }
  banner() {
    return this.page.getByTestId('recording-banner');
  }
  markers() {
    return this.page.getByTestId('recording-marker');
  }
  playButton() {
    return this.page.getByTestId('recording-play');
  }

  /** The playback position shown, as epoch ms (from the slider's aria-valuenow). */
  async nowMs(): Promise<number> {
    return Number(await this.page.getByTestId('recording-track').getAttribute('aria-valuenow'));
  }

  /** Presses a key with the page (not a control) focused: the timeline's keys. */
  async press(key: 'Space' | 'ArrowLeft' | 'ArrowRight' | 'Shift+ArrowLeft' | 'Shift+ArrowRight'): Promise<void> {
    await this.page.locator('body').press(key);
  }

  /** Waits until the shown position differs from `fromMs`, and returns it. */
  /**
   * The position once it has stopped moving: after a pause, a tick already on its way may still move it once (a busy
   * machine delivers it late), so read it when it has held for `quietMs`.
   */
  async settledNowMs(quietMs = 400): Promise<number> {
    let last = await this.nowMs();
    for (;;) {
      await this.page.waitForTimeout(quietMs);
      const now = await this.nowMs();
      if (now === last) return now;
      last = now;
    }
  }

  async movesFrom(fromMs: number): Promise<number> {
    await this.page.waitForFunction((t) => Number(document.querySelector('[data-testid="recording-track"]')?.getAttribute('aria-valuenow')) !== t, fromMs);
    return this.nowMs();
  }
}
