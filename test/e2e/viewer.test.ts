/**
 * A viewer (the viewer token's URL) sees the floor, the control state and the audit log, but every control that acts
 * is disabled with "viewer role: read-only"; a request forced past the UI is refused by the engine and audited.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../shared/domain/topology.js';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('viewer role: read-only', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let viewer: Operator;
  let site: Topology;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10 });
    browser = await openBrowser();
    viewer = new Operator(browser.page);
    site = await server.invoke('fleet:topology', {});
    await viewer.opensTheConsole(server.urls.viewer);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('says the console is read-only and disables every acting control, with a tooltip', async () => {
    await expect(viewer.status.identity().getAttribute('data-role')).resolves.toBe('viewer');
    await viewer.control.readonlyNote().waitFor();
    // Selecting is looking, not acting: it still works.
    const rack = site.racks[0]!.id;
    await viewer.selectsRack(rack);
    await expect(viewer.control.reviewButton().isDisabled()).resolves.toBe(true);
    await expect(viewer.control.value().isDisabled()).resolves.toBe(true);
    await expect(viewer.control.reviewButton().locator('xpath=..').getAttribute('title')).resolves.toBe('viewer role: read-only');
    for (const row of site.rows) {
      await expect(viewer.control.brakeButton(row.id).isDisabled()).resolves.toBe(true);
      await expect(viewer.control.automationToggle(row.id).isDisabled()).resolves.toBe(true);
    }
    await expect(viewer.page.locator('.control-panel [title="viewer role: read-only"]').count()).resolves.toBeGreaterThan(site.rows.length);
    await viewer.page.mouse.move(0, 0);
    await viewer.console.screenshot('viewer.png');
  });

  it('cannot acknowledge or silence alerts', async () => {
    const first = await viewer.alerts.waitForAlert((await waitForAnyAlert(server)).id, ['pending', 'firing'], 60_000);
    await expect(viewer.alerts.ackButton(first.id).isDisabled()).resolves.toBe(true);
    await expect(viewer.alerts.silenceButton(first.id).isDisabled()).resolves.toBe(true);
  }, 75_000);

  it('a request forced past the UI is refused, with a clear message, and audited', async () => {
    const rack = site.racks[0]!.id;
    // Straight through the page's own WebSocket, as a script in the console would.
    const answer = await viewer.page.evaluate(async (rackId) => {
      const token = new URLSearchParams(location.search).get('token') ?? '';
      const ws = new WebSocket(`ws://${location.host}/api/ws?token=${encodeURIComponent(token)}`);
      return new Promise<{ ok: boolean; error?: string }>((done) => {
        ws.onopen = () =>
          ws.send(
            JSON.stringify({
              id: 1,
              channel: 'override:set',
              payload: { target: { kind: 'racks', ids: [rackId] }, action: { kind: 'powerCap', watts: 300 }, reason: 'forced', expiresInS: 600 },
            }),
          );
        ws.onmessage = (m) => {
          const msg = JSON.parse(String(m.data));
          if (msg.kind === 'response' && msg.id === 1) {
            ws.close();
            done({ ok: msg.ok, error: msg.error });
          }
        };
      });
    }, rack);
    expect(answer.ok).toBe(false);
    expect(answer.error).toMatch(/not allowed for role viewer/);
    expect((await server.invoke('control:summary', {})).overrides).toEqual([]);

    // The refusal is in the audit log, which a viewer may read.
    await viewer.readsTheAuditLog();
    await viewer.audit.kindFilter().selectOption('refusal');
    const rec = await viewer.audit.waitForRecord('refusal', 'override:set');
    expect(rec).toMatchObject({ outcome: 'refused' });
    expect(rec.actor).toMatch(/viewer/);
  });

  it('sees the policy with the paper defaults marked, and cannot edit it', async () => {
    await viewer.console.pressViewKey('7');
    await viewer.policy.root().waitFor();
    await expect(viewer.policy.polcaTable().textContent()).resolves.toMatch(/80.*paper default/s);
    await expect(viewer.policy.editButton().isDisabled()).resolves.toBe(true);
  });

  it('raised no page errors', () => {
    expect(browser.errors).toEqual([]);
  });
});

/** Any active alert (row D of the default site goes over 80 % within a minute). */
async function waitForAnyAlert(server: RunningServer): Promise<{ id: string }> {
  const until = Date.now() + 60_000;
  for (;;) {
    const list = await server.invoke('alerts:list', { includeResolved: false });
    const a = list.find((x) => x.state !== 'resolved');
    if (a) return a;
    if (Date.now() > until) throw new Error('no alert within 60 s');
    await new Promise((r) => setTimeout(r, 500));
  }
}
