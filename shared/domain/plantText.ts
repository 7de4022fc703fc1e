import type { Contingency, PlantDeviceKind } from './plant.js';

/**
 * The plant's words, the same on every face (CLI, alerts, the Plant view). Free of zod, so the renderer can import it
 * without building schemas (the console's CSP forbids the eval zod would probe for).
 */

/** What a deadline means per kind of device: a breaker trips, a UPS goes to bypass, cooling runs out. */
const DEADLINE: Partial<Record<PlantDeviceKind, string>> = { ups: 'goes to bypass', cdu: 'its GPUs reach slowdown', air: 'its inlet passes 32 °C' };

/** One overload in words, the same on every face: "BW-D-B at 121 % trips in 42 s", "CDU-G1 at 160 %: its GPUs reach slowdown in 100 s". */
export function overloadText(o: Contingency['overloads'][number]): string {
  const load = o.pct === null ? `${o.device} with nothing left` : `${o.device} at ${o.pct} %`;
  // Cooling's deadline is its GPUs' or its room's, not the device's own: set off by a colon.
  const sep = o.pct === null || o.kind === 'cdu' || o.kind === 'air' ? ':' : '';
  return o.secondsToTrip === null ? load : `${load}${sep} ${DEADLINE[o.kind] ?? 'trips'} in ${o.secondsToTrip} s`;
}
