/**
 * The desktop's first screen (issue 17) in Chromium: the built renderer with a stand-in for the preload's bridge
 * (`window.headroom`, as Electron's preload exposes it) answering `desktop:state` with "choose". It offers the local
 * simulator or a controller, prefilled with the last choice; an https address asks for the optional CA file; a
 * refusal from the main process is shown; a successful choice reloads into the console. The main process's side is
 * test/integration/electron/remote.test.ts. Needs `npm run build` and Chromium.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openBrowser, type BrowserSession } from './support/browser.js';
import { startHeadroom, type RunningServer } from './support/server.js';
import { Operator } from './pages/Operator.js';

/** The stand-in bridge: records desktop requests in sessionStorage; the first start is refused, the next succeeds. */
const FAKE_BRIDGE = `
(() => {
  const log = () => JSON.parse(sessionStorage.getItem('desk') || '[]');
  const push = (x) => sessionStorage.setItem('desk', JSON.stringify([...log(), x]));
  window.headroom = {
    async invoke(channel, payload) {
      if (channel === 'desktop:state') {
        const started = log().some((x) => x.ok);
        return started
          ? { phase: 'running', mode: 'controller', last: null, error: null }
          : { phase: 'choose', mode: null, last: { mode: 'controller', url: 'https://ctl.example:8443', caFile: '/etc/headroom/ca.crt', hasToken: true }, error: null };
      }
      if (channel === 'desktop:start') {
        const ok = log().filter((x) => x.channel === 'desktop:start').length > 0;
        push({ channel, payload, ok });
        if (!ok) throw new Error("Error invoking remote method 'headroom:invoke': Error: cannot reach https://ctl.example:8443: connect ECONNREFUSED");
        return { phase: 'running', mode: 'controller', last: null, error: null };
      }
      throw new Error('not in this stand-in: ' + channel);
    },
    on() { return () => {}; },
  };
})();
`;

describe("the desktop's first screen", () => {
  let server: RunningServer;
  let browser: BrowserSession;

  beforeAll(async () => {
    server = await startHeadroom({ speed: 10 });
    browser = await openBrowser({ width: 1280, height: 800 });
    await browser.page.addInitScript(FAKE_BRIDGE);
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('offers a local simulator or a controller, prefilled with the last choice; says why a connection failed; reloads once connected', async () => {
    const page = browser.page;
    await page.goto(server.url);
    await page.getByTestId('first-screen').waitFor();
    await expect(page.getByTestId('first-url').inputValue()).resolves.toBe('https://ctl.example:8443');
    await expect(page.getByTestId('first-ca').inputValue()).resolves.toBe('/etc/headroom/ca.crt');
    await expect(page.getByTestId('first-token').getAttribute('placeholder')).resolves.toMatch(/remembered/);
    // The last choice is where Enter goes.
    await expect(page.getByTestId('first-connect').evaluate((el) => el === document.activeElement)).resolves.toBe(true);
    await new Operator(page).console.screenshot('desktop-first-screen.png');
    await page.getByTestId('first-token').fill('s3cret');
    await page.getByTestId('first-connect').click();
    await expect(page.getByTestId('first-error').textContent()).resolves.toBe('cannot reach https://ctl.example:8443: connect ECONNREFUSED');
    // An http address needs no CA file.
    await page.getByTestId('first-url').fill('http://127.0.0.1:1');
    await expect(page.getByTestId('first-ca').count()).resolves.toBe(0);
    await page.getByTestId('first-url').fill('https://ctl.example:8443');
    await page.getByTestId('first-connect').click();
    // Reloaded into the console (the stand-in answers "running"; the page's own requests go through the bridge).
    await page.getByTestId('first-screen').waitFor({ state: 'detached' });
    const sent = JSON.parse(await page.evaluate<string>("sessionStorage.getItem('desk')")) as Array<{ payload: unknown }>;
    expect(sent.map((x) => x.payload)).toEqual([
      { mode: 'controller', url: 'https://ctl.example:8443', token: 's3cret', caFile: '/etc/headroom/ca.crt' },
      { mode: 'controller', url: 'https://ctl.example:8443', token: 's3cret', caFile: '/etc/headroom/ca.crt' },
    ]);
  }, 40_000);
});
