/**
 * Where the declared workflows run on the floor (issue 16 item 4; main/core/workflows/placement.ts places them).
 * Zod-free: the engine, the console's floor and the Workflows view read the same shapes.
 */

/** One instance of a workflow's task on one server: `gpus` GPUs from `gpuStart` (global GPU indices). */
export interface PlacedInstance {
  workflow: string;
  task: string;
  server: number;
  rack: number;
  row: number;
  gpuStart: number;
  gpus: number;
}

/** A rack that holds workflows: each with its GPUs there, and the rack's GPUs left free for others. */
export interface RackWorkflows {
  rack: number;
  workflows: Array<{ workflow: string; gpus: number }>;
  freeGpus: number;
}

/** One workflow's place: what its plan asks for, what found room, where, and what did not (never hidden). */
export interface WorkflowPlaced {
  workflow: string;
  gpus: number;
  placedGpus: number;
  unplacedGpus: number;
  unplacedInstances: number;
  /** Topology indices, ascending. */
  racks: number[];
  rows: number[];
}

export interface WorkflowPlacement {
  instances: PlacedInstance[];
  racks: RackWorkflows[];
  workflows: WorkflowPlaced[];
  /** The racks offered (those serving SaaS inference, or every rack where the site does not say) and their GPUs. */
  candidateRacks: number;
  capacityGpus: number;
  unplacedGpus: number;
}

/** "rows A, B, 12 racks, 384 GPUs" for a workflow's card (ids from the topology). Pure. */
export function describePlace(p: WorkflowPlaced, rowIds: readonly string[]): string {
  if (p.racks.length === 0) return p.gpus > 0 ? `not placed: ${p.gpus} GPUs find no room` : 'no GPUs';
  const ids = p.rows.map((r) => rowIds[r] ?? `#${r}`);
  const rows = ids.length === 1 ? `row ${ids[0]}` : `rows ${ids.join(', ')}`;
  const left = p.unplacedGpus > 0 ? ` (${p.unplacedGpus} GPUs find no room)` : '';
  return `${rows}, ${p.racks.length} rack${p.racks.length === 1 ? '' : 's'}, ${p.placedGpus} GPUs${left}`;
}
