import { describe, expect, it } from 'vitest';
import { bestWrap, layoutGpuGrid, layoutSize, paintGpuGrid, RACK_GAP } from '../../../renderer/charts/gpuGrid.js';
import { SCALES, packRgb, rgbAt } from '../../../renderer/charts/scales.js';
import { makeSnapshot, makeTopology } from './fixtures.js';

describe('all-GPU picture', () => {
  const t = makeTopology([4, 3], 2, 4);

  it('gives every GPU its own pixel, row → rack → server → GPU', () => {
    const l = layoutGpuGrid(t);
    expect(l.width).toBe(4 * (4 + RACK_GAP) - RACK_GAP);
    const seen = new Set<number>();
    for (let g = 0; g < t.gpuCount; g++) {
      const p = l.pixelOfGpu[g]!;
      expect(p).toBeGreaterThanOrEqual(0);
      expect(l.gpuAtPixel[p]).toBe(g);
      seen.add(p);
    }
    expect(seen.size).toBe(t.gpuCount);
    // GPU 1 sits right of GPU 0; server 1 of rack 0 sits below server 0.
    expect(l.pixelOfGpu[1]! - l.pixelOfGpu[0]!).toBe(1);
    expect(l.pixelOfGpu[4]! - l.pixelOfGpu[0]!).toBe(l.width);
    // The second rack starts after a gap.
    expect(l.pixelOfGpu[8]! - l.pixelOfGpu[0]!).toBe(4 + RACK_GAP);
  });

  it('wraps rows into bands and picks the wrap with the biggest cells', () => {
    const big = makeTopology([40, 40, 40, 40], 8, 8);
    expect(big.gpuCount).toBe(10_240);
    const l2 = layoutGpuGrid(big, 2);
    expect(l2.bands.length).toBe(8);
    expect(layoutSize(big, 2)).toEqual({ width: l2.width, height: l2.height });
    const best = bestWrap(big, 1100, 700);
    expect(best.scale).toBeGreaterThanOrEqual(6);
    const size = layoutSize(big, best.wrap);
    expect(size.width * best.scale).toBeLessThanOrEqual(1100);
    expect(size.height * best.scale).toBeLessThanOrEqual(700);
  });

  it('paints colours and counts GPUs over the thresholds', () => {
    const l = layoutGpuGrid(t);
    const s = makeSnapshot(t, { tempC: 60 });
    s.gpu.tempC[3] = 85;
    s.gpu.tempC[7] = 90;
    const pixels = new Uint32Array(l.width * l.height);
    const stats = paintGpuGrid(l, s, 'gpuTempC', pixels);
    expect(stats).toMatchObject({ warn: 1, crit: 1, maxGpu: 7, maxValue: 90 });
    expect(pixels[l.pixelOfGpu[7]!]).toBe(packRgb(rgbAt(SCALES.gpuTempC, 90)));
    expect(pixels[l.pixelOfGpu[0]!]).toBe(packRgb(rgbAt(SCALES.gpuTempC, 60)));
    // Gaps stay transparent.
    expect(pixels[4]).toBe(0);
  });

  it('paints 10,240 GPUs quickly', () => {
    const big = makeTopology([40, 40, 40, 40], 8, 8);
    const l = layoutGpuGrid(big, 2);
    const s = makeSnapshot(big);
    const pixels = new Uint32Array(l.width * l.height);
    paintGpuGrid(l, s, 'gpuTempC', pixels);
    const t0 = performance.now();
    for (let i = 0; i < 10; i++) paintGpuGrid(l, s, 'gpuTempC', pixels);
    expect((performance.now() - t0) / 10).toBeLessThan(10);
  });
});
