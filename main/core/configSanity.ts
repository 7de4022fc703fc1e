import type { Topology } from '../../shared/domain/topology.js';

/**
 * Configuration sanity of a real fleet (pure; the fleet's SourceManager feeds it what each agent's hello reports):
 *
 * - **Safe caps over budget**: when the console goes away, every agent falls back to its safe cap (agent.ts). A row is
 *   protected by that fallback only if its GPUs at their safe caps, plus their servers' non-GPU power at full
 *   activity (idle + active), fit the row's budget. One problem per row where they do not. GPUs whose agent has not
 *   said hello are not counted (unknown); the text says how many.
 * - **Limits disagree with the inventory model**: a GPU's reported min / max / default power limit differs from its
 *   inventory model's by more than max(5 W, 2 %): the console's worst case, clamps and physics would be wrong (an
 *   H100 PCIe listed as SXM, a board with a lowered max limit). One problem per server, naming the GPUs and values.
 */
export interface ReportedGpu {
  minLimitW: number;
  maxLimitW: number;
  defaultLimitW: number;
  name: string;
  /** The agent's safe cap for this GPU (W). */
  safeCapW: number;
}

export type ConfigProblem =
  | { kind: 'safeCapsOverBudget'; row: number; fallbackKW: number; budgetKW: number; unknownGpus: number; text: string }
  | { kind: 'limitsDisagree'; server: number; gpus: number[]; text: string };

const LIMIT_FIELDS = [
  ['maxLimitW', 'max'],
  ['minLimitW', 'min'],
  ['defaultLimitW', 'default'],
] as const;

/** Whether a reported limit disagrees with the model's: more than max(5 W, 2 %) apart. */
export function limitDisagrees(reported: number, model: number): boolean {
  return Math.abs(reported - model) > Math.max(5, 0.02 * model);
}

/** Every problem of the configuration, rows first. `reported[g]` is null while GPU g's agent has not said hello. */
export function configProblems(t: Topology, reported: ReadonlyArray<ReportedGpu | null>): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  t.rows.forEach((row, r) => {
    let fallbackW = 0;
    let unknown = 0;
    for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) {
      const rack = t.racks[k]!;
      for (let s = rack.serverStart; s < rack.serverStart + rack.serverCount; s++) {
        const srv = t.servers[s]!;
        fallbackW += srv.idleW + srv.activeW;
        for (let g = srv.gpuStart; g < srv.gpuStart + srv.gpuCount; g++) {
          const rep = reported[g];
          if (rep) fallbackW += rep.safeCapW;
          else unknown++;
        }
      }
    }
    const fallbackKW = fallbackW / 1000;
    if (fallbackKW > row.budgetKW) {
      const more = unknown > 0 ? ` (${unknown} GPU${unknown === 1 ? '' : 's'} not counted: no agent hello yet)` : '';
      out.push({
        kind: 'safeCapsOverBudget',
        row: r,
        fallbackKW,
        budgetKW: row.budgetKW,
        unknownGpus: unknown,
        text:
          `Row ${row.id}: its agents' safe caps plus server power add up to ${fallbackKW.toFixed(1)} kW${more}, above its ${row.budgetKW.toFixed(1)} kW budget: ` +
          `if the console goes away, the fallback does not protect it. Lower the agents' --safe-cap-w / --safe-cap-pct.`,
      });
    }
  });
  t.servers.forEach((srv, s) => {
    const m = t.models[srv.model]!;
    const gpus: number[] = [];
    const what = new Set<string>();
    for (let g = srv.gpuStart; g < srv.gpuStart + srv.gpuCount; g++) {
      const rep = reported[g];
      if (!rep) continue;
      const bad = LIMIT_FIELDS.filter(([f]) => limitDisagrees(rep[f], m[f]));
      if (bad.length === 0) continue;
      gpus.push(g - srv.gpuStart);
      for (const [f, label] of bad) what.add(`${label} limit ${rep[f]} W (model ${m[f]} W)`);
    }
    if (gpus.length > 0) {
      const name = reported[srv.gpuStart + gpus[0]!]!.name;
      out.push({
        kind: 'limitsDisagree',
        server: s,
        gpus,
        text:
          `Server ${srv.id}: GPU${gpus.length === 1 ? '' : 's'} ${gpus.join(', ')} ("${name}") report ${[...what].join(', ')}; ` +
          `the inventory says ${m.id}. Fix the inventory's gpuModel, or the board's limits.`,
      });
    }
  });
  return out;
}
