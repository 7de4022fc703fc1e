import type { ScenarioFile } from '../../shared/domain/scenario.js';

/**
 * The embedded default scenario ("--scenario default"): the default site with inference on rows A, B and D and a
 * synchronous training job on row C. Row D is 30 % oversubscribed and runs a POLCA-like high/low priority mix.
 * A drill timeline exercises every event kind within the first hour.
 */
export function defaultScenario(scale = 1): ScenarioFile {
  /** Rack ids from..to (1-based, inclusive) of a row. */
  const racks = (row: string, from: number, to: number) => Array.from({ length: to - from + 1 }, (_, i) => `${row}${String(from + i).padStart(2, '0')}`);
  const half = 5 * scale;
  return {
    name: 'default',
    description: 'Default site: inference on rows A, B, D (D 30 % oversubscribed), training on row C, drill events.',
    topology: 'default',
    scale,
    seed: 1,
    stepMs: 1000,
    services: [
      { id: 'chat', priority: 'high', trace: 'conv', placement: { rows: ['A'] }, ratePerServer: 3.6 },
      { id: 'code', priority: 'low', trace: 'code', placement: { rows: ['B'] }, ratePerServer: 3.6, traceOffsetS: 600 },
      { id: 'chat-d', priority: 'high', trace: 'conv', placement: { racks: racks('D', 1, half) }, ratePerServer: 3.6, traceOffsetS: 1200 },
      { id: 'batch-d', priority: 'low', trace: 'code', placement: { racks: racks('D', half + 1, 2 * half) }, ratePerServer: 3.6, traceOffsetS: 1800 },
    ],
    // Compute at TDP, the communication dip at 0.4 (gradient all-reduce partly overlapped with the backward pass):
    // calibrated to POLCA's worst 2 s training spike (37.5 %), docs/MODEL.md "Demand".
    training: [{ id: 'pretrain', priority: 'high', placement: { rows: ['C'] }, periodS: 12, duty: 0.75, startS: 30, computeActivity: 1, commActivity: 0.4 }],
    events: [
      { kind: 'loadSpike', atS: 900, durationS: 180, factor: 1.6, rows: ['A'] },
      { kind: 'coolingLoss', atS: 1500, durationS: 600, row: 'B', fraction: 0.45 },
      { kind: 'powerBudgetLoss', atS: 2400, durationS: 300, row: 'C', fraction: 0.25 },
      { kind: 'sourceStall', atS: 3000, durationS: 20 },
    ],
  };
}
