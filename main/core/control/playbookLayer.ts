import type { Playbook } from '../../../shared/domain/control.js';
import type { GpuModel } from '../../../shared/domain/topology.js';
import type { Layer } from './arbiter.js';
import { describeAction, engagedActions, type PlaybookAction, type PlaybookState } from './playbooks.js';

/**
 * Playbook contributions: how the playbooks active on a row become per-GPU values of the arbiter's playbook layer.
 * Rules:
 *   - only engaged stages of active playbooks contribute, each with the reason "playbook <id> on row <row>, stage
 *     <n>: <action>";
 *   - a clock cap is `mhzPctOfMax` % of the model's max clock, a power cap `pctOfMaxLimit` % of its max limit, both
 *     rounded to whole MHz / W and never below the model's minimum clock / limit;
 *   - `priority: 'low'` skips high-priority GPUs; a brake covers every GPU of the row;
 *   - within the layer the LOWEST value wins per GPU and channel; the first brake engaged is credited;
 *   - a playbook is shown on the row while active, except a load-spike playbook, shown only while it acts on a GPU.
 * Writes only the playbook layer's GPUs [from, to) (the caller clears them first).
 */

/** Per GPU: model index and priority (1 = high). */
export interface FleetColumns {
  readonly models: readonly GpuModel[];
  readonly gpuModel: Int32Array;
  readonly priorities: Uint8Array;
}

/** A row's GPUs [from, to) and its id (for reasons). */
export interface RowSpan {
  readonly id: string;
  readonly from: number;
  readonly to: number;
}

/** The value a cap action asks of a GPU model (MHz for a clock cap, W for a power cap). */
export function playbookCapValue(action: Exclude<PlaybookAction, { kind: 'brake' }>, m: GpuModel): number {
  return action.kind === 'clockCap'
    ? Math.max(m.minClockMHz, Math.round((action.mhzPctOfMax / 100) * m.maxClockMHz))
    : Math.max(m.minLimitW, Math.round((action.pctOfMaxLimit / 100) * m.maxLimitW));
}

/** Draw every active playbook of a row into `layer`. Returns the ids of the playbooks to show on the row. */
export function drawPlaybooks(
  layer: Layer,
  fleet: FleetColumns,
  row: RowSpan,
  playbooks: readonly Playbook[],
  states: readonly PlaybookState[],
  why: (text: string) => number,
): string[] {
  const { from, to } = row;
  const prio = fleet.priorities;
  const gm = fleet.gpuModel;
  const shown: string[] = [];
  playbooks.forEach((pb, i) => {
    if (!states[i]!.active) return;
    let acting = false;
    for (const { stage, action } of engagedActions(pb, states[i]!)) {
      const w = why(`playbook ${pb.id} on row ${row.id}, stage ${stage + 1}: ${describeAction(action)}`);
      if (action.kind === 'brake') {
        acting = true;
        for (let g = from; g < to; g++) {
          if (layer.brake[g] === 0) {
            layer.brake[g] = 1;
            layer.brakeWhy[g] = w;
          }
        }
        continue;
      }
      const lowOnly = action.priority === 'low';
      const isLock = action.kind === 'clockCap';
      const valueOf = fleet.models.map((m) => playbookCapValue(action, m));
      const col = isLock ? layer.lockMHz : layer.limitW;
      const whyCol = isLock ? layer.lockWhy : layer.limitWhy;
      for (let g = from; g < to; g++) {
        if (lowOnly && prio[g] === 1) continue;
        acting = true;
        const v = valueOf[gm[g]!]!;
        if (col[g] === 0 || v < col[g]!) {
          col[g] = v;
          whyCol[g] = w;
        }
      }
    }
    if (acting || pb.trigger.kind !== 'loadSpike') shown.push(pb.id);
  });
  return shown;
}
