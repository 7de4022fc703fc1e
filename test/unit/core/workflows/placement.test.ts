import { describe, expect, it } from 'vitest';
import { gpusByRow, placeWorkflows, type WorkflowDemand } from '../../../../main/core/workflows/placement.js';
import type { Topology } from '../../../../shared/domain/topology.js';
import { describePlace, type WorkflowPlacement } from '../../../../shared/domain/workflowPlacement.js';

/** A hand-made site: `rows` rows of `racks` racks of `servers` servers of `gpus` GPUs. */
function site(rows: number, racks: number, servers: number, gpus: number): Topology {
  const t: Topology = { site: { id: 't', name: 't' }, models: [], rows: [], racks: [], servers: [], gpuCount: 0 };
  for (let r = 0; r < rows; r++) {
    t.rows.push({ id: String.fromCharCode(65 + r), budgetKW: 100, coolingKW: 100, supplyC: 20, rackStart: t.racks.length, rackCount: racks });
    for (let k = 0; k < racks; k++) {
      t.racks.push({ id: `${String.fromCharCode(65 + r)}${k + 1}`, row: r, budgetKW: 10, serverStart: t.servers.length, serverCount: servers });
      for (let s = 0; s < servers; s++) {
        t.servers.push({ id: `s${t.servers.length}`, rack: t.racks.length - 1, gpuStart: t.gpuCount, gpuCount: gpus, model: 0, idleW: 0, activeW: 0 });
        t.gpuCount += gpus;
      }
    }
  }
  return t;
}

/** Every guarantee of a placement, as problems found (empty: sound). */
function problems(t: Topology, candidates: readonly number[], demands: readonly WorkflowDemand[], p: WorkflowPlacement): string[] {
  const out: string[] = [];
  const owner = new Map<number, string>();
  for (const i of p.instances) {
    const sv = t.servers[i.server]!;
    if (!candidates.includes(sv.rack) || i.rack !== sv.rack || i.row !== t.racks[sv.rack]!.row) out.push(`${i.workflow}: instance on a rack not offered or mislabelled`);
    if (i.gpuStart < sv.gpuStart || i.gpuStart + i.gpus > sv.gpuStart + sv.gpuCount) out.push(`${i.workflow}: instance crosses its server`);
    for (let g = i.gpuStart; g < i.gpuStart + i.gpus; g++) {
      if (owner.has(g)) out.push(`GPU ${g} double-booked (${owner.get(g)} and ${i.workflow})`);
      owner.set(g, i.workflow);
    }
  }
  for (const r of p.racks) {
    const rack = t.racks[r.rack]!;
    let cap = 0;
    for (let s = rack.serverStart; s < rack.serverStart + rack.serverCount; s++) cap += t.servers[s]!.gpuCount;
    const used = r.workflows.reduce((n, w) => n + w.gpus, 0);
    if (used > cap || used + r.freeGpus !== cap) out.push(`rack ${rack.id} over-filled or miscounted: ${used} of ${cap}, ${r.freeGpus} free`);
    const fromInstances = p.instances.filter((i) => i.rack === r.rack).reduce((n, i) => n + i.gpus, 0);
    if (fromInstances !== used) out.push(`rack ${rack.id}: ${used} GPUs listed, ${fromInstances} placed`);
  }
  for (const d of demands) {
    const w = p.workflows.find((x) => x.workflow === d.workflow)!;
    const asked = d.tasks.reduce((n, k) => n + k.instances * k.tp, 0);
    if (w.gpus !== asked || w.placedGpus + w.unplacedGpus !== asked) out.push(`${d.workflow}: ${asked} asked, ${w.placedGpus} placed + ${w.unplacedGpus} unplaced`);
  }
  return out;
}

const demand = (workflow: string, ...tasks: Array<[string, number, number]>): WorkflowDemand => ({ workflow, tasks: tasks.map(([task, tp, instances]) => ({ task, tp, instances })) });

describe('placing workflows on the racks that serve SaaS inference', () => {
  // 3 rows × 2 racks × 2 servers × 8 GPUs: 32 GPUs a row.
  const t = site(3, 2, 2, 8);
  const all = [0, 1, 2, 3, 4, 5];

  it('packs each workflow whole into the first row with room, contiguously, largest first', () => {
    const ds = [demand('small', ['a', 1, 4]), demand('big', ['x', 4, 5], ['y', 1, 4])];
    const p = placeWorkflows(t, all, ds);
    expect(problems(t, all, ds, p)).toEqual([]);
    // big (24 GPUs) goes first, whole in row A; small (4) fits in row A's last 8 GPUs.
    expect(p.workflows.find((w) => w.workflow === 'big')).toMatchObject({ gpus: 24, placedGpus: 24, unplacedGpus: 0, rows: [0], racks: [0, 1] });
    expect(p.workflows.find((w) => w.workflow === 'small')).toMatchObject({ gpus: 4, placedGpus: 4, rows: [0], racks: [1] });
    // Contiguous from GPU 0: big's 4-GPU instances fill servers 0, 1, 2 (two each, then one), its 1-GPU ones the rest.
    expect(p.instances.filter((i) => i.workflow === 'big').map((i) => i.gpuStart)).toEqual([0, 4, 8, 12, 16, 20, 21, 22, 23]);
    expect(p.racks).toEqual([
      { rack: 0, workflows: [{ workflow: 'big', gpus: 16 }], freeGpus: 0 },
      { rack: 1, workflows: [{ workflow: 'big', gpus: 8 }, { workflow: 'small', gpus: 4 }], freeGpus: 4 },
    ]);
    expect(gpusByRow(p, 'big')).toEqual(new Map([[0, 24]]));
    expect(describePlace(p.workflows[1]!, ['A', 'B', 'C'])).toBe('row A, 2 racks, 24 GPUs');
  });

  it('a workflow that no row holds whole spills across rows; what finds no room is reported, not hidden', () => {
    const ds = [demand('huge', ['x', 8, 5]), demand('late', ['y', 8, 2])];
    const p = placeWorkflows(t, all, ds);
    expect(problems(t, all, ds, p)).toEqual([]);
    // huge (40 GPUs) > a row (32): row A's 4 servers, then row B's first.
    expect(p.workflows[0]).toMatchObject({ placedGpus: 40, unplacedGpus: 0, rows: [0, 1] });
    // late (16) fits whole in row C (row B has 24 free but it goes row by row: B first).
    expect(p.workflows[1]).toMatchObject({ placedGpus: 16, rows: [1] });
    const over = [demand('huge', ['x', 8, 5]), demand('more', ['y', 8, 3])];
    const q = placeWorkflows(site(1, 2, 2, 8), [0, 1], over);
    expect(problems(site(1, 2, 2, 8), [0, 1], over, q)).toEqual([]);
    // 64 GPUs asked of 32: huge places 4 of 5 instances, more none.
    expect(q.workflows.map((w) => [w.placedGpus, w.unplacedGpus, w.unplacedInstances])).toEqual([
      [32, 8, 1],
      [0, 24, 3],
    ]);
    expect(q.unplacedGpus).toBe(32);
    expect(describePlace(q.workflows[1]!, ['A'])).toBe('not placed: 24 GPUs find no room');
  });

  it('only the racks offered are used; an instance never crosses a server; deterministic', () => {
    const ds = [demand('w', ['x', 4, 3], ['y', 2, 2])];
    const offered = [3, 5];
    const p = placeWorkflows(t, offered, ds);
    expect(problems(t, offered, ds, p)).toEqual([]);
    expect(p.workflows[0]!.racks).toEqual([3]);
    expect(p.candidateRacks).toBe(2);
    expect(p.capacityGpus).toBe(32);
    expect(placeWorkflows(t, [5, 3, 3], ds)).toEqual(p);
    // Servers of 6 GPUs: a 4-GPU instance leaves 2 that only a 2-GPU one can take.
    const odd = site(1, 1, 2, 6);
    const q = placeWorkflows(odd, [0], [demand('w', ['x', 4, 2], ['y', 2, 3])]);
    expect(problems(odd, [0], [demand('w', ['x', 4, 2], ['y', 2, 3])], q)).toEqual([]);
    expect(q.workflows[0]).toMatchObject({ placedGpus: 12, unplacedGpus: 2, unplacedInstances: 1 });
  });

  it('planted faults: the checker finds a double-booked GPU, an over-filled rack and a hidden shortfall', () => {
    const ds = [demand('a', ['x', 4, 2]), demand('b', ['y', 4, 2])];
    const p = placeWorkflows(t, all, ds);
    expect(problems(t, all, ds, p)).toEqual([]);
    const doubled: WorkflowPlacement = { ...p, instances: p.instances.map((i, k) => (k === 1 ? { ...i, gpuStart: p.instances[0]!.gpuStart } : i)) };
    expect(problems(t, all, ds, doubled).join('\n')).toMatch(/double-booked/);
    const overfilled: WorkflowPlacement = { ...p, racks: p.racks.map((r, k) => (k === 0 ? { ...r, workflows: [...r.workflows, { workflow: 'ghost', gpus: 40 }] } : r)) };
    expect(problems(t, all, ds, overfilled).join('\n')).toMatch(/over-filled/);
    const hidden: WorkflowPlacement = { ...p, workflows: p.workflows.map((w) => ({ ...w, placedGpus: w.placedGpus - 4 })) };
    expect(problems(t, all, ds, hidden).join('\n')).toMatch(/asked/);
  });
});
