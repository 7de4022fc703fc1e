import { describe, expect, it } from 'vitest';
import { feasibility, gpuFloorW, judgeRow, rowFloorsKW, unreachableRows, unreachableText } from '../../../main/core/feasibility.js';
import { observe } from '../../../main/core/observe.js';
import { resolveTopology } from '../../../main/core/topology.js';
import { DEFAULT_ALERT_RULES } from '../../../shared/domain/alerts.js';
import type { GpuModel, Topology } from '../../../shared/domain/topology.js';
import { A100, defaultTopology, H100 } from '../../helpers.js';

/** The floor by hand: a busy GPU at min(min limit, idle + (max − idle) × (minClock/maxClock)^γ). */
const byHand = (m: GpuModel) => Math.min(m.minLimitW, m.idleW + (m.maxLimitW - m.idleW) * Math.pow(m.minClockMHz / m.maxClockMHz, m.clockPowerExponent));

describe('feasibility: the lowest power a row can be held to', () => {
  it('a GPU: the least of its minimum limit and its draw fully busy at its minimum clock', () => {
    expect(gpuFloorW(H100)).toBeCloseTo(byHand(H100), 9);
    expect(gpuFloorW(H100)).toBeLessThan(H100.minLimitW); // H100: locking at 210 MHz draws ~104 W < 200 W
    // A model whose minimum clock still draws more than its minimum limit: the limit is the floor.
    const hot = { ...H100, minClockMHz: 1900 };
    expect(gpuFloorW(hot)).toBe(hot.minLimitW);
  });

  it('a row: every server at full non-GPU activity plus its GPUs at their floor', () => {
    const t = defaultTopology();
    const server = 1500 + 2000 + 8 * byHand(H100);
    expect(rowFloorsKW(t)[0]).toBeCloseTo((40 * server) / 1000, 9);
    // The default site is feasible everywhere: 173 kW against 313.8–408 kW.
    expect(feasibility(t).every((f) => f.reachable && f.shedServers === 0)).toBe(true);
    expect(unreachableRows(t, t.rows.map((r) => r.budgetKW))).toEqual([]);
  });

  it('a budget below the floor: unreachable, with the fewest servers to shed; at the floor: reachable', () => {
    const t = defaultTopology();
    const server = (1500 + 2000 + 8 * byHand(H100)) / 1000;
    const floor = 40 * server;
    expect(judgeRow(t, 2, floor)).toMatchObject({ id: 'C', reachable: true, shedServers: 0 });
    expect(judgeRow(t, 2, floor - 0.01)).toMatchObject({ reachable: false, shedServers: 1, servers: 40 });
    expect(judgeRow(t, 2, floor - server)).toMatchObject({ reachable: false, shedServers: 1 });
    expect(judgeRow(t, 2, floor - server - 0.01)).toMatchObject({ shedServers: 2 });
    expect(judgeRow(t, 2, 163.2)).toMatchObject({ shedServers: Math.ceil((floor - 163.2) / server), budgetKW: 163.2 });
    expect(judgeRow(t, 2, 0)).toMatchObject({ shedServers: 40 });
    expect(judgeRow(t, 2, -5)).toMatchObject({ shedServers: 40 });
    const budgets = [408, 408, 100, 313.8];
    expect(unreachableRows(t, budgets).map((f) => [f.id, f.shedServers])).toEqual([['C', Math.ceil((floor - 100) / server)]]);
  });

  it('sheds the hungriest servers first', () => {
    // One row, three servers: 1 GPU each; non-GPU power 10 kW, 1 kW, 1 kW.
    const m = A100;
    const g = gpuFloorW(m);
    const t: Topology = {
      site: { id: 's', name: 'S' },
      models: [m],
      rows: [{ id: 'R', budgetKW: 1, coolingKW: 1, supplyC: 22, rackStart: 0, rackCount: 1 }],
      racks: [{ id: 'R01', row: 0, budgetKW: 1, serverStart: 0, serverCount: 3 }],
      servers: [
        { id: 's1', rack: 0, gpuStart: 0, gpuCount: 1, model: 0, idleW: 1000, activeW: 0 },
        { id: 's2', rack: 0, gpuStart: 1, gpuCount: 1, model: 0, idleW: 10_000, activeW: 0 },
        { id: 's3', rack: 0, gpuStart: 2, gpuCount: 1, model: 0, idleW: 1000, activeW: 0 },
      ],
      gpuCount: 3,
    };
    const floor = (12_000 + 3 * g) / 1000;
    expect(judgeRow(t, 0, floor - 1)).toMatchObject({ shedServers: 1 }); // s2 alone frees 10 kW
    expect(judgeRow(t, 0, (2000 + 2 * g) / 1000 - 0.001)).toMatchObject({ shedServers: 2 });
  });

  it('a resolved topology file refuses nothing by itself (the loader does): a tiny budget just judges unreachable', () => {
    const t = resolveTopology({
      site: { id: 'lab', name: 'Lab' },
      gpuModels: [],
      rows: [{ id: 'L', budgetKW: 20, coolingKW: 60, supplyC: 22, racks: 2, serversPerRack: 4, gpusPerServer: 8, gpuModel: 'A100-SXM', serverIdleW: 1200, serverActiveW: 1500 }],
    });
    const [f] = feasibility(t);
    expect(f).toMatchObject({ id: 'L', reachable: false, budgetKW: 20, servers: 8 });
    expect(f!.floorKW).toBeCloseTo((8 * (2700 + 8 * byHand(A100))) / 1000, 9);
    expect(unreachableText(f!)).toBe(
      `Row L: budget 20 kW is unreachable, below its floor of ${Number(f!.floorKW.toFixed(2))} kW (non-GPU server power at full activity + every GPU busy at its minimum cap); shed ${f!.shedServers} of its 8 servers to fit`,
    );
  });
});

describe('the budgetUnreachable alert rule', () => {
  const t = defaultTopology();
  const state = (budgetC: number) => ({
    rowW: new Float64Array(4),
    rowBudgetKW: Float64Array.from(t.rows, (r, i) => (i === 2 ? budgetC : r.budgetKW)),
    tempC: new Float64Array(t.gpuCount).fill(40),
    gpuModel: new Int32Array(t.gpuCount),
    sources: [],
  });

  it('is a default rule, critical, at once', () => {
    expect(DEFAULT_ALERT_RULES.find((r) => r.kind === 'budgetUnreachable')).toEqual({ id: 'budgetUnreachable', kind: 'budgetUnreachable', severity: 'critical', forS: 0, keepFiringForS: 0 });
  });

  it('observes each row whose budget in force is below its floor, with the servers to shed', () => {
    const rule = DEFAULT_ALERT_RULES.filter((r) => r.kind === 'budgetUnreachable');
    expect(observe(t, rule, state(408))).toEqual([]);
    const [o, ...rest] = observe(t, rule, state(100));
    expect(rest).toEqual([]);
    const f = judgeRow(t, 2, 100);
    expect(o).toMatchObject({ subject: { kind: 'row', id: 'C' }, row: 'C', value: f.shedServers, unit: 'servers', summary: unreachableText(f) });
    expect(o!.summary).toContain(`shed ${f.shedServers} of its 40 servers`);
  });
});
