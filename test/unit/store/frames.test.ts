import fc from 'fast-check';
import { deflateRawSync, inflateRawSync } from 'node:zlib';
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
  it('stores values above a field\'s range as missing, never wrapped into a plausible number', () => {
    // powerW/limitW/util/clockMHz: 2 bytes unsigned (max stored 65534 quanta); tempC: 2 bytes zigzag; flags: 4 bytes.
    const cols = [
      [6553.4, 6553.5, 7000],
      [3276.7, 3276.8, 4000],
      [65534, 65535, 70000],
      [6553.4, 6553.5, 1e9],
      [65.534, 65.535, 100],
      [0xfffffffe, 0xffffffff, 2 ** 33],
    ];
    const back = decodeFrame(GPU_CHANNEL, encodeFrame(GPU_CHANNEL, cols));
    F.forEach((_, i) => expect([...(back[i] ?? [])]).toEqual([cols[i]![0], NaN, NaN]));
  });

  it('reads values back at the quantum\'s decimals exactly (412.3, not 412.30000000000001)', () => {
    const cols = [[412.3], [-12.7], [1980], [699.9], [0.9], [0x20000]];
    const back = decodeFrame(GPU_CHANNEL, encodeFrame(GPU_CHANNEL, cols));
    F.forEach((_, i) => expect(back[i]?.[0]).toBe(cols[i]![0]));
  });

  it('keeps the released frame layout: header, then each field as little-endian byte planes (golden bytes)', () => {
    // A stored frame must decode in every later build: this pins format 1 of the gpu channel byte for byte.
    const cols = [[412.3, 0.1], [-1.5, 60], [1980, 0], [700, 6553.4], [0.9, 1], [0x20000, 0xfffffffe]];
    const golden = '01020000001b0110001db00004bc00070058fe1bff84e8030300fe00ff02ff00ff';
    expect(inflateRawSync(encodeFrame(GPU_CHANNEL, cols)).toString('hex')).toBe(golden);
    const back = decodeFrame(GPU_CHANNEL, deflateRawSync(Buffer.from(golden, 'hex')));
    F.forEach((_, i) => expect([...(back[i] ?? [])]).toEqual(cols[i]));
  });

  it('decodes exactly the requested slice, clamped to the frame', () => {
    const n = 10;
    const data = encodeFrame(GPU_CHANNEL, F.map(() => Array.from({ length: n }, (_, e) => e)));
    const slice = (from: number, to: number) => [...(decodeEntities(GPU_CHANNEL, data, from, to)[0] ?? [])];
    expect(slice(3, 4)).toEqual([3]);
    expect(slice(3, 6)).toEqual([3, 4, 5]);
    expect(slice(8, 20)).toEqual([8, 9]);
    expect(slice(-2, 2)).toEqual([0, 1]);
    expect(slice(10, 11)).toEqual([]);
    expect(slice(5, 5)).toEqual([]);
  });

  it('refuses a frame of another format or whose size does not match its entity count', () => {
    const raw = inflateRawSync(encodeFrame(GPU_CHANNEL, F.map(() => [1, 2, 3])));
    const other = Buffer.from(raw);
    other[0] = 2;
    expect(() => decodeFrame(GPU_CHANNEL, deflateRawSync(other))).toThrow(/unknown frame format/);
    const longer = Buffer.concat([raw, Buffer.alloc(14)]);
    expect(() => decodeFrame(GPU_CHANNEL, deflateRawSync(longer))).toThrow(/does not hold 3 entities/);
    const shorter = raw.subarray(0, raw.length - 14);
    expect(() => decodeFrame(GPU_CHANNEL, deflateRawSync(shorter))).toThrow(/does not hold 3 entities/);
  });
});
