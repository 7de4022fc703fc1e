/**
 * Floor heatmap update time in headless Chromium, measured on the real renderer components.
 *
 * Opens `baseUrl` (a `headroom serve` URL with its token, ideally a 10,240-GPU site: `--scale 8`) with `bench=1`,
 * which installs `window.__headroomBench` (renderer/bench.ts). For each view it applies N synthetic snapshots (every
 * GPU, rack and row value perturbed, built before timing) to the live store and times each update: store → Vue
 * watcher flush and render (rack grid: one pass over the rack cells; all-GPU view: pixel pass + putImageData) → a
 * forced synchronous style recalculation and layout. Paint/composite on the next frame is not included. Live
 * snapshots are held back while measuring. Reports the median of each.
 */
import { chromium } from 'playwright-core';
import { CHROMIUM_ARGS, chromiumPath } from '../test/e2e/support/browser.js';

export interface HeatmapBenchResult {
  floorMs: number;
  allGpuMs: number;
  floorCells: number;
  allGpuCells: number;
}

interface BenchRun {
  cells: number;
  durationsMs: number[];
}

export function median(xs: readonly number[]): number {
  if (!xs.length) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

function withBenchFlag(baseUrl: string): string {
  const u = new URL(baseUrl);
  u.searchParams.set('bench', '1');
  return u.toString();
}

export async function benchHeatmap(opts: { baseUrl: string; updates?: number; warmup?: number }): Promise<HeatmapBenchResult> {
  const updates = opts.updates ?? 40;
  const warmup = opts.warmup ?? 5;
  const browser = await chromium.launch({ executablePath: chromiumPath, args: CHROMIUM_ARGS });
  try {
    const page = await browser.newPage();
    await page.setViewportSize({ width: 1600, height: 1000 });
    await page.goto(withBenchFlag(opts.baseUrl));
    await page.waitForFunction(() => window.__headroomBench?.ready() === true, undefined, { timeout: 30_000 });
    const run = (kind: 'floor' | 'allGpu', n: number) =>
      page.evaluate(([k, count]) => window.__headroomBench!.run(k, count), [kind, n] as const) as Promise<BenchRun>;
    // Warm up both paths (JIT, first layout, canvas allocation) before the timed runs.
    await run('floor', warmup);
    await run('allGpu', warmup);
    const floor = await run('floor', updates);
    const allGpu = await run('allGpu', updates);
    return {
      floorMs: round(median(floor.durationsMs)),
      allGpuMs: round(median(allGpu.durationsMs)),
      floorCells: floor.cells,
      allGpuCells: allGpu.cells,
    };
  } finally {
    await browser.close();
  }
}

function round(x: number): number {
  return Math.round(x * 100) / 100;
}

declare global {
  interface Window {
    __headroomBench?: {
      ready(): boolean;
      run(kind: 'floor' | 'allGpu', updates: number): Promise<{ kind: string; cells: number; durationsMs: number[] }>;
    };
  }
}
