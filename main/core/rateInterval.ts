/**
 * A rate from a count of rare events (brakes) over an exposure (row-hours), with its exact 95 % interval (Garwood):
 * the lower bound L solves P(X ≥ k | L) = 0.025 and the upper U solves P(X ≤ k | U) = 0.025 for a Poisson count X,
 * found by bisection on the Poisson CDF (k = 0: L = 0, U = −ln 0.025). Pure.
 */

/** P(X ≤ k) for X ~ Poisson(mu), summed in log space so large k and mu stay finite. */
function poissonCdf(k: number, mu: number): number {
  if (mu <= 0) return 1;
  let term = Math.exp(-mu);
  if (term === 0) {
    // exp underflows for large mu: sum the terms from their logarithms instead.
    let sum = 0;
    let logTerm = -mu;
    for (let i = 0; i <= k; i++) {
      if (i > 0) logTerm += Math.log(mu / i);
      sum += Math.exp(logTerm);
    }
    return Math.min(1, sum);
  }
  let sum = term;
  for (let i = 1; i <= k; i++) {
    term *= mu / i;
    sum += term;
  }
  return Math.min(1, sum);
}

/** The mu at which P(X ≤ k) = p (P falls as mu rises), by bisection. */
function solveMu(k: number, p: number): number {
  let lo = 0;
  let hi = Math.max(10, 3 * k + 20);
  for (let i = 0; i < 200; i++) {
    const mid = (lo + hi) / 2;
    if (poissonCdf(k, mid) > p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Events per `per` units of exposure, with the 95 % interval; null rates when there is no exposure. */
export function poissonRate(events: number, exposure: number, per = 1): { rate: number | null; lo: number | null; hi: number | null } {
  if (!(exposure > 0) || !(events >= 0)) return { rate: null, lo: null, hi: null };
  const k = Math.round(events);
  const lo = k === 0 ? 0 : solveMu(k - 1, 0.975);
  const hi = k === 0 ? -Math.log(0.025) : solveMu(k, 0.025);
  const f = per / exposure;
  return { rate: k * f, lo: lo * f, hi: hi * f };
}
