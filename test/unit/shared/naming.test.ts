import { describe, expect, it } from 'vitest';
import type { Topology } from '../../../shared/domain/topology.js';
import { countedNames, describeTarget, gpuName, serverIdOfGpuName, serverOfGpu } from '../../../shared/naming.js';

/** Row A: racks A01, A02; 2 servers each; 8 GPUs per server, except A02-S2 with 4 (64 - 4 = 28 GPUs). */
function site(): Topology {
  const t: Topology = { site: { id: 's', name: 'Test' }, models: [], rows: [{ id: 'A', budgetKW: 100, coolingKW: 100, supplyC: 22, rackStart: 0, rackCount: 2 }], racks: [], servers: [], gpuCount: 0 };
  for (const [r, id] of ['A01', 'A02'].entries()) {
    t.racks.push({ id, row: 0, budgetKW: 50, serverStart: t.servers.length, serverCount: 2 });
    for (const s of [1, 2]) {
      const gpuCount = id === 'A02' && s === 2 ? 4 : 8;
      t.servers.push({ id: `${id}-S${s}`, rack: r, gpuStart: t.gpuCount, gpuCount, model: 0, idleW: 1500, activeW: 2000 });
      t.gpuCount += gpuCount;
    }
  }
  return t;
}

describe('naming', () => {
  const t = site();

  it('names a GPU by its server and 1-based slot, as alert subjects are stored', () => {
    expect(gpuName(t, 0)).toBe('A01-S1-G1');
    expect(gpuName(t, 7)).toBe('A01-S1-G8');
    expect(gpuName(t, 8)).toBe('A01-S2-G1');
    expect(gpuName(t, 24)).toBe('A02-S2-G1');
    expect(gpuName(t, 27)).toBe('A02-S2-G4');
    expect([0, 8, 16, 24, 27].map((g) => serverOfGpu(t, g))).toEqual([0, 1, 2, 3, 3]);
  });

  it('names a GPU outside the topology (or without one) by its index', () => {
    expect(gpuName(t, 28)).toBe('28');
    expect(gpuName(t, -1)).toBe('-1');
    expect(gpuName(null, 5)).toBe('5');
    expect(serverOfGpu({ servers: [] }, 0)).toBe(-1);
  });

  it('reads the server back out of a GPU name', () => {
    expect(serverIdOfGpuName(gpuName(t, 27))).toBe('A02-S2');
    expect(serverIdOfGpuName('row-A')).toBeNull();
    expect(serverIdOfGpuName('-G3')).toBeNull();
  });

  it('describes override targets: one by name, several counted and named up to maxNames', () => {
    expect(describeTarget({ kind: 'row', id: 'D' }, t)).toBe('row D');
    expect(describeTarget({ kind: 'racks', ids: ['D03'] }, t)).toBe('rack D03');
    expect(describeTarget({ kind: 'racks', ids: ['D03', 'D04'] }, t)).toBe('2 racks: D03, D04');
    expect(describeTarget({ kind: 'servers', ids: ['A01-S1'] }, t)).toBe('server A01-S1');
    expect(describeTarget({ kind: 'servers', ids: ['A01-S1', 'A01-S2', 'A02-S1'] }, t)).toBe('3 servers: A01-S1, A01-S2, A02-S1');
    expect(describeTarget({ kind: 'gpus', ids: [9] }, t)).toBe('GPU A01-S2-G2');
    expect(describeTarget({ kind: 'gpus', ids: [5, 6] }, t)).toBe('2 GPUs: A01-S1-G6, A01-S1-G7');
    expect(describeTarget({ kind: 'gpus', ids: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11] }, t)).toBe('12 GPUs: A01-S1-G1, A01-S1-G2, A01-S1-G3, A01-S1-G4, …');
    expect(describeTarget({ kind: 'racks', ids: ['A01', 'A02', 'B01'] }, t, 2)).toBe('3 racks: A01, A02, …');
    expect(describeTarget({ kind: 'gpus', ids: [5, 6] }, null)).toBe('2 GPUs: 5, 6');
  });

  it('names only the items it shows', () => {
    const named: number[] = [];
    const text = countedNames('GPU', 'GPUs', Array.from({ length: 20_000 }, (_, i) => i), (g) => (named.push(g), `g${g}`), 3);
    expect(text).toBe('20000 GPUs: g0, g1, g2, …');
    expect(named).toEqual([0, 1, 2]);
  });
});
