import { describe, expect, it } from 'vitest';
import { RefusalError } from '../../../../main/core/ports.js';
import { listIds, Targets } from '../../../../main/core/control/targets.js';
import { A100, defaultTopology, H100 } from '../../../helpers.js';

/**
 * What an operator's selection resolves to (GPU indices, sorted and unique) and what is refused, with the message the
 * operator reads: unknown ids, and caps or locks outside a targeted GPU model's range.
 */

const topo = defaultTopology(1); // rows A–D, 10 racks a row, 4 servers a rack, 8 GPUs a server: 1,280 GPUs
const n = topo.gpuCount;
const range = (a: number, b: number) => Array.from({ length: b - a }, (_, i) => a + i);
const refusal = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RefusalError);
    return (e as Error).message;
  }
  throw new Error('not refused');
};

/** Built in each test (not at collection time), so that each test exercises the constructor's indexes. */
const targets = (gpuModel = new Int32Array(n)) => new Targets(topo, gpuModel);

describe('targets: what a selection resolves to', () => {

  it('ids in a refusal: strings quoted, numbers bare, at most five, then how many more', () => {
    expect(listIds(['A01', 'B02'])).toBe('"A01", "B02"');
    expect(listIds([1, 2, 3, 4, 5])).toBe('1, 2, 3, 4, 5');
    expect(listIds([1, 2, 3, 4, 5, 6, 7])).toBe('1, 2, 3, 4, 5 and 2 more');
    expect(listIds([])).toBe('');
  });

  it('a row id resolves to its index; an unknown one is refused, listing the rows', () => {
    const t = targets();
    expect(['A', 'B', 'C', 'D'].map((id) => t.row(id))).toEqual([0, 1, 2, 3]);
    expect(refusal(() => t.row('Z'))).toBe('unknown row "Z" (rows: A, B, C, D)');
  });

  it('GPU ids must be whole indices of this fleet: the first and last pass, anything else is refused by name', () => {
    const t = targets();
    expect(() => t.checkGpus([0, n - 1])).not.toThrow();
    expect(refusal(() => t.checkGpus([n]))).toBe(`unknown GPU id ${n} (this fleet has GPUs 0–${n - 1})`);
    expect(refusal(() => t.checkGpus([3, -1, n, 1.5, NaN]))).toBe(`unknown GPU ids -1, ${n}, 1.5, NaN (this fleet has GPUs 0–${n - 1})`);
  });

  it('GPUs resolve sorted and unique; servers, racks and a row to every GPU they hold', () => {
    const t = targets();
    expect(t.resolve({ kind: 'gpus', ids: [9, 3, 9, 0] })).toEqual([0, 3, 9]);
    expect(t.resolve({ kind: 'servers', ids: ['A01-S2', 'A01-S1'] })).toEqual(range(0, 16));
    expect(t.resolve({ kind: 'racks', ids: ['A03', 'A02'] })).toEqual(range(32, 96));
    expect(t.resolve({ kind: 'row', id: 'B' })).toEqual(range(320, 640));
    expect(t.resolve({ kind: 'row', id: 'D' })).toEqual(range(960, 1280));
  });

  it('unknown GPUs, servers, racks or rows are refused, naming them', () => {
    const t = targets();
    expect(refusal(() => t.resolve({ kind: 'gpus', ids: [1, n] }))).toMatch(/^unknown GPU id 1280 /);
    expect(refusal(() => t.resolve({ kind: 'servers', ids: ['A01-S1', 'X1'] }))).toBe('unknown server "X1"');
    expect(refusal(() => t.resolve({ kind: 'servers', ids: ['X1', 'X2'] }))).toBe('unknown servers "X1", "X2"');
    expect(refusal(() => t.resolve({ kind: 'racks', ids: ['Z09'] }))).toBe('unknown rack "Z09"');
    expect(refusal(() => t.resolve({ kind: 'racks', ids: ['A01', 'Z08', 'Z09'] }))).toBe('unknown racks "Z08", "Z09"');
    expect(refusal(() => t.resolve({ kind: 'row', id: 'E' }))).toMatch(/^unknown row "E"/);
  });
});

describe('targets: an action against the targeted GPU models', () => {
  // Even GPUs are H100 (200–700 W, 210–1980 MHz), odd ones A100 (100–400 W, 210–1410 MHz).
  const models = [H100, A100];
  const mixed = () => targets(Int32Array.from({ length: n }, (_, g) => g % 2));

  it("a power cap must lie within every targeted model's limit range, bounds included", () => {
    const t = mixed();
    expect(() => t.checkAction({ kind: 'powerCap', watts: 200 }, [0, 2], models)).not.toThrow();
    expect(() => t.checkAction({ kind: 'powerCap', watts: 700 }, [0], models)).not.toThrow();
    expect(() => t.checkAction({ kind: 'powerCap', watts: 400 }, [0, 1], models)).not.toThrow();
    expect(refusal(() => t.checkAction({ kind: 'powerCap', watts: 450 }, [0, 1], models))).toBe("power cap 450 W is outside A100-SXM's power limit range 100–400 W");
    expect(refusal(() => t.checkAction({ kind: 'powerCap', watts: 199 }, [0], models))).toBe("power cap 199 W is outside H100-SXM's power limit range 200–700 W");
    expect(refusal(() => t.checkAction({ kind: 'powerCap', watts: 701 }, [0], models))).toMatch(/^power cap 701 W is outside H100-SXM/);
    expect(refusal(() => t.checkAction({ kind: 'powerCap', watts: NaN }, [0], models))).toMatch(/^power cap NaN W/);
  });

  it("a clock lock must lie within every targeted model's clock range, bounds included", () => {
    const t = mixed();
    expect(() => t.checkAction({ kind: 'clockLock', mhz: 210 }, [0, 1], models)).not.toThrow();
    expect(() => t.checkAction({ kind: 'clockLock', mhz: 1980 }, [0], models)).not.toThrow();
    expect(refusal(() => t.checkAction({ kind: 'clockLock', mhz: 1500 }, [0, 1], models))).toBe("clock lock 1500 MHz is outside A100-SXM's clock range 210–1410 MHz");
    expect(refusal(() => t.checkAction({ kind: 'clockLock', mhz: 209 }, [0], models))).toMatch(/^clock lock 209 MHz is outside H100-SXM/);
    expect(refusal(() => t.checkAction({ kind: 'clockLock', mhz: 1981 }, [0], models))).toMatch(/^clock lock 1981 MHz is outside H100-SXM/);
    expect(refusal(() => t.checkAction({ kind: 'clockLock', mhz: Infinity }, [0], models))).toMatch(/^clock lock Infinity MHz/);
  });

  it('exempt has no value to check; only the targeted GPUs count', () => {
    const t = mixed();
    expect(() => t.checkAction({ kind: 'exempt' }, [0, 1], models)).not.toThrow();
    expect(() => t.checkAction({ kind: 'powerCap', watts: 650 }, [0, 2, 4], models)).not.toThrow();
  });
});
