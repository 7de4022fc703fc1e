import type { Topology } from '../../shared/domain/topology.js';
import type { RoutingWeights } from '../../shared/domain/placement.js';
import { serverPenalties, slackWeight } from './slack.js';

/**
 * The routing weights Headroom publishes for a fleet's load balancers (TAPAS's routing on a real fleet, where Headroom
 * is not in the request path): per server, the slack penalty of its place now (core/slack.ts: hottest GPU against
 * slowdown, rack inlet, row power against the budget in force) and the weight 1 − penalty (≥ 0.02) a balancer can use
 * as it is or as one choice of two. Pure; the layout is built once per topology.
 */
export interface ServerLayout {
  gpuStart: Int32Array;
  gpuEnd: Int32Array;
  rack: Int32Array;
  row: Int32Array;
  slowdownC: Float64Array;
}

export function serverLayout(t: Topology): ServerLayout {
  return {
    gpuStart: Int32Array.from(t.servers, (s) => s.gpuStart),
    gpuEnd: Int32Array.from(t.servers, (s) => s.gpuStart + s.gpuCount),
    rack: Int32Array.from(t.servers, (s) => s.rack),
    row: Int32Array.from(t.servers, (s) => t.racks[s.rack]!.row),
    slowdownC: Float64Array.from(t.servers, (s) => t.models[s.model]!.slowdownC),
  };
}

export function routingWeights(
  t: Topology,
  layout: ServerLayout,
  live: { tMs: number; tempC: ArrayLike<number>; rackInletC: ArrayLike<number>; rowW: ArrayLike<number>; rowBudgetKW: ArrayLike<number> },
): RoutingWeights {
  const penalty = new Float64Array(t.servers.length);
  serverPenalties(layout, live.tempC, live.rackInletC, live.rowW, live.rowBudgetKW, penalty);
  const r3 = (x: number) => Math.round(x * 1000) / 1000;
  return {
    tMs: live.tMs,
    servers: t.servers.map((s, i) => ({ id: s.id, rack: t.racks[s.rack]!.id, row: t.rows[layout.row[i]!]!.id, penalty: r3(penalty[i]!), weight: r3(slackWeight(penalty[i]!)) })),
  };
}
