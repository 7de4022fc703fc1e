import type { Topology } from '../../../shared/domain/topology.js';
import type { Snapshot } from '../../../shared/domain/fleet.js';

/** A small site: rows × racks × servers × GPUs, every rack budgeted `rackKW`. */
export function makeTopology(rows: number[], serversPerRack = 2, gpusPerServer = 4, rackKW = 40): Topology {
  const t: Topology = { site: { id: 's', name: 'Test' }, models: [], rows: [], racks: [], servers: [], gpuCount: 0 };
  rows.forEach((rackCount, ri) => {
    const id = String.fromCharCode(65 + ri);
    t.rows.push({ id, budgetKW: rackCount * rackKW, coolingKW: rackCount * rackKW, supplyC: 22, rackStart: t.racks.length, rackCount });
    for (let k = 0; k < rackCount; k++) {
      const rack = t.racks.length;
      t.racks.push({ id: `${id}${k + 1}`, row: ri, budgetKW: rackKW, serverStart: t.servers.length, serverCount: serversPerRack });
      for (let s = 0; s < serversPerRack; s++) {
        t.servers.push({ id: `${id}${k + 1}-s${s}`, rack, gpuStart: t.gpuCount, gpuCount: gpusPerServer, model: 0, idleW: 1500, activeW: 2000 });
        t.gpuCount += gpusPerServer;
      }
    }
  });
  return t;
}

export function makeSnapshot(t: Topology, fill: { powerW?: number; tempC?: number; rackW?: number } = {}): Snapshot {
  const n = t.gpuCount;
  return {
    tMs: 1_700_000_000_000,
    seq: 1,
    gpu: {
      powerW: new Array(n).fill(fill.powerW ?? 500),
      tempC: new Array(n).fill(fill.tempC ?? 60),
      clockMHz: new Array(n).fill(1980),
      limitW: new Array(n).fill(700),
      util: new Array(n).fill(0.9),
      flags: new Array(n).fill(0),
    },
    rack: {
      powerW: new Array(t.racks.length).fill(fill.rackW ?? 20_000),
      inletC: new Array(t.racks.length).fill(24),
      maxTempC: new Array(t.racks.length).fill(70),
    },
    row: {
      powerW: t.rows.map((r) => r.rackCount * (fill.rackW ?? 20_000)),
      budgetKW: t.rows.map((r) => r.budgetKW),
      coolingKW: t.rows.map((r) => r.coolingKW),
      inletC: t.rows.map(() => 24),
      maxTempC: t.rows.map(() => 70),
    },
    site: { powerW: t.rows.reduce((s, r) => s + r.rackCount * (fill.rackW ?? 20_000), 0), budgetKW: t.rows.reduce((s, r) => s + r.budgetKW, 0) },
  };
}
