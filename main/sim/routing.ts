import { slackWeight } from '../core/slack.js';
import type { Rng } from './rng.js';

/**
 * How a service's load balancer picks the server of each request (the simulator stands in for it; on a real fleet
 * Headroom publishes the weights and the balancer routes):
 *  - 'affinity': the server the demand model dealt it (its own stream under production demand, round-robin under
 *    bursty): what a service does without a router. POLCA's baseline, and every IaaS workload (opaque VMs).
 *  - 'leastLoaded': power of two choices on backlog: the dealt server or one drawn uniformly, whichever has fewer
 *    requests queued or in flight.
 *  - 'slack' (TAPAS): the same two choices, the second drawn in proportion to the servers' thermal and power slack
 *    (core/slack.ts), and each side's cost = backlog / maxBatch + PENALTY_COST · penalty: load leaves a server as its
 *    GPUs near slowdown or its row nears its budget, and only as far as the others can take it.
 * Draws come from the router's own stream, so the requests (arrivals, sizes) are the same under every mode.
 */
export type RoutingMode = 'affinity' | 'leastLoaded' | 'slack';
export const ROUTING_MODES: readonly RoutingMode[] = ['affinity', 'leastLoaded', 'slack'];

/** A full penalty weighs as much as this many full decode batches of backlog. */
export const PENALTY_COST = 1;
/**
 * The weights follow the slack signal with this time constant (s): every router reading one-second-old slack and
 * moving all new requests at once herds — a row's load flips between its neighbours every tick. Published weights
 * change at the pace the rows' heat and power do.
 */
export const WEIGHT_TAU_S = 30;

export class Router {
  mode: RoutingMode = 'affinity';
  /** Per server of the service: its penalty 0…1, smoothed (observe(), each step under 'slack'). */
  readonly penalty: Float64Array;
  private readonly cumulative: Float64Array;
  private total = 0;

  constructor(
    servers: number,
    private readonly rng: Rng,
    private readonly maxBatch: number,
  ) {
    this.penalty = new Float64Array(servers);
    this.cumulative = new Float64Array(servers);
    this.reweigh();
  }

  /** Blend this step's penalties (`raw`, servers long) into the smoothed ones and rebuild the draw weights. */
  observe(raw: ArrayLike<number>, dtS: number): void {
    const a = 1 - Math.exp(-dtS / WEIGHT_TAU_S);
    for (let i = 0; i < this.penalty.length; i++) this.penalty[i]! += (raw[i]! - this.penalty[i]!) * a;
    this.reweigh();
  }

  /** Rebuild the draw weights from `penalty`. */
  reweigh(): void {
    let acc = 0;
    for (let i = 0; i < this.penalty.length; i++) {
      acc += slackWeight(this.penalty[i]!);
      this.cumulative[i] = acc;
    }
    this.total = acc;
  }

  /** The server for a request dealt to `own`; `backlog(i)` counts server i's requests queued or in flight. */
  pick(own: number, backlog: (i: number) => number): number {
    const n = this.penalty.length;
    if (this.mode === 'affinity' || n < 2) return own;
    let other: number;
    if (this.mode === 'leastLoaded') {
      other = Math.min(n - 1, Math.floor(this.rng() * n));
      return backlog(other) < backlog(own) ? other : own;
    }
    other = lowerBound(this.cumulative, this.rng() * this.total);
    if (other === own) return own;
    const costOther = backlog(other) / this.maxBatch + PENALTY_COST * this.penalty[other]!;
    const costOwn = backlog(own) / this.maxBatch + PENALTY_COST * this.penalty[own]!;
    return costOther < costOwn ? other : own;
  }
}

/** First index with xs[i] > x (xs ascending, x < its last element); the last index otherwise. */
function lowerBound(xs: Float64Array, x: number): number {
  let lo = 0;
  let hi = xs.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (xs[mid]! > x) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}
