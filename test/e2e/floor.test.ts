/**
 * An operator scans the floor: every rack at a glance, every GPU at once, then drills into one rack.
 * Needs `npm run build` (dist/main and dist/renderer) and Chromium at /usr/bin/chromium (or $CHROMIUM_PATH).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Topology } from '../../shared/domain/topology.js';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('floor and rack views', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;
  let site: Topology;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10 });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    site = await server.invoke('fleet:topology', {});
    await operator.opensTheConsole(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows every rack of the site, with its numbers on hover', async () => {
    const shown = await operator.floor.rackIds();
    expect(shown.sort()).toEqual(site.racks.map((r) => r.id).sort());

    await expect(operator.floor.legend().textContent()).resolves.toMatch(/60 %.*80 %/);
    const rowD = site.rows.find((r) => r.id === 'D') ?? site.rows[site.rows.length - 1]!;
    const rack = site.racks[rowD.rackStart]!;
    const tip = await operator.floor.hoverRack(rack.id);
    expect(tip['Rack']).toContain(rack.id);
    expect(tip['Power']).toMatch(/\d+(\.\d)? kW of \d+(\.\d)? kW/);
    expect(tip['Budget']).toMatch(/\d+(\.\d)? %/);
    expect(tip['Inlet']).toMatch(/\d+\.\d °C/);
    expect(tip['Hottest GPU']).toMatch(/\d+\.\d °C/);
    await operator.console.screenshot('floor.png');
  });

  it('shows every GPU of the site at once, and a double-click opens that GPU’s rack', async () => {
    await operator.page.mouse.move(0, 0);
    await operator.looksAtEveryGpu();
    const g = await operator.floor.canvasGeometry();
    expect(g.width * g.height).toBeGreaterThanOrEqual(site.gpuCount);
    expect(g.cssWidth).toBeGreaterThan(g.width); // scaled up: every GPU is several screen pixels
    await expect(operator.floor.gpuSummary().textContent()).resolves.toContain(`${site.gpuCount} GPUs`);

    const tip = await operator.floor.hoverFirstGpu();
    expect(tip['GPU']).toContain(`${site.servers[0]!.id}-G1`);
    expect(tip['Power']).toMatch(/\d+ W of \d+ W limit/);
    expect(tip['Temperature']).toMatch(/°C/);
    await operator.console.screenshot('floor-gpus.png');

    await operator.floor.doubleClickFirstGpu();
    await operator.rack.root().waitFor();
    expect(await operator.rack.shownRackId()).toBe(site.racks[0]!.id);
    await operator.goesBackToTheFloor();
    await operator.floor.showRacks();
  });

  it('opens a rack and sees its servers × GPUs, live', async () => {
    const rack = site.racks[Math.min(2, site.racks.length - 1)]!;
    await operator.opensRack(rack.id);
    await expect(operator.rack.title().textContent()).resolves.toContain(rack.id);

    const servers = site.servers.slice(rack.serverStart, rack.serverStart + rack.serverCount);
    const expected = servers.flatMap((s) => Array.from({ length: s.gpuCount }, (_, k) => s.gpuStart + k));
    expect(await operator.rack.serverRows().count()).toBe(rack.serverCount);
    expect(await operator.rack.gpuIndexes()).toEqual(expected);

    const first = await operator.rack.readGpu(expected[0]!);
    expect(first['powerW']).toMatch(/^\d+ W$/);
    expect(first['limitW']).toMatch(/\d+ W$/);
    expect(first['tempC']).toMatch(/°C$/);
    expect(first['clockMHz']).toMatch(/MHz$/);

    // Values move with the simulation: some GPU's power differs a few seconds later.
    const before = await Promise.all(expected.map((i) => operator.rack.readGpu(i).then((f) => f['powerW'])));
    await operator.page.waitForFunction(
      ({ ids, old }) => ids.some((id, k) => document.querySelector(`[data-testid="gpu-cell-${id}"] [data-field="powerW"]`)?.textContent?.trim() !== old[k]),
      { ids: expected, old: before },
      { timeout: 15_000 },
    );
    await operator.console.screenshot('rack.png');
    await operator.goesBackToTheFloor();
  });

  it('opens a rack with the keyboard alone and returns with Escape', async () => {
    const rack = site.racks[site.racks.length - 1]!;
    await operator.opensRackWithKeyboard(rack.id);
    expect(await operator.rack.shownRackId()).toBe(rack.id);
    await operator.goesBackToTheFloor();
    await operator.console.pressViewKey('2');
    expect(await operator.rack.shownRackId()).toBe(rack.id);
    await operator.console.pressViewKey('1');
    await operator.floor.heatmap().waitFor();
  });

  it('selects racks, a whole row and GPUs by mouse and keyboard, and shows the selection', async () => {
    const rowA = site.rows[0]!;
    const [r0, r1, r2] = [0, 1, 2].map((k) => site.racks[rowA.rackStart + k]!.id);
    await operator.floor.clickRack(r0!);
    expect(await operator.floor.rackState(r0!)).toMatchObject({ selected: 'all' });
    await expect(operator.control.selectionLabel().textContent()).resolves.toBe(`rack ${r0}`);
    await operator.floor.clickRack(r2!, ['Shift']);
    expect((await operator.floor.rackState(r1!)).selected).toBe('all');
    await expect(operator.control.selectionLabel().textContent()).resolves.toMatch(/^3 racks: /);
    await operator.floor.clickRack(r1!, ['Control']);
    expect((await operator.floor.rackState(r1!)).selected).toBe('');

    // Keyboard: Space toggles the focused rack, Escape clears.
    await operator.floor.rackCell(r1!).focus();
    await operator.page.keyboard.press('Space');
    expect((await operator.floor.rackState(r1!)).selected).toBe('all');
    await operator.page.keyboard.press('Escape');
    expect((await operator.floor.rackState(r0!)).selected).toBe('');

    // The row label selects the row: every rack of it.
    await operator.floor.selectRow(rowA.id);
    await expect(operator.control.selectionLabel().textContent()).resolves.toBe(`row ${rowA.id}`);
    const states = await Promise.all(Array.from({ length: rowA.rackCount }, (_, k) => operator.floor.rackState(site.racks[rowA.rackStart + k]!.id)));
    expect(states.every((st) => st.selected === 'all')).toBe(true);

    // In a rack: GPUs, then a server.
    await operator.opensRack(r0!);
    const rack = site.racks[rowA.rackStart]!;
    const srv = site.servers[rack.serverStart]!;
    await operator.rack.selectGpu(srv.gpuStart);
    await operator.rack.selectGpu(srv.gpuStart + 2, ['Shift']);
    await expect(operator.control.selectionLabel().textContent()).resolves.toMatch(/^3 GPUs: /);
    await operator.rack.selectServer(srv.id);
    await expect(operator.control.selectionLabel().textContent()).resolves.toBe(`server ${srv.id}`);
    await operator.goesBackToTheFloor();
    expect((await operator.floor.rackState(r0!)).selected).toBe('partial');
    await operator.page.keyboard.press('Escape');
  });

  it('raised no page errors (CSP violations included)', () => {
    expect(browser.errors).toEqual([]);
  });
});
