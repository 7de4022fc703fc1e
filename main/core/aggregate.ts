import { SampleFlag } from '../../shared/domain/fleet.js';
import type { Topology } from '../../shared/domain/topology.js';
import type { TopologyIndex } from './topology.js';
import type { GpuColumns } from './physics.js';

/** Power and heat summed or maxed per server, rack, row and site. Power in W, temperatures in °C. */
export interface Aggregates {
  serverW: Float64Array;
  rackW: Float64Array;
  rackMaxTempC: Float64Array;
  rowW: Float64Array;
  rowMaxTempC: Float64Array;
  siteW: number;
}

export function createAggregates(t: Topology): Aggregates {
  return {
    serverW: new Float64Array(t.servers.length),
    rackW: new Float64Array(t.racks.length),
    rackMaxTempC: new Float64Array(t.racks.length),
    rowW: new Float64Array(t.rows.length),
    rowMaxTempC: new Float64Array(t.rows.length),
    siteW: 0,
  };
}

/**
 * One pass over GPUs, then servers: server power = its GPUs + non-GPU idle power + non-GPU active power
 * scaled by the server's mean GPU utilisation. Writes into `out` (no allocation on the hot path).
 */
export function aggregate(t: Topology, idx: TopologyIndex, gpu: Pick<GpuColumns, 'powerW' | 'util' | 'tempC'> & Partial<Pick<GpuColumns, 'flags'>>, out: Aggregates): void {
  sumPower(t, idx, gpu, out, true);
}

/**
 * Power only (no temperatures): what the simulator's air model needs every step. Sums in the same order as
 * `aggregate`, so both give bit-identical power.
 */
export function aggregatePower(t: Topology, idx: TopologyIndex, gpu: Pick<GpuColumns, 'powerW' | 'util'> & Partial<Pick<GpuColumns, 'flags'>>, out: Aggregates): void {
  sumPower(t, idx, gpu, out, false);
}

/** Per server, the fields sumPower reads, as columns (built once per topology). */
interface ServerColumns {
  gpuStart: Int32Array;
  gpuEnd: Int32Array;
  gpuCount: Float64Array;
  idleW: Float64Array;
  activeW: Float64Array;
}
const serverColumns = new WeakMap<Topology, ServerColumns>();
function columnsOf(t: Topology): ServerColumns {
  let c = serverColumns.get(t);
  if (!c || c.gpuStart.length !== t.servers.length) {
    const sv = t.servers;
    c = {
      gpuStart: Int32Array.from(sv, (s) => s.gpuStart),
      gpuEnd: Int32Array.from(sv, (s) => s.gpuStart + s.gpuCount),
      gpuCount: Float64Array.from(sv, (s) => s.gpuCount),
      idleW: Float64Array.from(sv, (s) => s.idleW),
      activeW: Float64Array.from(sv, (s) => s.activeW),
    };
    serverColumns.set(t, c);
  }
  return c;
}

function sumPower(t: Topology, idx: TopologyIndex, gpu: Pick<GpuColumns, 'powerW' | 'util'> & Partial<Pick<GpuColumns, 'tempC' | 'flags'>>, out: Aggregates, temps: boolean): void {
  out.rackW.fill(0);
  out.rackMaxTempC.fill(-Infinity);
  out.rowW.fill(0);
  out.rowMaxTempC.fill(-Infinity);
  const { gpuStart, gpuEnd, gpuCount, idleW, activeW } = columnsOf(t);
  const { powerW, util, flags } = gpu;
  const tempC = temps ? gpu.tempC! : null;
  const { serverW, rackW, rackMaxTempC } = out;
  const serverRack = idx.serverRack;
  for (let s = 0; s < gpuStart.length; s++) {
    const start = gpuStart[s]!;
    const end = gpuEnd[s]!;
    let p = 0;
    let u = 0;
    let tmax = -Infinity;
    for (let g = start; g < end; g++) {
      p += powerW[g]!;
      u += util[g]!;
    }
    if (tempC) for (let g = start; g < end; g++) if (tempC[g]! > tmax) tmax = tempC[g]!;
    // A server whose rack has no supply (its GPUs flagged unpowered) draws nothing of its own either.
    const dark = flags !== undefined && (flags[start]! & SampleFlag.unpowered) !== 0;
    if (!dark) p += idleW[s]! + (activeW[s]! * u) / gpuCount[s]!;
    serverW[s] = p;
    const r = serverRack[s]!;
    rackW[r]! += p;
    if (tmax > rackMaxTempC[r]!) rackMaxTempC[r] = tmax;
  }
  let site = 0;
  for (let r = 0; r < t.racks.length; r++) {
    const row = idx.rackRow[r]!;
    out.rowW[row]! += out.rackW[r]!;
    if (out.rackMaxTempC[r]! > out.rowMaxTempC[row]!) out.rowMaxTempC[row] = out.rackMaxTempC[r]!;
    site += out.rackW[r]!;
  }
  out.siteW = site;
}
