import type { GpuModel, Topology, TopologySpec } from '../../shared/domain/topology.js';
import { BUILTIN_MODELS } from './models.js';

/** Thrown for a topology that parses but cannot be built (unknown model…); `path` names the field. */
import type { PlantSpec } from '../../shared/domain/plant.js';
import { firmBudgets, PlantError, resolvePlant } from './plant.js';

export class TopologyError extends Error {
  override readonly name = 'TopologyError';
  constructor(
    message: string,
    readonly path: string,
  ) {
    super(`${path}: ${message}`);
  }
}

/** Resolve a validated topology spec into flat, index-addressed lists. Pure. */
export function resolveTopology(spec: TopologySpec): Topology {
  const byId = new Map<string, GpuModel>();
  for (const m of BUILTIN_MODELS) byId.set(m.id, m);
  for (const m of spec.gpuModels) byId.set(m.id, m);
  const models: GpuModel[] = [];
  const modelIndex = new Map<string, number>();

  const topo: Topology = { site: { ...spec.site }, models, rows: [], racks: [], servers: [], gpuCount: 0 };
  spec.rows.forEach((row, r) => {
    const model = byId.get(row.gpuModel);
    if (!model) {
      throw new TopologyError(`unknown GPU model "${row.gpuModel}" (known: ${[...byId.keys()].join(', ')})`, `rows[${r}].gpuModel`);
    }
    let mi = modelIndex.get(model.id);
    if (mi === undefined) {
      mi = models.length;
      models.push(model);
      modelIndex.set(model.id, mi);
    }
    const rackStart = topo.racks.length;
    for (let k = 0; k < row.racks; k++) {
      const rackIdx = topo.racks.length;
      const serverStart = topo.servers.length;
      const rackId = `${row.id}${String(k + 1).padStart(2, '0')}`;
      for (let s = 0; s < row.serversPerRack; s++) {
        topo.servers.push({
          id: `${rackId}-S${s + 1}`,
          rack: rackIdx,
          gpuStart: topo.gpuCount,
          gpuCount: row.gpusPerServer,
          model: mi,
          idleW: row.serverIdleW,
          activeW: row.serverActiveW,
        });
        topo.gpuCount += row.gpusPerServer;
      }
      topo.racks.push({ id: rackId, row: r, budgetKW: (row.budgetKW ?? 0) / row.racks, serverStart, serverCount: row.serversPerRack });
    }
    topo.rows.push({ id: row.id, budgetKW: row.budgetKW ?? 0, coolingKW: row.coolingKW, supplyC: row.supplyC, rackStart, rackCount: row.racks });
  });
  if (spec.plant) applyPlant(topo, spec.plant, spec.rows.map((r) => r.budgetKW));
  return topo;
}

/**
 * Budgets from the plant: each row gets what its plant allows (main/core/plant.ts `firmBudgets`), or less where a
 * budget was also typed; each rack its row's budget shared evenly, or less where its own PDUs carry less.
 */
export function applyPlant(topo: Topology, plant: PlantSpec, typed: ReadonlyArray<number | undefined>): void {
  let resolved;
  try {
    resolved = resolvePlant(plant, topo);
  } catch (e) {
    if (e instanceof PlantError) throw new TopologyError(e.message.slice(e.path.length + 2), e.path);
    throw e;
  }
  const firm = firmBudgets(resolved, topo);
  topo.rows.forEach((row, r) => {
    const t = typed[r];
    row.budgetKW = t === undefined ? firm.rowKW[r]! : Math.min(t, firm.rowKW[r]!);
    for (let k = row.rackStart; k < row.rackStart + row.rackCount; k++) topo.racks[k]!.budgetKW = Math.min(firm.rackKW[k]!, row.budgetKW / row.rackCount);
  });
  topo.plant = plant;
}

/** Index maps derived from a topology, shared by the engine and aggregations. */
export interface TopologyIndex {
  gpuServer: Int32Array;
  gpuRack: Int32Array;
  gpuRow: Int32Array;
  gpuModel: Int32Array;
  serverRack: Int32Array;
  rackRow: Int32Array;
}

export function indexTopology(t: Topology): TopologyIndex {
  const gpuServer = new Int32Array(t.gpuCount);
  const gpuRack = new Int32Array(t.gpuCount);
  const gpuRow = new Int32Array(t.gpuCount);
  const gpuModel = new Int32Array(t.gpuCount);
  const serverRack = new Int32Array(t.servers.length);
  const rackRow = new Int32Array(t.racks.length);
  t.racks.forEach((r, i) => (rackRow[i] = r.row));
  t.servers.forEach((s, i) => {
    serverRack[i] = s.rack;
    for (let g = s.gpuStart; g < s.gpuStart + s.gpuCount; g++) {
      gpuServer[g] = i;
      gpuRack[g] = s.rack;
      gpuRow[g] = rackRow[s.rack]!;
      gpuModel[g] = s.model;
    }
  });
  return { gpuServer, gpuRack, gpuRow, gpuModel, serverRack, rackRow };
}

/** Provisioned power of one DGX-class H100 server (kW): its nameplate maximum. */
export const DGX_H100_PROVISIONED_KW = 10.2;

/**
 * The embedded default site: rows A–D of 10 racks × 4 servers × 8 H100 (40 servers a row, as in POLCA).
 * Rows are provisioned for 40 servers; row D holds the same 40 servers on a budget provisioned for
 * 40 / 1.3 ≈ 30.8 of them, i.e. 30 % oversubscribed. `scale` multiplies the racks per row (scale 8 → 10,240 GPUs).
 */
export function defaultTopologySpec(scale = 1): TopologySpec {
  const racks = 10 * scale;
  const servers = racks * 4;
  const budget = servers * DGX_H100_PROVISIONED_KW;
  const row = (id: string, budgetKW: number) => ({
    id,
    budgetKW,
    coolingKW: servers * DGX_H100_PROVISIONED_KW * 1.05,
    supplyC: 22,
    racks,
    serversPerRack: 4,
    gpusPerServer: 8,
    gpuModel: 'H100-SXM',
    serverIdleW: 1500,
    serverActiveW: 2000,
  });
  const rows = [row('A', budget), row('B', budget), row('C', budget), row('D', round1(budget / 1.3))];
  return {
    site: { id: 'default', name: scale === 1 ? 'Default site (1,280 GPUs)' : `Default site ×${scale}` },
    gpuModels: [],
    // The budgets are the plant's: typed here too, they must agree (a test holds them equal).
    rows,
    plant: defaultPlantSpec(scale, rows),
  };
}

/**
 * The default site's plant (docs/SCENARIOS.md): two utility feeds, a UPS on each (4 × 550 kW modules, N+1), a
 * switchboard per side, and per row an A-side and a B-side busway (2N): each busway carries the whole row alone at
 * 80 % of its rating — row D's was sized for 40 servers' worth less 30 % before it was filled with as many as the
 * others: its busway is what limits it. Each rack has an A and a B rack PDU (51 kW: 40.8 kW continuous).
 */
export function defaultPlantSpec(scale: number, rows: ReadonlyArray<{ id: string; budgetKW?: number }>): PlantSpec {
  const side = (s: 'A' | 'B') => s;
  return {
    continuousPct: 80,
    feeds: [
      { id: 'U1', kind: 'utility', ratedKW: 2000 * scale },
      { id: 'U2', kind: 'utility', ratedKW: 2000 * scale },
    ],
    ups: [
      { id: 'UPS1', feed: 'U1', modules: 4, moduleKW: 550 * scale, redundantModules: 1, rideThroughS: 300 },
      { id: 'UPS2', feed: 'U2', modules: 4, moduleKW: 550 * scale, redundantModules: 1, rideThroughS: 300 },
    ],
    devices: [
      { id: 'SB1', kind: 'switchboard', from: 'UPS1', ratedKW: 2200 * scale, curve: 'D', phases: 3, powerFactor: 0.95 },
      { id: 'SB2', kind: 'switchboard', from: 'UPS2', ratedKW: 2200 * scale, curve: 'D', phases: 3, powerFactor: 0.95 },
      ...rows.flatMap((r) =>
        (['A', 'B'] as const).map((s) => ({
          id: `BW-${r.id}-${side(s)}`,
          kind: 'busway' as const,
          from: s === 'A' ? 'SB1' : 'SB2',
          ratedKW: round1((r.budgetKW ?? 0) / 0.8),
          curve: 'C' as const,
          phases: 3 as const,
          powerFactor: 0.95,
        })),
      ),
    ],
    racks: rows.map((r) => ({ row: r.id, a: `BW-${r.id}-A`, b: `BW-${r.id}-B`, pdu: { ratedKW: 51, curve: 'C' as const, phases: 3 as const, powerFactor: 0.95 } })),
    cooling: { air: [{ id: 'CRAH-1', rows: rows.map((r) => r.id), units: 6, unitKW: 350 * scale, redundantUnits: 1, supplyC: 22 }], liquid: [] },
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
