/**
 * A redundant controller set in the browser (issue 17, "the desktop client … shows the change and keeps working"):
 * three `headroom serve --controller` on one real etcd (test/integration/ha/controllerRig.ts). A standby's page is
 * a standby screen naming the leader and linking to its console with the same token; the leader's page names the
 * leader, its epoch and its peers in the status bar. Then the leader is killed (SIGKILL): its page says it is
 * unreachable and offers the other controllers; the standby elected reloads into the whole console, its status bar
 * naming it, the new epoch and the failover (amber), and its Audit view shows the 'controller' record; the other
 * standby's page follows live to name the new leader. Needs `npm run build`, Chromium and Debian's etcd.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Page } from 'playwright-core';
import { startControllerRig, type ControllerRig } from '../integration/ha/controllerRig.js';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { ControllersPage } from './pages/Controllers.js';
import { Operator } from './pages/Operator.js';

let rig: ControllerRig;
let browser: BrowserSession;
const pages = new Map<string, Page>();
let leader: { id: string; epoch: number };
let standbys: string[];

beforeAll(async () => {
  rig = await startControllerRig();
  browser = await openBrowser();
  leader = await rig.leader(30_000);
  standbys = [...rig.controllers.keys()].filter((id) => id !== leader.id);
  // Wait until every standby names the leader (they learn it from etcd within a moment of the election).
  for (const id of standbys) {
    for (let i = 0; i < 100 && (await rig.health(id))?.leader !== leader.id; i++) await new Promise((r) => setTimeout(r, 100));
  }
}, 150_000);

afterAll(async () => {
  await browser?.close();
  await rig?.close();
}, 60_000);

async function pageFor(id: string): Promise<Page> {
  let page = pages.get(id);
  if (!page) {
    page = id === standbys[0] ? browser.page : await browser.browser.newPage({ colorScheme: 'dark', viewport: { width: 1600, height: 1000 } });
    pages.set(id, page);
  }
  return page;
}

describe('a controller set in the console', () => {
  it("a standby's console is a standby screen naming the leader, linking to its console with the same token", async () => {
    const page = await pageFor(standbys[0]!);
    const set = new ControllersPage(page);
    await page.goto(rig.controllers.get(standbys[0]!)!.url);
    await set.waitForStandbyNaming(leader.id);
    await expect(set.standbyTitle().textContent()).resolves.toMatch(new RegExp(`Controller ${standbys[0]} is a standby\\.\\s*Controller ${leader.id} leads\\.`));
    const leaderOrigin = rig.controllers.get(leader.id)!.origin;
    await expect(set.leaderLink().getAttribute('href')).resolves.toBe(`${leaderOrigin}/?token=${encodeURIComponent(rig.token)}`);
    await expect(set.leaderLink().textContent()).resolves.toContain(`Open ${leader.id}'s console`);
    for (const id of rig.controllers.keys()) await set.standbyPeer(id).waitFor();
    await expect(set.standbyPeer(leader.id).textContent()).resolves.toContain('leader');
    // Nothing else was asked of the standby: no refusals in the page's console.
    expect(browser.errors.filter((e) => /standby:/.test(e))).toEqual([]);
    await new Operator(page).console.screenshot('controller-standby.png');
  }, 40_000);

  it("the leader's console names the leader, its epoch and its peers in the status bar, at 1280 and 1920 px", async () => {
    const page = await pageFor(leader.id);
    const operator = new Operator(page);
    const set = new ControllersPage(page);
    await operator.opensTheConsole(rig.controllers.get(leader.id)!.url);
    await expect(set.leadButton().textContent()).resolves.toMatch(new RegExp(`${leader.id} leads · epoch ${leader.epoch} · since \\d\\d:\\d\\d:\\d\\d`));
    for (const width of [1280, 1920]) {
      await page.setViewportSize({ width, height: 900 });
      const box = (await set.leadButton().boundingBox())!;
      const conn = (await operator.console.connectionState().boundingBox())!;
      expect(box.x + box.width).toBeLessThanOrEqual(conn.x);
      expect(conn.x + conn.width).toBeLessThanOrEqual(width);
      // Not cut short: the whole line (the epoch at least) is on screen.
      expect(await set.leadButton().evaluate((el) => el.scrollWidth <= el.clientWidth + 1)).toBe(true);
    }
    await page.setViewportSize({ width: 1600, height: 1000 });
    await set.leadButton().click();
    for (const id of rig.controllers.keys()) await expect(set.popover().getByTestId(`status-controller-peer-${id}`).textContent()).resolves.toContain(rig.controllers.get(id)!.origin);
    await set.leadButton().click();
  }, 60_000);

  it('leader SIGKILL: its page offers the others; the standby elected reloads into the console naming it, the epoch and the failover; the other follows live', async () => {
    const other = standbys[1]!;
    const otherPage = await pageFor(other);
    await otherPage.goto(rig.controllers.get(other)!.url);
    await new ControllersPage(otherPage).waitForStandbyNaming(leader.id);
    const oldPage = await pageFor(leader.id);

    await rig.controllers.get(leader.id)!.kill();
    // The lost leader's page: unreachable, the other controllers offered as links carrying the token.
    const lost = new ControllersPage(oldPage);
    await lost.linkBanner().waitFor({ timeout: 15_000 });
    await expect(lost.linkBanner().textContent()).resolves.toContain(`Controller ${leader.id} is unreachable`);
    for (const id of standbys) {
      await expect(lost.bannerPeer(id).locator('a').getAttribute('href')).resolves.toBe(`${rig.controllers.get(id)!.origin}/?token=${encodeURIComponent(rig.token)}`);
    }

    const next = await rig.leader(20_000, leader.id);
    expect(next.epoch).toBeGreaterThan(leader.epoch);
    const still = standbys.find((id) => id !== next.id)!;
    // The page of the standby elected reloads (close 1012) into the whole console.
    const nextPage = pages.get(next.id)!;
    const operator = new Operator(nextPage);
    const set = new ControllersPage(nextPage);
    await operator.console.waitUntilLive();
    await set.leadButton().filter({ hasText: `${next.id} leads · epoch ${next.epoch}` }).waitFor({ timeout: 20_000 });
    await expect(set.statusItem().getAttribute('data-recent')).resolves.toBe('true');
    // The new leader's readings on the floor (its engine started at the take-over), then the story in the popover.
    const site = nextPage.getByTestId('site-power');
    for (let i = 0; i < 200 && /^Site 0\.0 kW/.test(((await site.textContent()) ?? '').replace(/\s+/g, ' ').trim()); i++) await nextPage.waitForTimeout(100);
    await set.leadButton().click();
    await expect(set.popoverFailover().textContent()).resolves.toMatch(new RegExp(`Last failover: .*${next.id}.*epoch ${next.epoch}.*\\(elected \\d+(\\.\\d)? m?s after ${leader.id}'s lease ended\\)`));
    await expect(set.popover().getByTestId(`status-controller-peer-${next.id}`).textContent()).resolves.toContain('leader');
    await operator.console.screenshot('controller-failover.png');
    await set.leadButton().click();
    // The other standby's page follows: it names the new leader and links there.
    const followed = new ControllersPage(pages.get(still)!);
    await followed.waitForStandbyNaming(next.id);
    await expect(followed.leaderLink().getAttribute('href')).resolves.toBe(`${rig.controllers.get(next.id)!.origin}/?token=${encodeURIComponent(rig.token)}`);
    // The take-over is in the new leader's audit trail.
    await operator.readsTheAuditLog();
    const record = await operator.audit.waitForRecord('controller', `${next.id} leads`, 15_000);
    expect(record.reason).toContain(leader.id);
  }, 120_000);
});
