/** Small helpers of the soak: a seeded PRNG (the simulator's mulberry32) and quantiles. */
export { createRng as rng } from '../main/sim/rng.js';

/** The q-quantile (0..1) of `xs` by nearest rank; NaN when empty. */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil(q * s.length) - 1))]!;
}
