/**
 * The floor's "Workflow" colouring (issue 16 item 4): each rack in the colour of the declared workflow with the most
 * GPUs on it, racks with none grey; the legend names every workflow. Pure: no DOM.
 */
import type { WorkflowPlacement } from '../../shared/domain/workflowPlacement.js';
import { hex, MISSING_RGB, SCALES, type ColorScale, type Rgb } from './scales.js';

/** Categorical colours, free of the floor's alarm red and yellow (Tableau 10, its red and yellow left out). */
export const WORKFLOW_PALETTE: readonly Rgb[] = ['#4e79a7', '#f28e2b', '#76b7b2', '#b07aa1', '#59a14f', '#ff9da7', '#9c755f', '#86bcb6', '#a0cbe8', '#d4a6c8'].map(hex);

export interface WorkflowFloor {
  /** Per rack (topology index): the category (index into `names`) of its main workflow; NaN: none. */
  category: Float64Array;
  /** Per rack: the GPUs its workflows hold ("" where none). */
  label: string[];
  /** Per rack: its workflows and their GPUs, most first. */
  workflows: Array<ReadonlyArray<{ workflow: string; gpus: number }>>;
  scale: ColorScale;
}

/** The colouring for `racks` racks from a placement; `names`: the workflows in their declared order. */
export function workflowFloor(p: WorkflowPlacement | null, racks: number, names: readonly string[]): WorkflowFloor {
  const category = new Float64Array(racks).fill(NaN);
  const label = Array.from({ length: racks }, () => '');
  const workflows: WorkflowFloor['workflows'] = Array.from({ length: racks }, () => []);
  for (const r of p?.racks ?? []) {
    if (r.rack >= racks || r.workflows.length === 0) continue;
    category[r.rack] = names.indexOf(r.workflows[0]!.workflow);
    label[r.rack] = String(r.workflows.reduce((n, w) => n + w.gpus, 0));
    workflows[r.rack] = r.workflows;
  }
  const colour = (i: number) => WORKFLOW_PALETTE[i % WORKFLOW_PALETTE.length]!;
  // Steps: category i is flat colour i over [i − ½, i + ½).
  const stops = names.flatMap((_, i) => [
    { at: i - 0.5, rgb: colour(i) },
    { at: i + 0.5, rgb: colour(i) },
  ]);
  return {
    category,
    label,
    workflows,
    scale: { ...SCALES.workflow, max: Math.max(0, names.length - 1), stops, categories: [...names.map((n, i) => ({ label: n, rgb: colour(i) })), { label: 'none', rgb: MISSING_RGB }] },
  };
}

/** Tooltip lines of a rack in the workflow colouring. */
export function workflowTooltipLines(ws: ReadonlyArray<{ workflow: string; gpus: number }> | undefined): Array<[string, string]> {
  if (!ws || ws.length === 0) return [['Workflows', 'none']];
  return [['Workflows', ws.map((w) => `${w.workflow} ${w.gpus} GPU${w.gpus === 1 ? '' : 's'}`).join(', ')]];
}
