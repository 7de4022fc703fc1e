import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { tempDir } from '../helpers.js';
import { openBrowser, reportCspViolations, screenshotDir, type BrowserSession } from './support/browser.js';

// The HTML incident report opens offline: a file:// page with no scripts and no requests, read in Chromium.
const tmp = tempDir();
let session: BrowserSession;
const headroom = (...args: string[]) => spawnSync(process.execPath, ['bin/headroom.js', ...args], { encoding: 'utf8', timeout: 120_000 });

beforeAll(async () => {
  session = await openBrowser();
});
afterAll(async () => {
  await session.close();
  tmp.cleanup();
});

describe('incident report (HTML, offline)', () => {
  it('shows each row against the budget in force (the power-budget loss as a step), the timeline and the notes', async () => {
    const rec = tmp.file('drill.headroom');
    expect(headroom('sim', '--seed', '7', '--duration', '2700', '--record', rec, '--out', tmp.file('r.json')).status).toBe(0);
    const html = tmp.file('incident.html');
    const r = headroom('report', rec, '--out', html);
    expect(r.status, r.stderr).toBe(0);
    const { page, errors } = session;
    await reportCspViolations(page, errors);
    const requests: string[] = [];
    page.on('request', (q) => requests.push(q.url()));
    await page.goto(pathToFileURL(html).href);
    await expect(page.locator('h1').textContent()).resolves.toMatch(/^Incident: /);
    expect(await page.locator('svg[data-row]').count()).toBe(4);
    // Row C's budget steps down at the drill (2,400 s): its budget path has a vertical segment inside the chart.
    const budgetC = await page.locator('svg[data-row="C"] path.budget').getAttribute('d');
    expect(budgetC).toMatch(/^M[\d.]+,[\d.]+H[\d.]+V[\d.]+H[\d.]+$/);
    const budgetA = await page.locator('svg[data-row="A"] path.budget').getAttribute('d');
    expect(budgetA).toMatch(/^M[\d.]+,[\d.]+H[\d.]+$/);
    const timeline = await page.locator('table.events').textContent();
    expect(timeline).toMatch(/budget\s*C\s*306 kW/);
    expect(timeline).toMatch(/stage/);
    expect(errors).toEqual([]);
    expect(requests.filter((u) => !u.startsWith('file:'))).toEqual([]);
    await page.screenshot({ path: resolve(screenshotDir, 'incident-report.png'), fullPage: true });
  }, 120_000);
});
