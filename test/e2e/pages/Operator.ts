import { readFile } from 'node:fs/promises';
import type { Page } from 'playwright-core';
import { AlertsPanel } from './AlertsPanel.js';
import { AuditPage } from './AuditPage.js';
import { ConsolePage } from './ConsolePage.js';
import { ControlPanel, type PreviewShown } from './ControlPanel.js';
import { PlannerPage } from './PlannerPage.js';
import { PolicyPage } from './PolicyPage.js';
import { FloorPage } from './FloorPage.js';
import { PowerPage, type RangePreset } from './PowerPage.js';
import { RackPage } from './RackPage.js';
import { StatusBar } from './StatusBar.js';
import { SourcesPage } from './sources.js';
import { confirmDialog } from './dialogs.js';

/** What an operator does at the console, in their words; specs call these. */
export class Operator {
  readonly console: ConsolePage;
  readonly floor: FloorPage;
  readonly rack: RackPage;
  readonly power: PowerPage;
  readonly alerts: AlertsPanel;
  readonly status: StatusBar;
  readonly control: ControlPanel;
  readonly audit: AuditPage;
  readonly planner: PlannerPage;
  readonly policy: PolicyPage;
  readonly sources: SourcesPage;

  constructor(readonly page: Page) {
    this.console = new ConsolePage(page);
    this.floor = new FloorPage(page);
    this.rack = new RackPage(page);
    this.power = new PowerPage(page);
    this.alerts = new AlertsPanel(page);
    this.status = new StatusBar(page);
    this.control = new ControlPanel(page);
    this.audit = new AuditPage(page);
    this.planner = new PlannerPage(page);
    this.policy = new PolicyPage(page);
    this.sources = new SourcesPage(page);
  }

  async opensTheConsole(url: string): Promise<void> {
    await this.console.open(url);
    await this.console.waitUntilLive();
    await this.floor.heatmap().waitFor();
  }

  /** Double-click opens a rack (a single click selects it). */
  async opensRack(rackId: string): Promise<void> {
    await this.floor.doubleClickRack(rackId);
    await this.rack.root().waitFor();
  }

  async selectsRack(rackId: string): Promise<void> {
    await this.floor.clickRack(rackId);
    await this.page.waitForFunction((id) => document.querySelector(`[data-testid="rack-cell-${id}"]`)?.getAttribute('data-selected') === 'all', rackId);
  }

  /**
   * Selects a rack on the floor, fills the override form (power cap `watts` W, reason, expiry), reviews the engine's
   * preview and applies it. Returns the preview as shown.
   */
  async capsRack(rackId: string, watts: number, reason: string, expiry: '15m' | '1h' | '4h' | '24h' = '1h'): Promise<PreviewShown> {
    await this.selectsRack(rackId);
    await this.control.kind('powerCap').click();
    await this.control.value().fill(String(watts));
    await this.control.reason().fill(reason);
    await this.control.expiry().selectOption(expiry);
    await this.control.reviewButton().click();
    await this.control.confirmDialog().waitFor();
    const preview = await this.control.preview();
    await confirmDialog(this.page, 'override-confirm');
    return preview;
  }

  async clearsOverride(text: string, reason: string): Promise<void> {
    await this.control.override(text).getByRole('button', { name: /Clear/ }).click();
    await this.page.getByTestId('override-clear-reason').fill(reason);
    await confirmDialog(this.page, 'override-clear-dialog');
  }

  async pausesAutomation(rowId: string, reason: string): Promise<void> {
    await this.control.automationToggle(rowId).click();
    await this.page.getByTestId('automation-reason').fill(reason);
    await confirmDialog(this.page, 'automation-dialog');
  }

  /** Starts a drill on a row: a lost feed or cooling loss of `pct` %, with a reason. */
  async startsADrill(kind: 'powerBudgetLoss' | 'coolingLoss', rowId: string, pct: number, durationS: number, reason: string): Promise<void> {
    await this.page.getByTestId('drill-open').click();
    await this.page.getByTestId('drill-dialog').waitFor();
    await this.page.getByTestId('drill-kind').selectOption(kind);
    await this.page.getByTestId('drill-row').selectOption(rowId);
    await this.page.getByTestId('drill-pct').fill(String(pct));
    await this.page.getByTestId('drill-duration').fill(String(durationS));
    await this.page.getByTestId('drill-reason').fill(reason);
    await confirmDialog(this.page, 'drill-dialog');
  }

  /** Runs a drill of the library: picks it, says who responds (automation off: the operator alone), gives the reason. */
  async runsALibraryDrill(id: string, automation: boolean, reason: string): Promise<void> {
    await this.page.getByTestId('drill-library-open').click();
    await this.page.getByTestId('drill-library-dialog').waitFor();
    await this.page.getByTestId('drill-library').selectOption(id);
    await this.page.getByTestId(automation ? 'drill-automation-on' : 'drill-automation-off').check();
    await this.page.getByTestId('drill-library-reason').fill(reason);
    await confirmDialog(this.page, 'drill-library-dialog');
    await this.page.getByTestId('drill-banner').waitFor();
  }

  /** Ends the drill in progress from its banner, with a reason. */
  async endsTheDrill(reason: string): Promise<void> {
    await this.page.getByTestId('drill-end').click();
    await this.page.getByTestId('drill-end-reason').fill(reason);
    await confirmDialog(this.page, 'drill-end-dialog');
  }

  /** Caps every GPU of a row (its label selects it) at `watts` W through the override form. */
  async capsRow(rowId: string, watts: number, reason: string): Promise<PreviewShown> {
    await this.page.getByTestId(`row-select-${rowId}`).click();
    await this.control.kind('powerCap').click();
    await this.control.value().fill(String(watts));
    await this.control.reason().fill(reason);
    await this.control.reviewButton().click();
    await this.control.confirmDialog().waitFor();
    const preview = await this.control.preview();
    await confirmDialog(this.page, 'override-confirm');
    return preview;
  }

  /** Opens the emergency brake dialog of a row and stops there (the caller types the confirmation). */
  async reachesForTheBrake(rowId: string): Promise<void> {
    await this.control.brakeButton(rowId).click();
    await this.control.brakeDialog().waitFor();
  }

  /** Engages (or releases) a row's brake: types the row id and a reason, confirms. */
  async brakesRow(rowId: string, reason: string): Promise<void> {
    await this.reachesForTheBrake(rowId);
    await this.control.brakeTyped().fill(rowId);
    await this.control.brakeReason().fill(reason);
    await confirmDialog(this.page, 'brake-dialog');
  }

  async readsTheAuditLog(): Promise<void> {
    await this.console.pressViewKey('5');
    await this.audit.root().waitFor();
  }

  async verifiesTheAuditChain(): Promise<string> {
    await this.audit.verifyButton().click();
    await this.audit.verifyResult().waitFor();
    return ((await this.audit.verifyResult().textContent()) ?? '').trim();
  }

  /** Exports the audit log as CSV; returns the downloaded file's name and text. */
  async exportsTheAuditLog(): Promise<{ name: string; text: string }> {
    const [download] = await Promise.all([this.page.waitForEvent('download'), this.audit.exportButton().click()]);
    const path = await download.path();
    return { name: download.suggestedFilename(), text: await readFile(path, 'utf8') };
  }

  async plansCapacity(o: { from: number; to: number; step: number; durationS: number }, timeoutMs = 240_000): Promise<void> {
    await this.console.pressViewKey('6');
    await this.planner.root().waitFor();
    await this.planner.fill(o);
    await this.planner.run();
    await this.planner.progress().waitFor({ timeout: 5_000 });
    await this.planner.progress().waitFor({ state: 'detached', timeout: timeoutMs });
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

  /** Picks a preset window on the Power view (the chart re-reads its history). */
  async picksRange(preset: RangePreset): Promise<void> {
    await this.power.range(preset).check();
    await this.power.waitUntilDrawn();
  }

  /** Picks a custom window (UTC, minutes) on the Power view. */
  async picksCustomRange(fromUtc: string, toUtc: string): Promise<void> {
    await this.power.range('custom').check();
    await this.power.customFrom().fill(fromUtc);
    await this.power.customTo().fill(toUtc);
    await this.power.customTo().press('Enter');
    await this.power.waitUntilDrawn();
  }

  /** Shows one row's racks (or back to rows) on the Power view. */
  async showsRacksOfRow(rowId: string): Promise<void> {
    await this.power.scope('rack').check();
    await this.page.getByTestId('scope-rack-row').selectOption({ label: rowId });
    await this.power.waitUntilDrawn();
  }

  /** Opens a GPU's detail in the rack view (click) and waits for its last hour. Returns the seconds shown. */
  async looksAtTheLastHourOf(gpuIndex: number): Promise<number> {
    await this.rack.selectGpu(gpuIndex);
    return this.rack.waitForGpuHistory(gpuIndex);
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
