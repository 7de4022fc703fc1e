import type { ScenarioFile } from '../../shared/domain/scenario.js';
import { defaultTopologySpec } from '../core/topology.js';

/**
 * The embedded "gb200" scenario (`--scenario gb200`): the default site's four air-cooled H100 rows (A–D, as in the
 * default scenario) plus row G: four GB200 NVL72 racks (18 compute trays × 4 GPUs = 72 GPUs, ~126 kW each at full
 * power), direct-to-chip liquid cooled by two CDUs (3 pumps N+1, 300 kW, 30 °C supply, 30 s of hold), each rack on
 * 250 A / 415 V rack PDUs (A and B). The UPS, switchboards and feeds are sized for the extra ~500 kW. A drill
 * timeline: a CDU pump fails (N+1: harmless), later CDU-G2 leaks and is isolated for two minutes — its racks' loop
 * heats and their GPUs reach slowdown within tens of seconds unless load comes off. docs/SCENARIOS.md.
 */
export function gb200Scenario(): ScenarioFile {
  const site = defaultTopologySpec(1);
  const g = { id: 'G', coolingKW: 60, supplyC: 30, racks: 4, serversPerRack: 18, gpusPerServer: 4, gpuModel: 'GB200-NVL72', serverIdleW: 800, serverActiveW: 1400 };
  const plant = site.plant!;
  return {
    name: 'gb200',
    description: 'Default site plus a liquid-cooled GB200 NVL72 row (G) on two CDUs; a pump failure, then a CDU leak.',
    topology: {
      site: { id: 'gb200', name: 'Default site + GB200 NVL72 row (1,568 GPUs)' },
      gpuModels: [],
      rows: [...site.rows.map((r) => ({ ...r, budgetKW: undefined })), g],
      plant: {
        ...plant,
        feeds: plant.feeds.map((f) => ({ ...f, ratedKW: 3000 })),
        ups: plant.ups.map((u) => ({ ...u, modules: 5 })),
        devices: [
          ...plant.devices.map((d) => (d.kind === 'switchboard' ? { ...d, ratedKW: 3000 } : d)),
          { id: 'BW-G-A', kind: 'busway', from: 'SB1', ratedKW: 650, curve: 'C', phases: 3, powerFactor: 0.95 },
          { id: 'BW-G-B', kind: 'busway', from: 'SB2', ratedKW: 650, curve: 'C', phases: 3, powerFactor: 0.95 },
        ],
        racks: [...plant.racks, { row: 'G', a: 'BW-G-A', b: 'BW-G-B', pdu: { amps: 250, volts: 415, phases: 3, powerFactor: 0.95, curve: 'C' } }],
        cooling: {
          air: plant.cooling.air,
          liquid: [
            { id: 'CDU-G1', racks: ['G01', 'G02'], pumps: 3, redundantPumps: 1, capacityKW: 300, supplyC: 30, holdS: 30 },
            { id: 'CDU-G2', racks: ['G03', 'G04'], pumps: 3, redundantPumps: 1, capacityKW: 300, supplyC: 30, holdS: 30 },
          ],
        },
      },
    },
    scale: 1,
    seed: 1,
    stepMs: 1000,
    services: [
      { id: 'chat', priority: 'high', trace: 'conv', placement: { rows: ['A'] }, ratePerServer: 3.2 },
      { id: 'code', priority: 'low', trace: 'code', placement: { rows: ['B'] }, ratePerServer: 3.2, traceOffsetS: 600 },
      { id: 'chat-d', priority: 'high', trace: 'conv', placement: { rows: ['D'] }, ratePerServer: 3.2, traceOffsetS: 1200 },
    ],
    training: [
      { id: 'pretrain', priority: 'high', placement: { rows: ['C'] }, periodS: 12, duty: 0.75, startS: 30 },
      { id: 'nvl-train', priority: 'high', placement: { racks: ['G01', 'G02'] }, periodS: 10, duty: 0.8, startS: 20 },
      { id: 'nvl-finetune', priority: 'low', placement: { racks: ['G03', 'G04'] }, periodS: 8, duty: 0.8, startS: 20 },
    ],
    events: [
      { kind: 'deviceFailure', atS: 600, durationS: 900, devices: ['CDU-G1/pump'] },
      { kind: 'deviceFailure', atS: 1200, durationS: 120, devices: ['CDU-G2'] },
    ],
  };
}
