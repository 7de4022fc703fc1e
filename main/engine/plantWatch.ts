import type { PolicyConfig } from '../../shared/domain/control.js';
import type { Contingency, RowContingency } from '../../shared/domain/plant.js';
import { budgetsIn, healthyState, maintenanceState, resolvePlant, type PlantState, type ResolvedPlant } from '../core/plant.js';
import { contingencies, isUnsafe, worstByRow } from '../core/contingency.js';
import type { Engine, TickService } from './engine.js';

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

export interface PlantPicture {
  /** Engine time of the analysis. */
  atMs: number;
  /** Wall time it took (ms). */
  tookMs: number;
  devices: number;
  /** Devices out of service in the analysed state. */
  out: string[];
  budgets: Array<{ row: string; budgetKW: number; limitedBy: string }>;
  contingencies: Contingency[];
  worstByRow: RowContingency[];
}

/**
 * Live contingency analysis: every `everyMs` of engine time, every single failure of the plant as it is now (with
 * what has failed or is out for maintenance) against the loads of that tick (core/plant.ts `contingencies`), with the policy's actuation latencies. The unsafe ones feed the
 * `contingencyUnsafe` alert; the whole picture is what the faces read (`plant:contingency`). ~7 ms for the default
 * site's 96 failures, ~20–60 ms at ×8 (bench `contingency`), so it runs on the engine's thread every few seconds.
 */
export class PlantWatch implements TickService {
  readonly plant: ResolvedPlant;
  latest: PlantPicture | null = null;
  private nextMs = -Infinity;

  constructor(
    engine: Engine,
    private readonly priorities: Uint8Array,
    private readonly policy: () => PolicyConfig,
    /** The plant as it is now (devices failed or out for maintenance); null: healthy. */
    private readonly state: () => PlantState | null = () => null,
    private readonly everyMs = 5000,
  ) {
    const t = engine.topology;
    this.plant = resolvePlant(t.plant!, t);
  }

  onTick(engine: Engine, nowMs: number): void {
    if (nowMs < this.nextMs) return;
    this.nextMs = nowMs + this.everyMs;
    this.analyse(engine);
  }

  /**
   * Analyse now. With `maintenance` (device ids out of service), a what-if for planning a window: answered, not kept,
   * and no alert follows from it. PlantError for an unknown id.
   */
  analyse(engine: Engine, maintenance?: readonly string[]): PlantPicture {
    const t0 = performance.now();
    const now = this.state() ?? healthyState(this.plant);
    const base = maintenance?.length ? maintenanceState(this.plant, maintenance, now) : now;
    const inp = plantInputs(engine, this.priorities);
    const cs = contingencies(this.plant, engine.topology, inp.rackKW, { lowKW: inp.lowKW, highKW: inp.highKW }, responseLatency(this.policy()), base);
    const out = [...this.plant.ids.filter((_, x) => base.out[x] === 1), ...this.plant.ids.flatMap((id, x) => Array.from({ length: base.upsModulesLost[x]! }, () => `${id}/module`))];
    // The budgets the plant allows in that state (a window or a failure can lower them), no more than the topology's.
    const b = budgetsIn(this.plant, engine.topology, base);
    const budgets = engine.topology.rows.map((r, i) => ({ row: r.id, budgetKW: Math.min(r.budgetKW, b.rowKW[i]!), limitedBy: b.limitedBy[i]! }));
    const picture = { atMs: engine.nowMs, tookMs: Math.round((performance.now() - t0) * 10) / 10, devices: this.plant.ids.length, out, budgets, contingencies: cs, worstByRow: worstByRow(this.plant, engine.topology, cs) };
    if (maintenance?.length) return picture;
    engine.contingencyUnsafe = cs.filter(isUnsafe);
    this.latest = picture;
    return picture;
  }
}
