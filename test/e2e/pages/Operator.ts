import type { Page } from 'playwright-core';
import { AlertsPanel } from './AlertsPanel.js';
import { ConsolePage } from './ConsolePage.js';
import { FloorPage } from './FloorPage.js';
import { PowerPage } from './PowerPage.js';
import { RackPage } from './RackPage.js';
import { StatusBar } from './StatusBar.js';

/** What an operator does at the console, in their words; specs call these. */
export class Operator {
  readonly console: ConsolePage;
  readonly floor: FloorPage;
  readonly rack: RackPage;
  readonly power: PowerPage;
  readonly alerts: AlertsPanel;
  readonly status: StatusBar;

  constructor(readonly page: Page) {
    this.console = new ConsolePage(page);
    this.floor = new FloorPage(page);
    this.rack = new RackPage(page);
    this.power = new PowerPage(page);
    this.alerts = new AlertsPanel(page);
    this.status = new StatusBar(page);
  }

  async opensTheConsole(url: string): Promise<void> {
    await this.console.open(url);
    await this.console.waitUntilLive();
    await this.floor.heatmap().waitFor();
  }

  async opensRack(rackId: string): Promise<void> {
    await this.floor.clickRack(rackId);
    await this.rack.root().waitFor();
  }

  async opensRackWithKeyboard(rackId: string): Promise<void> {
    await this.floor.openRackWithKeyboard(rackId);
    await this.rack.root().waitFor();
  }

  /** Escape from the rack view; the floor comes back at the granularity it had. */
  async goesBackToTheFloor(): Promise<void> {
    await this.page.keyboard.press('Escape');
    await this.floor.root().waitFor();
  }

  async looksAtPowerOverTime(): Promise<void> {
    await this.console.pressViewKey('3');
    await this.power.root().waitFor();
    await this.power.waitUntilDrawn();
  }

  async looksAtEveryGpu(): Promise<void> {
    await this.floor.showEveryGpu();
  }

  async pausesTheSimulation(): Promise<void> {
    await this.status.pause();
    await this.status.runState().filter({ hasText: 'paused' }).waitFor();
  }

  async resumesTheSimulation(): Promise<void> {
    await this.status.resume();
    await this.status.runState().filter({ hasText: 'running' }).waitFor();
  }

  async setsSpeed(x: 1 | 10 | 60 | 600): Promise<void> {
    await this.status.setSpeed(x);
    await this.status.speed().filter({ hasText: `×${x}` }).waitFor();
  }

  async waits(ms: number): Promise<void> {
    await this.page.waitForTimeout(ms);
  }
}
