import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeEntities, decodeFrame, encodeFrame, GPU_CHANNEL } from '../../../main/store/frames.js';

const F = GPU_CHANNEL.fields;

describe('frame codec (named channels)', () => {
  it('round-trips every field within half its quantum, for any values in range', () => {
    const gpu = fc.record({
      powerW: fc.double({ min: 0, max: 6000, noNaN: true }),
      tempC: fc.double({ min: -20, max: 150, noNaN: true }),
      clockMHz: fc.integer({ min: 0, max: 4000 }),
      limitW: fc.double({ min: 0, max: 2000, noNaN: true }),
      util: fc.double({ min: 0, max: 1, noNaN: true }),
      flags: fc.integer({ min: 0, max: 0xfffffffe }),
    });
    fc.assert(
      fc.property(fc.array(gpu, { minLength: 0, maxLength: 64 }), (gpus) => {
        const cols = F.map((f) => gpus.map((g) => g[f.name as keyof typeof g]));
        const back = decodeFrame(GPU_CHANNEL, encodeFrame(GPU_CHANNEL, cols));
        F.forEach((f, i) => {
          gpus.forEach((g, e) => {
            const v = g[f.name as keyof typeof g];
            expect(Math.abs((back[i]?.[e] ?? NaN) - v)).toBeLessThanOrEqual(f.quantum / 2 + 1e-9);
          });
        });
      }),
      { numRuns: 300 },
    );
  });

  it('stores NaN, ±Inf and out-of-range values as missing (NaN), never as a plausible number', () => {
    const cols = F.map(() => [NaN, Infinity, -Infinity, -5]);
    const back = decodeFrame(GPU_CHANNEL, encodeFrame(GPU_CHANNEL, cols));
    // -5 is valid only for the signed field (temperature).
    F.forEach((f, i) => expect([...(back[i] ?? [])]).toEqual([NaN, NaN, NaN, f.signed ? -5 : NaN]));
  });

  it('decodes a slice of entities (one GPU of a frame) equal to the whole decode', () => {
    const n = 100;
    const cols = F.map((_, i) => Array.from({ length: n }, (_, e) => (e * 7 + i) % 90));
    const data = encodeFrame(GPU_CHANNEL, cols);
    const all = decodeFrame(GPU_CHANNEL, data);
    const one = decodeEntities(GPU_CHANNEL, data, 42, 43);
    F.forEach((_, i) => expect(one[i]?.[0]).toBe(all[i]?.[42]));
  });

  it('refuses a damaged frame and a column of the wrong length', () => {
    const data = encodeFrame(GPU_CHANNEL, F.map(() => [1, 2, 3]));
    expect(() => decodeFrame(GPU_CHANNEL, data.subarray(0, data.length - 3))).toThrow();
    expect(() => encodeFrame(GPU_CHANNEL, [...F.map(() => [1, 2]).slice(1), [1]])).toThrow(/field/);
    expect(() => encodeFrame(GPU_CHANNEL, [[1]])).toThrow(/columns/);
  });
});
