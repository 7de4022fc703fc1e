import type { Page } from 'playwright-core';

/** A controller set on screen (issue 17): the standby screen, the status bar's item, the banner of a lost link. */
export class ControllersPage {
  constructor(readonly page: Page) {}

  standbyScreen() {
    return this.page.getByTestId('standby-screen');
  }
  /** The standby screen naming `leader` as the one that leads. */
  async waitForStandbyNaming(leader: string, timeoutMs = 20_000): Promise<void> {
    await this.page.locator(`[data-testid="standby-screen"][data-leader="${leader}"]`).waitFor({ timeout: timeoutMs });
  }
  standbyTitle() {
    return this.page.getByTestId('standby-title');
  }
  leaderLink() {
    return this.page.getByTestId('standby-leader-link');
  }
  standbyPeer(id: string) {
    return this.page.getByTestId(`standby-peer-${id}`);
  }
  statusItem() {
    return this.page.getByTestId('status-controller');
  }
  /** "Controller c2 leads · epoch 57 · since 12:41:03". */
  leadButton() {
    return this.page.getByTestId('status-controller-lead');
  }
  popover() {
    return this.page.getByTestId('status-controller-popover');
  }
  popoverFailover() {
    return this.page.getByTestId('status-controller-failover');
  }
  linkBanner() {
    return this.page.getByTestId('link-banner');
  }
  bannerPeer(id: string) {
    return this.page.getByTestId(`link-banner-peer-${id}`);
  }
}
