import type { PolicyConfig } from '../../shared/domain/control.js';
import { PolicyConfigSchema } from '../../shared/domain/control.js';
import type { Contingency } from '../../shared/domain/plant.js';
import type { Topology } from '../../shared/domain/topology.js';
import { contingencies, firmBudgets, resolvePlant, type ResolvedPlant } from '../core/plant.js';
import type { LoadedScenario } from '../sim/config.js';
import type { Engine } from '../engine/engine.js';
import { runLoaded } from './batch.js';

export interface ContingencyReport {
  scenario: string;
  /** Simulated seconds run under POLCA before the analysis (the loads it analyses are that instant's). */
  atS: number;
  gpus: number;
  /** Devices in the plant (and the N-1 cases analysed: every device, plus one module of each UPS). */
  devices: number;
  budgets: Array<{ row: string; budgetKW: number; limitedBy: string }>;
  contingencies: Contingency[];
  /** Cases that would not be survived in time, and those that would lose racks outright. */
  unsafe: string[];
  racksLostBy: string[];
  /** Wall time of the N-1 analysis itself (ms). */
  analysisMs: number;
}

/**
 * What the N-1 analysis needs from an engine at one instant: each rack's power, and per rack the power above idle of
 * its low- and high-priority GPUs (what caps may take, lowest priority first).
 */
export function plantInputs(engine: Engine, priorities: Uint8Array): { rackKW: Float64Array; lowKW: Float64Array; highKW: Float64Array } {
  const t = engine.topology;
  const rackKW = Float64Array.from(engine.agg.rackW, (w) => w / 1000);
  const lowKW = new Float64Array(t.racks.length);
  const highKW = new Float64Array(t.racks.length);
  const { gpuRack, gpuModel } = engine.index;
  const power = engine.live.powerW;
  for (let g = 0; g < t.gpuCount; g++) {
    const p = power[g]!;
    if (!Number.isFinite(p)) continue;
    const above = Math.max(0, p - t.models[gpuModel[g]!]!.idleW) / 1000;
    if (priorities[g]) highKW[gpuRack[g]!]! += above;
    else lowKW[gpuRack[g]!]! += above;
  }
  return { rackKW, lowKW, highKW };
}

/** Actuation latencies of a policy, as the analysis uses them. */
export function responseLatency(config: PolicyConfig) {
  const a = config.actuation;
  return { capS: a.capPath === 'inBand' ? a.inBandS : a.outOfBandCapS, capPath: a.capPath, brakeS: a.brakeS };
}

/** `headroom contingency`: run the scenario `atS` seconds under POLCA, then analyse every single failure. */
export function contingencyReport(loaded: LoadedScenario, o: { atS: number; seed?: number; config?: PolicyConfig }): ContingencyReport {
  const t: Topology = loaded.topology;
  if (!t.plant) throw new Error(`${loaded.scenario.name}: its topology describes no plant (add \`plant:\`; docs/SCENARIOS.md)`);
  const plant: ResolvedPlant = resolvePlant(t.plant, t);
  const config = o.config ?? PolicyConfigSchema.parse({});
  let inputs: ReturnType<typeof plantInputs> | null = null;
  const seed = o.seed ?? loaded.scenario.seed;
  const ticks = Math.round((o.atS * 1000) / loaded.scenario.stepMs);
  let n = 0;
  runLoaded(loaded, {
    seed,
    durationS: o.atS,
    policy: 'polca',
    config,
    onTick: (engine, _control, sim) => {
      if (++n === ticks) inputs = plantInputs(engine, sim.gpuPriority());
    },
  });
  if (!inputs) throw new Error('the scenario ran no tick');
  const inp = inputs as ReturnType<typeof plantInputs>;
  const t0 = performance.now();
  const cs = contingencies(plant, t, inp.rackKW, { lowKW: inp.lowKW, highKW: inp.highKW }, responseLatency(config));
  const analysisMs = performance.now() - t0;
  const firm = firmBudgets(plant, t);
  return {
    scenario: loaded.scenario.name,
    atS: o.atS,
    gpus: t.gpuCount,
    devices: plant.ids.length,
    budgets: t.rows.map((r, i) => ({ row: r.id, budgetKW: r.budgetKW, limitedBy: firm.limitedBy[i]! })),
    contingencies: cs,
    unsafe: cs.filter((c) => !c.inTime).map((c) => c.device),
    racksLostBy: cs.filter((c) => c.racksLost.length > 0).map((c) => c.device),
    analysisMs: Math.round(analysisMs * 10) / 10,
  };
}
