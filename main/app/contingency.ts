import type { PolicyConfig } from '../../shared/domain/control.js';
import { PolicyConfigSchema } from '../../shared/domain/control.js';
import type { Contingency } from '../../shared/domain/plant.js';
import type { Topology } from '../../shared/domain/topology.js';
import { firmBudgets, maintenanceState, resolvePlant, type ResolvedPlant } from '../core/plant.js';
import { contingencies, isUnsafe } from '../core/contingency.js';
import type { LoadedScenario } from '../sim/config.js';
import { LoadPeaks, plantInputs, responseLatency } from '../engine/plantWatch.js';
import { runLoaded } from './batch.js';

export interface ContingencyReport {
  scenario: string;
  /** Devices taken out of service for the analysis (a planned maintenance window): the plant runs without them. */
  maintenance: string[];
  /** Simulated seconds run under POLCA before the analysis (the loads it analyses: each rack's and GPU's peak over the last 30–60 s of them). */
  atS: number;
  gpus: number;
  /** Devices in the plant (and the N-1 cases analysed: every device, plus one module of each UPS). */
  devices: number;
  budgets: Array<{ row: string; budgetKW: number; limitedBy: string }>;
  contingencies: Contingency[];
  /** Cases the site would not get through (core/plant.ts isUnsafe), and those that would lose racks outright. */
  unsafe: string[];
  racksLostBy: string[];
  /** Wall time of the N-1 analysis itself (ms). */
  analysisMs: number;
}

/** `headroom contingency`: run the scenario `atS` seconds under POLCA, then analyse every single failure. */
export function contingencyReport(loaded: LoadedScenario, o: { atS: number; seed?: number; config?: PolicyConfig; maintenance?: readonly string[] }): ContingencyReport {
  const t: Topology = loaded.topology;
  if (!t.plant) throw new Error(`${loaded.scenario.name}: its topology describes no plant (add \`plant:\`; docs/SCENARIOS.md)`);
  const plant: ResolvedPlant = resolvePlant(t.plant, t);
  const config = o.config ?? PolicyConfigSchema.parse({});
  let inputs: ReturnType<typeof plantInputs> | null = null;
  const seed = o.seed ?? loaded.scenario.seed;
  const ticks = Math.round((o.atS * 1000) / loaded.scenario.stepMs);
  let n = 0;
  const peaks = new LoadPeaks(t);
  runLoaded(loaded, {
    seed,
    durationS: o.atS,
    policy: 'polca',
    config,
    onTick: (engine, _control, sim) => {
      peaks.observe(engine);
      if (++n === ticks) inputs = plantInputs(engine, sim.gpuPriority(), peaks.get());
    },
  });
  if (!inputs) throw new Error('the scenario ran no tick');
  const inp = inputs as ReturnType<typeof plantInputs>;
  const t0 = performance.now();
  const cs = contingencies(plant, t, inp.rackKW, { lowKW: inp.lowKW, highKW: inp.highKW }, responseLatency(config), maintenanceState(plant, o.maintenance ?? []));
  const analysisMs = performance.now() - t0;
  const firm = firmBudgets(plant, t);
  return {
    scenario: loaded.scenario.name,
    maintenance: [...(o.maintenance ?? [])],
    atS: o.atS,
    gpus: t.gpuCount,
    devices: plant.ids.length,
    budgets: t.rows.map((r, i) => ({ row: r.id, budgetKW: r.budgetKW, limitedBy: firm.limitedBy[i]! })),
    contingencies: cs,
    unsafe: cs.filter(isUnsafe).map((c) => c.device),
    racksLostBy: cs.filter((c) => c.racksLost.length > 0).map((c) => c.device),
    analysisMs: Math.round(analysisMs * 10) / 10,
  };
}
