/**
 * Settings → Sources on a real fleet: two simulated host agents (child processes, mutual TLS on loopback), an
 * inventory placing both, a sources file naming only the first. An admin sees it up, tests and adds the second agent,
 * is refused a duplicate host, reads a clear failure for a closed port, watches the second agent turn stale when its
 * process stops, removes it, and finds both changes in the audit log; a viewer reads the list without the buttons. On the simulator the view explains how to watch a
 * real fleet.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, reportCspViolations, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { closedPort, issueCerts, startSimAgent, writeInventory, writeSources, type RunningAgent } from './support/fleet.js';
import { Operator } from './pages/Operator.js';

const HOSTS = ['gpu-e1', 'gpu-e2'];

describe('Settings → Sources on a real fleet (two simulated agents)', () => {
  let dir: string;
  const agents: RunningAgent[] = [];
  let deadPort: number;
  let server: RunningServer;
  let browser: BrowserSession;
  let admin: Operator;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'headroom-e2e-fleet-'));
    const certs = join(dir, 'certs');
    await issueCerts(certs, HOSTS, 'desk');
    for (const h of HOSTS) agents.push(await startSimAgent(h, certs, 60));
    deadPort = await closedPort();
    const inventory = join(dir, 'inventory.yaml');
    const sources = join(dir, 'sources.yaml');
    writeInventory(inventory, HOSTS);
    writeSources(sources, [{ kind: 'agent', id: 'e1', host: 'gpu-e1', address: '127.0.0.1', port: agents[0]!.port }]);
    server = await startHeadroom({ extraArgs: ['--inventory', inventory, '--sources', sources, '--certs', certs, '--cert-name', 'desk'] });
    browser = await openBrowser();
    // The view validates with zod, which must not try eval under the console's CSP.
    await reportCspViolations(browser.page, browser.errors);
    admin = new Operator(browser.page);
    await admin.opensTheConsole(server.url);
  }, 90_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await Promise.all(agents.map((a) => a.stop()));
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the configured agent up, with its 8 GPUs, the inventory and the console identity', async () => {
    await admin.sources.open();
    await expect(admin.sources.mode().textContent()).resolves.toMatch(/real fleet/);
    await admin.sources.waitForState('e1', 'up');
    const [e1] = await admin.sources.shown();
    expect(e1).toMatchObject({ id: 'e1', kind: 'agent', state: 'up', errors: '0', lastError: '—' });
    expect(e1!.detail).toMatch(/^127\.0\.0\.1:\d+ · 8 GPUs · sim/);
    expect(e1!.age).toMatch(/^\d+\.\d s$/);
    await expect(admin.sources.inventory().textContent()).resolves.toMatch(/2 hosts · 16 GPUs.*inventory\.yaml/s);
    await expect(admin.sources.identity().textContent()).resolves.toMatch(/CN=desk.*scopes\s*read\s*control.*expires \d{4}-\d\d-\d\d \(in \d+ days\)/s);
    await admin.page.waitForFunction(() => /sources 1\/1 up/.test(document.querySelector('[data-testid="status-sources-summary"]')?.textContent ?? ''));
    // A real fleet runs on the wall clock: the status bar says "live" and offers no pause or speed.
    await expect(admin.page.getByTestId('status-live').textContent()).resolves.toBe('live');
    await expect(admin.page.getByTestId('btn-pause').count()).resolves.toBe(0);
    await admin.sources.rowTestButton('e1').click();
    await admin.sources.rowTestResult('e1').waitFor();
    await expect(admin.sources.rowTestResult('e1').getAttribute('data-ok')).resolves.toBe('true');
    await expect(admin.sources.rowTestResult('e1').textContent()).resolves.toMatch(/✓ 8 GPUs on gpu-e1 .* · \d+ ms/);
  });

  it('checks the form as the engine does before asking it', async () => {
    await admin.sources.fillAgent({ id: 'bad id', host: 'gpu-e2', address: '127.0.0.1', port: 70000 });
    await admin.sources.testButton().click();
    await expect(admin.page.getByTestId('source-err-id').textContent()).resolves.toMatch(/letters, digits/);
    await expect(admin.sources.form().textContent()).resolves.toMatch(/at most 65535/);
    // Nothing was sent: no result line.
    await expect(admin.sources.testResult().count()).resolves.toBe(0);
  });

  it('tests the second agent, adds it with a reason, and sees it come up', async () => {
    await admin.sources.fillAgent({ id: 'e2', host: 'gpu-e2', address: '127.0.0.1', port: agents[1]!.port });
    const t = await admin.sources.testsTheForm();
    expect(t.ok).toBe(true);
    expect(t.text).toMatch(/^✓ 8 GPUs on gpu-e2 \(sim\).* · \d+ ms$/);
    await admin.sources.field('reason').fill('second host racked (e2e)');
    await admin.sources.addButton().click();
    await admin.sources.message().waitFor();
    await expect(admin.sources.message().textContent()).resolves.toMatch(/Added source e2/);
    await admin.sources.waitForState('e2', 'up');
    expect((await admin.sources.shown()).map((s) => s.id)).toEqual(['e1', 'e2']);
    await admin.page.waitForFunction(() => /sources 2\/2 up/.test(document.querySelector('[data-testid="status-sources-summary"]')?.textContent ?? ''));
    await expect(admin.status.sources().getAttribute('data-worst')).resolves.toBe('up');
    await expect(admin.status.sourcesSummary().getAttribute('title')).resolves.toMatch(/e1 \(agent\) up · last sample .* ago · 0 errors\ne2 \(agent\) up/);
  });

  it('reads a closed port as a clear failure and shows the refusal of a second source for the same host', async () => {
    await admin.sources.fillAgent({ id: 'e3', host: 'gpu-e2', address: '127.0.0.1', port: deadPort });
    const t = await admin.sources.testsTheForm();
    expect(t.ok).toBe(false);
    expect(t.text).toMatch(/^✗ connection refused by gpu-e2 \(is the agent running and listening on that port\?\) · \d+ ms$/);
    await admin.sources.field('reason').fill('try a third source (e2e)');
    // Enter in the form adds (for an admin).
    await admin.sources.field('reason').press('Enter');
    await admin.sources.formError().waitFor();
    await expect(admin.sources.formError().textContent()).resolves.toMatch(/host "gpu-e2" already has agent source "e2"/);
    expect((await admin.sources.shown()).map((s) => s.id)).toEqual(['e1', 'e2']);
  });

  it('shows an agent that stops as stale with its last error, worst first in the status bar', async () => {
    await agents[1]!.stop();
    await admin.sources.waitForState('e2', 'stale', 15_000);
    const e2 = (await admin.sources.shown()).find((s) => s.id === 'e2')!;
    expect(e2.lastError).toMatch(/gpu-e2/);
    expect(Number(e2.errors)).toBeGreaterThan(0);
    expect(e2.age).toMatch(/^\d+\.\d s$|^\d+ s$/);
    await admin.sources.expandLastError('e2');
    await expect(admin.sources.lastErrorDetail('e2').textContent()).resolves.toContain(e2.lastError);
    await admin.page.waitForFunction(() => /sources 1\/2 up/.test(document.querySelector('[data-testid="status-sources-summary"]')?.textContent ?? ''));
    await expect(admin.status.sources().getAttribute('data-worst')).resolves.toBe('stale');
    await expect(admin.page.getByTestId('source-e2').textContent()).resolves.toMatch(/e2 stale · \d/);
    // Worst first: the stopped agent heads the tooltip.
    await expect(admin.status.sourcesSummary().getAttribute('title')).resolves.toMatch(/^sources 1\/2 up, 1 stale\ne2 \(agent\) stale · last sample .* ago · \d+ errors? · last error: .*gpu-e2.*\ne1 \(agent\) up/);
    await admin.waits(300);
    await admin.console.screenshot('sources.png');
  });

  it('removes the stopped agent with a reason; both changes are in the audit log', async () => {
    await admin.sources.removes('e2', 'host back to the vendor (e2e)');
    await admin.sources.row('e2').waitFor({ state: 'detached' });
    await admin.sources.message().filter({ hasText: 'Removed source e2' }).waitFor();
    await admin.page.waitForFunction(() => /sources 1\/1 up/.test(document.querySelector('[data-testid="status-sources-summary"]')?.textContent ?? ''));
    await expect(admin.status.sources().getAttribute('data-worst')).resolves.toBe('up');

    const records = await server.invoke('audit:list', { kind: 'source' });
    const e2 = records.filter((r) => r.target === 'source e2');
    expect(e2.map((r) => r.reason).sort()).toEqual(['host back to the vendor (e2e)', 'second host racked (e2e)']);
    expect(e2.every((r) => r.outcome === 'ok' && r.role === 'admin')).toBe(true);

    await admin.readsTheAuditLog();
    const added = await admin.audit.waitForRecord('source', 'second host racked');
    expect(added.target).toBe('source e2');
    const removed = await admin.audit.waitForRecord('source', 'back to the vendor');
    expect(removed.target).toBe('source e2');
  });

  it('lets an operator test (Enter in the form tests) but not add or remove', async () => {
    const page = await browser.browser.newPage();
    try {
      await page.setViewportSize({ width: 1600, height: 1000 });
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (e) => browser.errors.push(`pageerror: ${e.message}`));
      const operator = new Operator(page);
      await operator.opensTheConsole(server.urls.operator);
      await operator.sources.open();
      await operator.sources.waitForState('e1', 'up');
      await expect(operator.sources.addButton().isDisabled()).resolves.toBe(true);
      await expect(operator.sources.removeButtons().count()).resolves.toBe(0);
      await operator.sources.fillAgent({ id: 'e1-again', host: 'gpu-e1', address: '127.0.0.1', port: agents[0]!.port });
      await operator.sources.field('port').press('Enter');
      await operator.sources.testResult().waitFor();
      await expect(operator.sources.testResult().textContent()).resolves.toMatch(/✓ 8 GPUs on gpu-e1/);
    } finally {
      await page.close();
    }
  });

  it('shows a viewer the list without the test, add or remove buttons', async () => {
    const page = await browser.browser.newPage();
    try {
      await page.setViewportSize({ width: 1600, height: 1000 });
      page.setDefaultTimeout(10_000);
      page.on('pageerror', (e) => browser.errors.push(`pageerror: ${e.message}`));
      const viewer = new Operator(page);
      await viewer.opensTheConsole(server.urls.viewer);
      await viewer.sources.open();
      await viewer.sources.waitForState('e1', 'up');
      await page.getByTestId('sources-viewer-note').waitFor();
      await expect(viewer.sources.form().count()).resolves.toBe(0);
      await expect(viewer.sources.addButton().count()).resolves.toBe(0);
      await expect(viewer.sources.removeButtons().count()).resolves.toBe(0);
      await expect(viewer.sources.rowTestButton('e1').count()).resolves.toBe(0);
      // The engine refuses anyway.
      const r = await server.tryInvoke('sources:add', { source: { kind: 'agent', id: 'v', host: 'gpu-e2' }, reason: 'not mine to add' }, 'viewer');
      expect(r.ok).toBe(false);
    } finally {
      await page.close();
    }
  });

  it('raised no page errors', () => {
    expect(browser.errors).toEqual([]);
  });
});

describe('Settings → Sources on the simulator', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let admin: Operator;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10 });
    browser = await openBrowser();
    await reportCspViolations(browser.page, browser.errors);
    admin = new Operator(browser.page);
    await admin.opensTheConsole(server.url);
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the simulator source, explains how to watch a real fleet, and disables the form', async () => {
    await admin.sources.open();
    await expect(admin.sources.mode().textContent()).resolves.toMatch(/simulator/);
    await admin.sources.waitForState('sim', 'up');
    await expect(admin.sources.simNote().textContent()).resolves.toMatch(/headroom serve --inventory .* --certs/);
    await expect(admin.sources.field('id').isDisabled()).resolves.toBe(true);
    await expect(admin.sources.testButton().isDisabled()).resolves.toBe(true);
    await expect(admin.sources.addButton().isDisabled()).resolves.toBe(true);
    await expect(admin.sources.removeButtons().count()).resolves.toBe(0);
    const r = await server.tryInvoke('sources:add', { source: { kind: 'agent', id: 'x', host: 'gpu-x' }, reason: 'try it on the simulator' });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error).toMatch(/simulator/);
    await admin.waits(300);
    await admin.console.screenshot('sources-sim.png');
    expect(browser.errors).toEqual([]);
  });
});
