import { contingencyReport } from '../main/app/contingency.js';
import { resolvePlant } from '../main/core/plant.js';
import { contingencies } from '../main/core/contingency.js';
import { PolicyConfigSchema } from '../shared/domain/control.js';
import { loadScenario } from '../main/sim/config.js';
import { responseLatency } from '../main/engine/plantWatch.js';

/**
 * Issue 10's scale: N-1 analysis of every single failure of the default plant at ×8 (10,240 GPUs, 640 racks): the
 * loads of a POLCA run at 120 s, then `contingencies()` — every device and one module of each UPS — cold (first
 * call) and warm (20 calls), on this thread. What it includes: load flow per failure, trip times, the shedding
 * response and its cost; not the simulation that produced the loads.
 */
export function benchContingency() {
  const loaded = loadScenario('default', { scale: 8 });
  const report = contingencyReport(loaded, { atS: 120 });
  const plant = resolvePlant(loaded.topology.plant!, loaded.topology);
  // The same inputs again, to time warm calls: nameplate-like loads on every rack.
  const racks = loaded.topology.racks.length;
  const rackKW = new Float64Array(racks).fill(36.4);
  const shed = { lowKW: new Float64Array(racks).fill(12), highKW: new Float64Array(racks).fill(12) };
  const lat = responseLatency(PolicyConfigSchema.parse({}));
  const warm: number[] = [];
  for (let i = 0; i < 20; i++) {
    const t0 = performance.now();
    contingencies(plant, loaded.topology, rackKW, shed, lat);
    warm.push(performance.now() - t0);
  }
  warm.sort((a, b) => a - b);
  return {
    gpus: loaded.topology.gpuCount,
    devices: report.devices,
    cases: report.contingencies.length,
    ms: report.analysisMs,
    warmP50Ms: Math.round(warm[10]! * 10) / 10,
    warmMaxMs: Math.round(warm[19]! * 10) / 10,
    unsafe: report.unsafe.length,
    what: 'ms: the first (cold) N-1 analysis of every single failure of the default plant ×8 on loads of a 120 s POLCA run (load flow, trip times, shedding response and cost per case), one thread; warm: 20 more calls on nameplate loads',
  };
}
