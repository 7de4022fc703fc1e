/**
 * An operator takes manual control: caps a rack with a reason and sees the cap on the heatmap, in the rack and in the
 * audit log; pauses automation on a row; reaches for the emergency brake, which only works once the row id is typed.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../shared/domain/topology.js';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('operator overrides, automation and the emergency brake', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;
  let site: Topology;
  let rackId: string;
  let rackGpus: number[];

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10 });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    site = await server.invoke('fleet:topology', {});
    // Rack D03 of the default site (or the third rack of the last row elsewhere).
    const rowD = site.rows.find((r) => r.id === 'D') ?? site.rows[site.rows.length - 1]!;
    const rack = site.racks.find((r) => r.id === 'D03') ?? site.racks[rowD.rackStart + 2]!;
    rackId = rack.id;
    rackGpus = site.servers.slice(rack.serverStart, rack.serverStart + rack.serverCount).flatMap((s) => Array.from({ length: s.gpuCount }, (_, k) => s.gpuStart + k));
    await operator.opensTheConsole(server.urls.operator);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('says who is at the console', async () => {
    await expect(operator.status.identity().textContent()).resolves.toMatch(/operator$/);
    await expect(operator.control.readonlyNote().count()).resolves.toBe(0);
  });

  it('caps a rack with a reason after reviewing what it will do, and sees the cap on the heatmap', async () => {
    const preview = await operator.capsRack(rackId, 450, 'drill');
    expect(Number(preview.gpus)).toBe(rackGpus.length);
    expect(preview.current).toMatch(/^\d+(\.\d)? kW$/);
    expect(preview.after).toMatch(/^\d+(\.\d)? kW$/);
    expect(preview.delta).toMatch(/^[−+±]\d+(\.\d)? kW$/);
    expect(preview.clamped).toMatch(/^\d+ GPUs?$/);

    await expect(operator.control.message().textContent()).resolves.toMatch(/Override set: power cap 450 W per GPU on rack/);
    const item = operator.control.override(`rack ${rackId}`);
    await item.waitFor();
    await expect(item.textContent()).resolves.toMatch(/power cap 450 W per GPU.*operator \(token\).*“drill”.*expires \d{4}-\d\d-\d\d/s);

    await operator.page.waitForFunction((id) => document.querySelector(`[data-testid="rack-cell-${id}"]`)?.getAttribute('data-control') === 'cap 450 W', rackId, {
      timeout: 10_000,
    });
    await expect(operator.floor.controlLegend().textContent()).resolves.toMatch(/manual cap/);
    const engine = await server.invoke('control:summary', {});
    expect(engine.overrides.find((o) => o.reason === 'drill')).toMatchObject({ action: { kind: 'powerCap', watts: 450 }, createdBy: expect.stringMatching(/operator/) });
    await operator.page.mouse.move(0, 0);
    await operator.console.screenshot('controls.png');
  });

  it('shows in the rack what is requested of each GPU, by whom and why', async () => {
    await operator.opensRack(rackId);
    const g = rackGpus[0]!;
    await operator.page.waitForFunction((i) => document.querySelector(`[data-testid="gpu-cell-${i}"]`)?.getAttribute('data-source') === 'manual', g, { timeout: 10_000 });
    await operator.rack.selectGpu(g);
    const detail = operator.rack.controlDetail();
    await expect(detail.locator('[data-field="requestedW"]').textContent()).resolves.toBe('450 W');
    await expect(detail.locator('[data-field="source"]').textContent()).resolves.toBe('operator override');
    await expect(detail.textContent()).resolves.toMatch(/drill/);
    await operator.console.screenshot('rack-control.png');
    await operator.goesBackToTheFloor();
  });

  it('finds the cap in the audit log, and the chain verifies', async () => {
    await operator.readsTheAuditLog();
    const rec = await operator.audit.waitForRecord('override', rackId);
    expect(rec).toMatchObject({ outcome: 'ok', reason: 'drill' });
    expect(rec.actor).toMatch(/operator/);
    expect(rec.change).toMatch(/450/);
    await expect(operator.verifiesTheAuditChain()).resolves.toMatch(/^✓ .*intact/i);
    await expect(operator.audit.verifyResult().getAttribute('data-ok')).resolves.toBe('true');
    // Filter on the override's own target: only its records remain.
    await operator.audit.targetFilter().fill(rec.target);
    await operator.page.waitForFunction(
      (t) => [...document.querySelectorAll('[data-testid="audit-row"] [data-field="target"]')].every((e) => (e.textContent ?? '').includes(t)),
      rec.target,
    );
    await operator.audit.targetFilter().fill('');
    await operator.page.waitForFunction(() => document.querySelectorAll('[data-testid="audit-row"]').length > 1);
    await operator.console.screenshot('audit.png');

    // CSV export of what the filter matches (here: everything), downloaded through a Blob link.
    const csv = await operator.exportsTheAuditLog();
    expect(csv.name).toMatch(/^headroom-audit-\d{8}-\d{6}Z\.csv$/);
    const lines = csv.text.trimEnd().split('\r\n');
    expect(lines[0]).toBe('seq,at,atMs,simMs,actor,role,kind,target,oldValue,newValue,reason,outcome,prevHash,hash');
    expect(lines.some((l) => l.includes(',override,') && l.includes(',drill,'))).toBe(true);
    await operator.console.tab('floor').click();
    await operator.floor.heatmap().waitFor();
  });

  it('pauses automation on a row with a reason', async () => {
    const row = site.rows[0]!.id;
    await operator.pausesAutomation(row, 'maintenance window');
    await operator.control.row(row).and(operator.page.locator('[data-automation="paused"]')).waitFor();
    await operator.floor.rowLabel(row).getByTestId('row-automation-paused').waitFor();
    await operator.pausesAutomation(row, 'maintenance done');
    await operator.control.row(row).and(operator.page.locator('[data-automation="on"]')).waitFor();
  });

  it('the emergency brake needs the row id typed out and a reason', async () => {
    const row = site.rows[0]!.id;
    await operator.reachesForTheBrake(row);
    await expect(operator.control.brakeConfirm().isDisabled()).resolves.toBe(true);
    await operator.control.brakeReason().fill('drill: brake test');
    await expect(operator.control.brakeConfirm().isDisabled()).resolves.toBe(true);
    await operator.control.brakeTyped().fill(row.toLowerCase() === row ? `${row}x` : row.toLowerCase());
    await expect(operator.control.brakeConfirm().isDisabled()).resolves.toBe(true);
    await operator.control.brakeTyped().fill(row);
    await expect(operator.control.brakeConfirm().isDisabled()).resolves.toBe(false);
    await operator.control.brakeCancel().click();
    await operator.control.brakeDialog().waitFor({ state: 'hidden' });
    await expect(operator.control.row(row).getAttribute('data-braked')).resolves.toBe('0');

    // The engine refuses a brake whose confirmation does not repeat the row, whatever the face.
    const forced = await server.tryInvoke('brake:row', { row, engage: true, reason: 'forced', confirmRow: 'nope' }, 'operator');
    expect(forced).toMatchObject({ ok: false, error: expect.stringMatching(/type the row id/) });

    await operator.brakesRow(row, 'drill: brake test');
    await operator.page.waitForFunction((r) => Number(document.querySelector(`[data-testid="row-control-${r}"]`)?.getAttribute('data-braked')) > 0, row, { timeout: 15_000 });
    // One truth: the floor and the Rows panel say BRAKE (by whom) and offer Release at once; a second brake is refused.
    await operator.floor.rowLabel(row).getByTestId('row-manual-brake').waitFor();
    await expect(operator.page.getByTestId(`brake-${row}`).textContent()).resolves.toBe('Release…');
    const again = await server.tryInvoke('brake:row', { row, engage: true, reason: 'second brake', confirmRow: row }, 'operator');
    expect(again).toMatchObject({ ok: false, error: expect.stringMatching(/already engaged by operator \(token\)/) });
    const firstRack = site.racks[site.rows[0]!.rackStart]!.id;
    await operator.page.waitForFunction((id) => document.querySelector(`[data-testid="rack-cell-${id}"]`)?.getAttribute('data-control') === 'BRAKE', firstRack, {
      timeout: 10_000,
    });
    await operator.console.screenshot('brake.png');
    await operator.brakesRow(row, 'drill over');
    await operator.page.waitForFunction((r) => document.querySelector(`[data-testid="row-control-${r}"]`)?.getAttribute('data-braked') === '0', row, { timeout: 30_000 });
    const brakes = await server.invoke('audit:list', { kind: 'brake' });
    expect(brakes.map((b) => b.reason)).toEqual(expect.arrayContaining(['drill: brake test', 'drill over']));
  }, 60_000);

  it('clears the override with a reason', async () => {
    await operator.clearsOverride(`rack ${rackId}`, 'drill over');
    await operator.control.override(`rack ${rackId}`).waitFor({ state: 'detached' });
    await operator.page.waitForFunction((id) => document.querySelector(`[data-testid="rack-cell-${id}"]`)?.getAttribute('data-control') !== 'cap 450 W', rackId, {
      timeout: 10_000,
    });
    const clears = await server.invoke('audit:list', { kind: 'override-clear' });
    expect(clears[0]).toMatchObject({ reason: 'drill over', outcome: 'ok' });
  });

  it('raised no page errors', () => {
    expect(browser.errors).toEqual([]);
  });
});
