import type { Topology } from '../../../shared/domain/topology.js';
import type { PlacedInstance, RackWorkflows, WorkflowPlaced, WorkflowPlacement } from '../../../shared/domain/workflowPlacement.js';

/**
 * Which racks run which workflow (issue 16 item 4): each declared workflow's planned instances (per task: instances of
 * `tp` GPUs) on the site's racks that serve SaaS inference. Pure and deterministic:
 *  - an instance's GPUs are on one server (tensor parallelism does not cross servers), contiguous from the server's
 *    first free GPU;
 *  - workflows go largest first (GPUs asked; ties by id), each instance largest degree first (less fragmentation);
 *  - a workflow goes whole into the first row (in topology order) whose free servers can hold all its instances,
 *    packed from that row's first free server — so a row holds whole workflows where it can;
 *  - a workflow no row can hold whole spills across rows in order, each instance on the first server with room;
 *  - an instance that finds no server with room is counted as unplaced (reported, never hidden).
 * GPUs are counted, not typed: the site's GPUs stand for the plan's GPU type (the default site is all H100).
 */

/** What one workflow's plan asks for: per task, `instances` of `tp` GPUs each. */
export interface WorkflowDemand {
  workflow: string;
  tasks: ReadonlyArray<{ task: string; tp: number; instances: number }>;
}

interface Slot {
  server: number;
  rack: number;
  row: number;
  gpuStart: number;
  gpus: number;
  /** GPUs used so far on the server. */
  used: number;
}

export function placeWorkflows(t: Topology, candidateRacks: readonly number[], demands: readonly WorkflowDemand[]): WorkflowPlacement {
  const racks = [...new Set(candidateRacks)].filter((r) => r >= 0 && r < t.racks.length).sort((a, b) => a - b);
  const slots: Slot[] = [];
  for (const r of racks) {
    const rack = t.racks[r]!;
    for (let s = rack.serverStart; s < rack.serverStart + rack.serverCount; s++) {
      const sv = t.servers[s]!;
      slots.push({ server: s, rack: r, row: rack.row, gpuStart: sv.gpuStart, gpus: sv.gpuCount, used: 0 });
    }
  }
  const byRow = new Map<number, Slot[]>();
  for (const s of slots) byRow.set(s.row, [...(byRow.get(s.row) ?? []), s]);
  const instances: PlacedInstance[] = [];
  const total = (d: WorkflowDemand) => d.tasks.reduce((n, k) => n + Math.max(0, k.instances) * Math.max(1, k.tp), 0);
  const order = [...demands].sort((a, b) => total(b) - total(a) || (a.workflow < b.workflow ? -1 : a.workflow > b.workflow ? 1 : 0));
  const unplaced = new Map<string, { gpus: number; instances: number }>();

  for (const d of order) {
    // The workflow's instances, largest degree first (then task order).
    const want = d.tasks.flatMap((k) => Array.from({ length: Math.max(0, k.instances) }, () => ({ task: k.task, tp: Math.max(1, k.tp) }))).sort((a, b) => b.tp - a.tp);
    // First-fit of the instances on a set of servers, on a copy of what is used: null if one does not fit.
    const fit = (pool: readonly Slot[], all: boolean): Array<{ slot: Slot; task: string; tp: number } | null> | null => {
      const used = new Map(pool.map((s) => [s, s.used]));
      const out: Array<{ slot: Slot; task: string; tp: number } | null> = [];
      for (const i of want) {
        const slot = pool.find((s) => s.gpus - used.get(s)! >= i.tp) ?? null;
        if (!slot && all) return null;
        if (slot) used.set(slot, used.get(slot)! + i.tp);
        out.push(slot ? { slot, task: i.task, tp: i.tp } : null);
      }
      return out;
    };
    let taken = null as ReturnType<typeof fit>;
    for (const pool of byRow.values()) if ((taken = fit(pool, true))) break;
    taken ??= fit(slots, false)!;
    const miss = { gpus: 0, instances: 0 };
    taken.forEach((x, k) => {
      if (!x) {
        miss.gpus += want[k]!.tp;
        miss.instances++;
        return;
      }
      instances.push({ workflow: d.workflow, task: x.task, server: x.slot.server, rack: x.slot.rack, row: x.slot.row, gpuStart: x.slot.gpuStart + x.slot.used, gpus: x.tp });
      x.slot.used += x.tp;
    });
    unplaced.set(d.workflow, miss);
  }

  const rackMap = new Map<number, Map<string, number>>();
  for (const i of instances) {
    const m = rackMap.get(i.rack) ?? new Map<string, number>();
    m.set(i.workflow, (m.get(i.workflow) ?? 0) + i.gpus);
    rackMap.set(i.rack, m);
  }
  const rackGpus = (r: number) => slots.filter((s) => s.rack === r).reduce((n, s) => n + s.gpus, 0);
  const rackOut: RackWorkflows[] = [...rackMap.entries()]
    .sort((a, b) => a[0] - b[0])
    .map(([rack, m]) => {
      const workflows = [...m.entries()].map(([workflow, gpus]) => ({ workflow, gpus })).sort((a, b) => b.gpus - a.gpus || (a.workflow < b.workflow ? -1 : 1));
      return { rack, workflows, freeGpus: rackGpus(rack) - workflows.reduce((n, w) => n + w.gpus, 0) };
    });
  const workflows: WorkflowPlaced[] = demands.map((d) => {
    const mine = instances.filter((i) => i.workflow === d.workflow);
    const miss = unplaced.get(d.workflow) ?? { gpus: 0, instances: 0 };
    return {
      workflow: d.workflow,
      gpus: total(d),
      placedGpus: mine.reduce((n, i) => n + i.gpus, 0),
      unplacedGpus: miss.gpus,
      unplacedInstances: miss.instances,
      racks: [...new Set(mine.map((i) => i.rack))].sort((a, b) => a - b),
      rows: [...new Set(mine.map((i) => i.row))].sort((a, b) => a - b),
    };
  });
  return {
    instances,
    racks: rackOut,
    workflows,
    candidateRacks: racks.length,
    capacityGpus: slots.reduce((n, s) => n + s.gpus, 0),
    unplacedGpus: workflows.reduce((n, w) => n + w.unplacedGpus, 0),
  };
}

/** A workflow's GPUs per row (topology row index → GPUs placed there). */
export function gpusByRow(p: WorkflowPlacement, workflow: string): Map<number, number> {
  const m = new Map<number, number>();
  for (const i of p.instances) if (i.workflow === workflow) m.set(i.row, (m.get(i.row) ?? 0) + i.gpus);
  return m;
}
