/** The operator steers the simulator from the status bar, and a wrong token gets a clear answer. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

describe('simulation controls and access', () => {
  let server: RunningServer;
  let browser: BrowserSession;
  let operator: Operator;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10 });
    browser = await openBrowser();
    operator = new Operator(browser.page);
    await operator.opensTheConsole(server.url);
  });

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('shows the simulated clock, speed, sources and connection', async () => {
    expect(await operator.status.simTime()).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC$/);
    await expect(operator.status.speed().textContent()).resolves.toBe('×10');
    await expect(operator.status.runState().textContent()).resolves.toBe('running');
    await expect(operator.status.sources().textContent()).resolves.toMatch(/up/);
    await expect(operator.console.connectionState().textContent()).resolves.toMatch(/connected/);
  });

  it('pause stops the simulated clock and resume starts it again', async () => {
    await operator.pausesTheSimulation();
    const t0 = await operator.status.simTimeMs();
    await operator.waits(2_000);
    expect(await operator.status.simTimeMs()).toBe(t0);
    expect((await server.invoke('status:get', {})).paused).toBe(true);

    await operator.resumesTheSimulation();
    await operator.page.waitForFunction((t) => Date.parse(document.querySelector('[data-testid="status-sim-time"]')!.getAttribute('datetime') ?? '') > t, t0, {
      timeout: 10_000,
    });
  });

  it('the speed selector changes the simulation speed', async () => {
    await operator.setsSpeed(60);
    expect((await server.invoke('status:get', {})).speed).toBe(60);
    const a = await operator.status.simTimeMs();
    await operator.waits(2_000);
    // 2 s of wall time at ×60 is about two simulated minutes.
    expect((await operator.status.simTimeMs()) - a).toBeGreaterThan(40_000);
    await operator.setsSpeed(1);
    expect((await server.invoke('status:get', {})).speed).toBe(1);
  });

  it('a wrong token gets a clear "missing or wrong token" screen', async () => {
    const page = await browser.browser.newPage();
    try {
      await page.goto(`${server.origin}/?token=not-the-token`);
      await page.getByTestId('token-screen').waitFor({ timeout: 10_000 });
      await expect(page.getByTestId('token-screen').textContent()).resolves.toMatch(/missing or wrong token/i);
    } finally {
      await page.close();
    }
  });

  it('shows "disconnected" when the server goes away and resynchronises when it is back', async () => {
    const { port, token } = server;
    await server.stop();
    await operator.console.connectionState().filter({ hasText: 'disconnected' }).waitFor();
    server = await startHeadroom({ speed: 10, port, token });
    await operator.console.connectionState().filter({ hasText: 'connected' }).waitFor({ timeout: 20_000 });
    // The restarted engine's clock starts over; the console follows it instead of keeping the old time.
    const engineNow = (await server.invoke('status:get', {})).simTimeMs;
    await operator.page.waitForFunction(
      (t) => Math.abs(Date.parse(document.querySelector('[data-testid="status-sim-time"]')!.getAttribute('datetime') ?? '') - t) < 60_000,
      engineNow,
      { timeout: 10_000 },
    );
  }, 40_000);

  it('raised no page errors', () => {
    // While the server is deliberately down, Chromium logs each refused reconnection attempt: expected here.
    const outage = /WebSocket connection to '.*\/api\/ws\?token=.*' failed: .*ERR_CONNECTION_REFUSED/;
    expect(browser.errors.filter((e) => !outage.test(e))).toEqual([]);
  });
});
