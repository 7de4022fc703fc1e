/**
 * Scrubbing a recording in the console, measured in headless Chromium on the whole user path.
 *
 * Starts `node bin/headroom.js serve --recording <file>` as a child, opens its page (1600×1000), pauses playback, then
 * clicks the timeline (`[data-testid="recording-track"]`) at `seeks` seeded-random places and times each click until
 * the slider's `aria-valuenow` (the engine time of the snapshot the floor shows) is within one tick of the instant
 * clicked: the renderer's seek request, the engine reading and decoding the frame there and aggregating it, the
 * snapshot over the WebSocket and the re-render, plus playwright's round-trip (click sent, condition polled per frame).
 * `inPage*` is the same span measured inside the page (the click event to the attribute change), without playwright,
 * and `breakdown*` splits it at the seek request leaving the page and the snapshot arriving over the WebSocket.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import { createRng } from '../main/sim/rng.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** As the e2e specs launch it (test/e2e/support/browser.ts): Debian's Chromium, never a downloaded one. */
const chromiumPath = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--disable-quic', '--no-first-run'];
const READY = /Headroom serving on (http:\/\/\S+)/;
const TICK_MS = 1000;

export interface ScrubResult {
  seeks: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  coldMs: number;
  warmP50Ms: number;
  warmP99Ms: number;
  inPageP50Ms: number;
  inPageP99Ms: number;
  /** In the page: click → seek request sent; → its snapshot arrived (server: read, decode, aggregate, serialise, send); → slider changed (parse, apply, render). */
  breakdownP50Ms: Breakdown;
  breakdownP99Ms: Breakdown;
  breakdownSeeks: number;
  spanS: number;
  trackPx: number;
}

interface Breakdown {
  clickToRequest: number;
  requestToSnapshot: number;
  snapshotToSlider: number;
}

/** What the page records (set up by an init script and an evaluate below). */
interface ScrubWindow {
  __scrub: { clickAt: number; changes: Array<[number, number]> };
  __scrubWs: { sentAt: number; snapshots: number[] };
}

/** Init script: stamps the seek request leaving and each pushed snapshot arriving (see ScrubWindow). */
const WS_TIMING = `(() => {
  const w = window;
  w.__scrubWs = { sentAt: 0, snapshots: [] };
  const Base = window.WebSocket;
  window.WebSocket = class extends Base {
    constructor(url, protocols) {
      super(url, protocols);
      this.addEventListener('message', (e) => {
        if (typeof e.data === 'string' && e.data.startsWith('{"kind":"event","channel":"fleet:snapshot"')) w.__scrubWs.snapshots.push(performance.now());
      });
    }
    send(data) {
      if (typeof data === 'string' && data.includes('"action":"seek"')) w.__scrubWs.sentAt = performance.now();
      super.send(data);
    }
  };
})();`;


function quantile(xs: readonly number[], q: number): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
const r1 = (x: number) => Math.round(x * 10) / 10;

/** `headroom serve --recording file` on a free port; resolves with the child and its admin URL once it listens. */
async function serveRecording(file: string): Promise<{ child: ChildProcess; url: string }> {
  if (!existsSync(resolve(repoRoot, 'dist/renderer/index.html'))) throw new Error('dist/renderer is missing: run `npm run build` first');
  const token = randomBytes(16).toString('hex');
  const child = spawn(process.execPath, ['bin/headroom.js', 'serve', '--recording', file, '--port', '0', '--host', '127.0.0.1', '--token', token], {
    cwd: repoRoot,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  try {
    const url = await new Promise<string>((ok, fail) => {
      const timer = setTimeout(() => fail(new Error(`headroom serve did not become ready in 60 s:\n${log}`)), 60_000);
      child.stdout.on('data', (d: Buffer) => {
        log += d.toString();
        const m = READY.exec(log);
        if (m) {
          clearTimeout(timer);
          ok(m[1]!);
        }
      });
      child.stderr.on('data', (d: Buffer) => (log += d.toString()));
      child.once('exit', (code) => {
        clearTimeout(timer);
        fail(new Error(`headroom serve exited with ${code}:\n${log}`));
      });
    });
    return { child, url };
  } catch (e) {
    await stopChild(child);
    throw e;
  }
}

/** SIGTERM, then SIGKILL after 5 s; resolves when the child has exited. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((done) => {
    const kill = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(kill);
      done();
    });
    child.kill('SIGTERM');
  });
}

export async function benchScrub(opts: { file: string; seeks?: number; seed?: number }): Promise<ScrubResult> {
  const seeks = opts.seeks ?? 50;
  const rand = createRng(opts.seed ?? 9);
  if (!existsSync(chromiumPath)) throw new Error(`no Chromium at ${chromiumPath}: apt-get install chromium (or set CHROMIUM_PATH)`);
  const { child, url } = await serveRecording(opts.file);
  try {
    const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
    try {
      const page = await browser.newPage();
      await page.setViewportSize({ width: 1600, height: 1000 });
      page.setDefaultTimeout(30_000);
      // Where the time goes: when the seek request leaves the page and when each pushed snapshot arrives (a listener
      // added before the console's own, so the arrival is stamped before the snapshot is parsed and applied).
      // A string, not a function: tsx would add its `__name` helper to the class, which the page does not have.
      await page.addInitScript(WS_TIMING);
      await page.goto(url);
      const track = page.getByTestId('recording-track');
      const play = page.getByTestId('recording-play');
      // The timeline is drawn once the first status (with the recording's span) arrives; the floor once a snapshot has.
      await track.waitFor();
      await page.getByTestId('floor-heatmap').waitFor();
      await page.waitForFunction(() => Number(document.querySelector('[data-testid="recording-track"]')?.getAttribute('aria-valuenow')) > 0);
      // Playback starts playing: pause it, so that only the seeks move the slider.
      if ((await play.getAttribute('aria-label')) !== 'Play') await play.click();
      await page.waitForFunction(() => document.querySelector('[data-testid="recording-play"]')?.getAttribute('aria-label') === 'Play');
      const t0Ms = Number(await track.getAttribute('aria-valuemin'));
      const t1Ms = Number(await track.getAttribute('aria-valuemax'));
      const span = Math.max(1, t1Ms - t0Ms);
      // In the page: when each click landed on the track, and when aria-valuenow changed to what.
      await page.evaluate(() => {
        const el = document.querySelector('[data-testid="recording-track"]')!;
        const w = window as unknown as ScrubWindow;
        w.__scrub = { clickAt: 0, changes: [] };
        el.addEventListener('click', () => (w.__scrub.clickAt = performance.now()), { capture: true });
        new MutationObserver(() => w.__scrub.changes.push([performance.now(), Number(el.getAttribute('aria-valuenow'))])).observe(el, {
          attributes: true,
          attributeFilter: ['aria-valuenow'],
        });
      });
      const all: number[] = [];
      const inPage: number[] = [];
      const toRequest: number[] = [];
      const server: number[] = [];
      const client: number[] = [];
      let trackPx = 0;
      let nowMs = Number(await track.getAttribute('aria-valuenow'));
      for (let i = 0; i < seeks; i++) {
        const box = await track.boundingBox();
        if (!box) throw new Error('the recording track is not laid out');
        trackPx = box.width;
        // Aim at a whole pixel (mouse events carry integer client coordinates) and seek where the page computes that
        // pixel to be, rounded to the second as the playback store does; never within a tick of where it is already.
        let x = 0;
        let target = nowMs;
        while (Math.abs(target - nowMs) <= TICK_MS) {
          const frac = 0.02 + rand() * 0.96;
          x = Math.round(box.x + frac * box.width);
          target = Math.round((t0Ms + ((x - box.x) / box.width) * span) / 1000) * 1000;
        }
        const y = box.y + box.height / 2;
        await page.evaluate(() => {
          const w = window as unknown as ScrubWindow;
          w.__scrub.clickAt = 0;
          w.__scrub.changes.length = 0;
          w.__scrubWs.sentAt = 0;
          w.__scrubWs.snapshots.length = 0;
        });
        const start = performance.now();
        await page.mouse.click(x, y);
        const handle = await page.waitForFunction(
          ({ t, tol }) => {
            const v = Number(document.querySelector('[data-testid="recording-track"]')?.getAttribute('aria-valuenow'));
            if (Math.abs(v - t) > tol) return false;
            const w = window as unknown as ScrubWindow;
            const hit = w.__scrub.changes.find(([, val]) => Math.abs(val - t) <= tol)?.[0] ?? 0;
            // The snapshot that moved the slider: the last one to arrive before the change.
            const snap = w.__scrubWs.snapshots.filter((a) => a <= hit).at(-1) ?? 0;
            return { v, clickAt: w.__scrub.clickAt, sentAt: w.__scrubWs.sentAt, snapAt: snap, hitAt: hit };
          },
          { t: target, tol: TICK_MS },
          { polling: 'raf', timeout: 30_000 },
        );
        all.push(performance.now() - start);
        const got = (await handle.jsonValue()) as { v: number; clickAt: number; sentAt: number; snapAt: number; hitAt: number };
        await handle.dispose();
        if (got.clickAt && got.hitAt) inPage.push(got.hitAt - got.clickAt);
        if (got.clickAt && got.sentAt && got.snapAt > got.sentAt && got.hitAt) {
          toRequest.push(got.sentAt - got.clickAt);
          server.push(got.snapAt - got.sentAt);
          client.push(got.hitAt - got.snapAt);
        }
        nowMs = got.v;
      }
      const warm = all.slice(1);
      return {
        seeks,
        p50Ms: r1(quantile(all, 0.5)),
        p99Ms: r1(quantile(all, 0.99)),
        maxMs: r1(Math.max(...all)),
        coldMs: r1(all[0] ?? NaN),
        warmP50Ms: r1(quantile(warm, 0.5)),
        warmP99Ms: r1(quantile(warm, 0.99)),
        inPageP50Ms: r1(quantile(inPage, 0.5)),
        inPageP99Ms: r1(quantile(inPage, 0.99)),
        breakdownP50Ms: { clickToRequest: r1(quantile(toRequest, 0.5)), requestToSnapshot: r1(quantile(server, 0.5)), snapshotToSlider: r1(quantile(client, 0.5)) },
        breakdownP99Ms: { clickToRequest: r1(quantile(toRequest, 0.99)), requestToSnapshot: r1(quantile(server, 0.99)), snapshotToSlider: r1(quantile(client, 0.99)) },
        breakdownSeeks: server.length,
        spanS: Math.round(span / 1000),
        trackPx: Math.round(trackPx),
      };
    } finally {
      await browser.close();
    }
  } finally {
    await stopChild(child);
  }
}
