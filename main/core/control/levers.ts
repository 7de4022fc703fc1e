import { RECONFIG_LADDER } from '../../../shared/domain/reconfig.js';
import { INSTANCE_START_MIN } from '../workflows/replan.js';

/**
 * The levers the control plane can pull, and the one rule for which acts first. Pure data and functions: the row
 * controllers (rows.ts: POLCA, Headroom), the playbooks and later work (grid smoothing, TAPAS placement and routing,
 * workflow reconfiguration) describe what they can do as levers; the arbiter (arbiter.ts) merges per-GPU setpoints.
 *
 * A lever has a scope (what it acts on), an effect on power (it can only lower it, or it holds a floor), the time it
 * takes to land on its path, a cost (the service it takes away, per point of row power it removes; a unitless rank,
 * documented per lever below) and a merge rule for when several sources pull it at once. The cheapest is Murakkab's:
 * a row's declared workflows re-planned to the planner's next-best plan (core/workflows/replan.ts) keep their SLO, so
 * it costs almost nothing — but new instances take minutes to start, so it only acts first with time to spare; within
 * a pressure's minutes the caps (and TAPAS's reloads) still come first, and the re-plan lets them go once it lands.
 *
 * Merge rules (arbiter.ts applies the per-GPU ones):
 *   - clock lock, power limit: the LOWEST wins (any source may make a GPU safer, none may make it less safe);
 *   - power brake: engaged if ANY source asks, and it overrides every floor;
 *   - power floor (minimum draw, grid smoothing): the HIGHEST floor wins, but never above the GPU's effective limit
 *     or lock-implied power: a cap always beats a floor (the breaker before the grid);
 *   - routing weight, reconfiguration (per service): the most conservative request wins — the lowest weight toward a
 *     row, the lowest-power configuration.
 *
 * Which lever acts first (`chooseLever`), for a row that needs `needPct` points of its budget removed within
 * `withinS` seconds (the time before the rise it must be early for crosses the brake level):
 *   1. only levers that remove enough and land in time count;
 *   2. among them the cheapest; a tie goes to the one that lands first, then to the catalogue order;
 *   3. if none lands in time, the fastest lever that removes enough (the brake, 5 s, when nothing else can);
 *   4. if none removes enough, the one that removes the most (and the caller escalates: Headroom's deep lock, then
 *      the shed recommendation).
 * Precedence is therefore by cost within what is safe in time — never by who asks.
 */

export type LeverScope = 'gpu' | 'row' | 'service';
export type LeverMerge = 'lowest' | 'any' | 'highest-below-cap' | 'most-conservative';

export interface Lever {
  id: string;
  scope: LeverScope;
  /** Time to land on its path (s). */
  latencyS: number;
  /** Points of the row's budget it can remove at most (a floor removes none: it holds power up). */
  maxRemovePct: number;
  /** Service it takes away per point of power removed: 0 free … 10 the row stops working. A rank, not a measure. */
  cost: number;
  merge: LeverMerge;
  /** What it is, and where its numbers come from. */
  note: string;
}

/**
 * The catalogue for a DGX-class inference row, with the actuation path's latencies. Costs: re-planning the row's
 * workflows keeps every SLO tier (0.3: the cheapest; it frees what the plans in force hold above the load now — idle
 * instances sized for the forecast's P90 and margin — ~15 % of their power on the default workflows, and lands when
 * the new plan's instances have started, INSTANCE_START_MIN); a low-priority clock lock
 * slows prefill of work nobody waits on (1), the deep step more (2), a high-priority lock slows interactive work (4),
 * routing away moves load to a row with room (1.5, free of slowdown but bounded by that room), FP8 costs 0.5 % quality
 * and no speed (0.8: the cheapest, but a reload takes a minute), the smaller model 10 % quality (3.5), the brake drops
 * clocks to ~288 MHz (10).
 * Reductions are the model's (docs/MODEL.md): POLCA's locks cut up to 20 % of peak power (../shared/domain/PAPERS.md
 * §1), the brake ~75 % of GPU power.
 */
export function leverCatalogue(p: { capLatencyS: number; brakeLatencyS: number; routeLatencyS?: number; reconfigureLatencyS?: number; fp8LatencyS?: number; replanLatencyS?: number }): Lever[] {
  return [
    { id: 'replan-workflows', scope: 'service', latencyS: p.replanLatencyS ?? INSTANCE_START_MIN * 60, maxRemovePct: 15, cost: 0.3, merge: 'most-conservative', note: "the row's workflows to the planner's next-best plan (Murakkab; same SLO, core/workflows/replan.ts)" },
    { id: 'reconfigure-fp8', scope: 'service', latencyS: p.fp8LatencyS ?? RECONFIG_LADDER[1]!.latencyS, maxRemovePct: 6, cost: 0.8, merge: 'most-conservative', note: 'SaaS instances to FP8 (TAPAS; quality −0.5 %, no slowdown, shared/domain/reconfig.ts)' },
    { id: 'lock-low', scope: 'gpu', latencyS: p.capLatencyS, maxRemovePct: 8, cost: 1, merge: 'lowest', note: 'low-priority GPUs to POLCA T1/T2 clocks' },
    { id: 'route-away', scope: 'service', latencyS: p.routeLatencyS ?? 10, maxRemovePct: 10, cost: 1.5, merge: 'most-conservative', note: 'routing weight away from the row (TAPAS), bounded by the room elsewhere' },
    { id: 'lock-low-deep', scope: 'gpu', latencyS: p.capLatencyS, maxRemovePct: 12, cost: 2, merge: 'lowest', note: "low-priority GPUs to Headroom's deep clock" },
    { id: 'reconfigure-model', scope: 'service', latencyS: p.reconfigureLatencyS ?? RECONFIG_LADDER[2]!.latencyS, maxRemovePct: 25, cost: 3.5, merge: 'most-conservative', note: 'SaaS instances to the smaller model variant (TAPAS; quality −10 %, shared/domain/reconfig.ts)' },
    { id: 'lock-high', scope: 'gpu', latencyS: p.capLatencyS, maxRemovePct: 18, cost: 4, merge: 'lowest', note: 'high-priority GPUs to POLCA T2 clocks as well' },
    { id: 'brake', scope: 'row', latencyS: p.brakeLatencyS, maxRemovePct: 60, cost: 10, merge: 'any', note: 'power brake on every GPU of the row' },
    { id: 'floor', scope: 'gpu', latencyS: p.capLatencyS, maxRemovePct: 0, cost: 0, merge: 'highest-below-cap', note: 'minimum draw held for grid smoothing (never above a cap)' },
  ];
}

/** The lever to pull first (see the rule in the module comment); null when there is no lever that removes power. */
export function chooseLever(levers: readonly Lever[], needPct: number, withinS: number): Lever | null {
  const reducing = levers.filter((l) => l.maxRemovePct > 0);
  if (reducing.length === 0) return null;
  const order = (a: Lever, b: Lever) => a.cost - b.cost || a.latencyS - b.latencyS || reducing.indexOf(a) - reducing.indexOf(b);
  const enough = reducing.filter((l) => l.maxRemovePct >= needPct);
  const inTime = enough.filter((l) => l.latencyS <= withinS);
  if (inTime.length) return [...inTime].sort(order)[0]!;
  if (enough.length) return [...enough].sort((a, b) => a.latencyS - b.latencyS || order(a, b))[0]!;
  return [...reducing].sort((a, b) => b.maxRemovePct - a.maxRemovePct || order(a, b))[0]!;
}

/** A GPU's floor after the merge rule: the highest asked, never above its cap (0 = no cap), none under a brake. */
export function mergedFloorW(floors: readonly number[], capW: number, braked: boolean): number {
  if (braked) return 0;
  let f = 0;
  for (const x of floors) if (x > f && x < Infinity) f = x;
  return capW > 0 ? Math.min(f, capW) : f;
}
