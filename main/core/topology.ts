import type { GpuModel, Topology, TopologySpec } from '../../shared/domain/topology.js';
import { BUILTIN_MODELS } from './models.js';

/** Thrown for a topology that parses but cannot be built (unknown model…); `path` names the field. */
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
      topo.racks.push({ id: rackId, row: r, budgetKW: row.budgetKW / row.racks, serverStart, serverCount: row.serversPerRack });
    }
    topo.rows.push({ id: row.id, budgetKW: row.budgetKW, coolingKW: row.coolingKW, supplyC: row.supplyC, rackStart, rackCount: row.racks });
  });
  return topo;
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
  return {
    site: { id: 'default', name: scale === 1 ? 'Default site (1,280 GPUs)' : `Default site ×${scale}` },
    gpuModels: [],
    rows: [row('A', budget), row('B', budget), row('C', budget), row('D', round1(budget / 1.3))],
  };
}

function round1(x: number): number {
  return Math.round(x * 10) / 10;
}
