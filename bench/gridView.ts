import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../test/e2e/support/browser.js';
import { median } from './heatmap.js';

/**
 * The grid view in headless Chromium (issue 15's `grid.viewFrameMs`): a console whose grid source is the simulated
 * 100 Hz meter (`baseUrl`: `headroom serve --grid-meter none --speed 10`), the view open on its default 30 s
 * (3,000 points per series) and refreshed at 10 Hz. Over `seconds`: each refresh's draw time as the view measures it
 * (ECharts setOption of both charts, data only) — median and p95 — and the page's animation frames (requestAnimationFrame
 * intervals: p95, and how many exceeded 50 ms, i.e. visibly dropped). Paint is in the frame intervals, not in the draw.
 */
export async function benchGridView(opts: { baseUrl: string; seconds?: number }): Promise<{ viewFrameMs: number; viewFrameP95Ms: number; rafP95Ms: number; longFrames: number; refreshes: number; points: number }> {
  const seconds = opts.seconds ?? 5;
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.goto(opts.baseUrl);
    await page.locator('body').press('g');
    await page.waitForFunction(() => Number(document.querySelector('[data-testid="grid-view"]')?.getAttribute('data-analysis-s') ?? 0) >= 30, undefined, { timeout: 60_000 });
    // A string, not a function: the bundler's name helpers (tsx keeps function names) do not exist in the page.
    const r = await page.evaluate<{ draws: number[]; frames: number[]; points: number }>(`(async (ms) => {
      const view = document.querySelector('[data-testid="grid-view"]');
      const draws = [];
      const obs = new MutationObserver(() => draws.push(Number(view.getAttribute('data-frame-ms'))));
      obs.observe(view, { attributes: true, attributeFilter: ['data-frame-ms'] });
      const frames = [];
      await new Promise((resolve) => {
        const t0 = performance.now();
        let last = t0;
        const step = (now) => {
          frames.push(now - last);
          last = now;
          if (now - t0 < ms) requestAnimationFrame(step);
          else resolve();
        };
        requestAnimationFrame(step);
      });
      obs.disconnect();
      return { draws, frames, points: Number(document.querySelector('[data-testid="grid-time-chart"]')?.getAttribute('data-points') ?? 0) };
    })(${seconds * 1000})`);
    const p95 = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length * 0.95)] ?? NaN;
    const round = (x: number) => Math.round(x * 10) / 10;
    return {
      viewFrameMs: round(median(r.draws)),
      viewFrameP95Ms: round(p95(r.draws)),
      rafP95Ms: round(p95(r.frames)),
      longFrames: r.frames.filter((f) => f > 50).length,
      refreshes: r.draws.length,
      points: r.points,
    };
  } finally {
    await browser.close();
  }
}
