import type { ScenarioFile } from '../../shared/domain/scenario.js';

/** Rack ids from..to (1-based, inclusive) of a row: racks('A', 6, 10) → A06 … A10. */
const racks = (row: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${row}${String(from + i).padStart(2, '0')}`);

/**
 * The embedded "tapas" scenario (`--scenario tapas`): the default site (rows A–D, 40 H100 servers a row, row D 30 %
 * oversubscribed) with mixed SaaS and IaaS load, as TAPAS's evaluation hall (arXiv 2501.02600, docs/SCENARIOS.md):
 *  - row A: customers' VMs (IaaS, opaque: a training-like job at TDP) on racks A01–A05, and the high-priority chat
 *    service (SaaS) on A06–A10; chat also runs on all of row B;
 *  - rows C and D: the low-priority code service (SaaS);
 *  - the row-A cooling derates by 35 % for 20 minutes from 600 s; code's load rises 40 % for 5 minutes from 2,400 s.
 * Under POLCA alone only caps act; under `--policy tapas` SaaS requests also move toward thermal and power slack
 * (sim/routing.ts): chat away from the derated row A, code away from row D as it nears its budget.
 */
export function tapasScenario(): ScenarioFile {
  return {
    name: 'tapas',
    description: 'TAPAS hall: IaaS VMs and SaaS chat on row A, chat on B, code on C and D (D 30 % oversubscribed); row-A cooling derating, code load spike.',
    topology: 'default',
    seed: 1,
    stepMs: 1000,
    services: [
      { id: 'chat', priority: 'high', trace: 'conv', placement: { racks: racks('A', 6, 10), rows: ['B'] }, ratePerServer: 3.6, forbid: ['smallModel'] },
      { id: 'code', priority: 'low', trace: 'code', placement: { rows: ['C', 'D'] }, ratePerServer: 2.8, traceOffsetS: 600 },
    ],
    training: [{ id: 'vms-a', priority: 'high', placement: { racks: racks('A', 1, 5) }, periodS: 12, duty: 0.75, startS: 30, computeActivity: 1, commActivity: 0.4 }],
    events: [
      { kind: 'coolingLoss', atS: 600, durationS: 1200, row: 'A', fraction: 0.5 },
      { kind: 'loadSpike', atS: 2400, durationS: 300, factor: 1.4, service: 'code' },
    ],
  };
}

/**
 * `--scenario tapas-free`: the tapas hall with room to place new work (`headroom place`): chat on A06–A08 and B01–B08,
 * code on C01–C06 and D01–D06, the VMs on A01–A05 — A09–A10 (beside the VMs, on the row nearest its budget), B09–B10,
 * C07–C10 and D07–D10 idle (48 servers, 384 GPUs). No events: a day as usual, for the profiles to learn from.
 */
export function tapasFreeScenario(): ScenarioFile {
  const base = tapasScenario();
  return {
    ...base,
    name: 'tapas-free',
    description: 'The tapas hall with 48 servers free (A09–A10, B09–B10, C07–C10, D07–D10) and no events: what `headroom place` learns from.',
    services: [
      { ...base.services![0]!, placement: { racks: [...racks('A', 6, 8), ...racks('B', 1, 8)] } },
      { ...base.services![1]!, placement: { racks: [...racks('C', 1, 6), ...racks('D', 1, 6)] } },
    ],
    events: [],
  };
}
