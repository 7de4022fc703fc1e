import { describe, expect, it } from 'vitest';
import { coolingCapacityKW, healthyCooling, LOOP_MARGIN_C, secondsToOverheat } from '../../../main/core/cooling.js';
import { MAX_RACK_RECIRC_C } from '../../../main/core/rackThermal.js';
import { contingencies, worstByRow } from '../../../main/core/contingency.js';
import { maintenanceState, PlantError, resolvePlant } from '../../../main/core/plant.js';
import { resolveTopology } from '../../../main/core/topology.js';
import { PlantSpecSchema, type PlantSpecInput } from '../../../shared/domain/plant.js';
import { overloadText } from '../../../shared/domain/plantText.js';

/** Row L: two direct-to-chip racks on one CDU (3 pumps, N+1, 250 kW, 30 s of hold); row R: air, two CRAHs N+1. */
const t = resolveTopology({
  site: { id: 's', name: 's' },
  gpuModels: [],
  rows: [
    { id: 'L', budgetKW: 240, coolingKW: 300, supplyC: 22, racks: 2, serversPerRack: 4, gpusPerServer: 8, gpuModel: 'H100-SXM', serverIdleW: 1500, serverActiveW: 2000 },
    { id: 'R', budgetKW: 80, coolingKW: 300, supplyC: 22, racks: 2, serversPerRack: 4, gpusPerServer: 8, gpuModel: 'H100-SXM', serverIdleW: 1500, serverActiveW: 2000 },
  ],
});
const spec = (cooling: PlantSpecInput['cooling']): PlantSpecInput => ({
  feeds: [{ id: 'F1', ratedKW: 1000 }, { id: 'F2', ratedKW: 1000 }],
  ups: [{ id: 'UA', feed: 'F1', modules: 3, moduleKW: 300 }, { id: 'UB', feed: 'F2', modules: 3, moduleKW: 300 }],
  devices: [{ id: 'BA', kind: 'busway', from: 'UA', ratedKW: 800 }, { id: 'BB', kind: 'busway', from: 'UB', ratedKW: 800 }],
  racks: [{ row: 'L', a: 'BA', b: 'BB', pdu: { ratedKW: 160 } }, { row: 'R', a: 'BA', b: 'BB', pdu: { ratedKW: 60 } }],
  cooling,
});
const COOLING = { liquid: [{ id: 'CDU1', racks: ['L01', 'L02'], pumps: 3, redundantPumps: 1, capacityKW: 250, supplyC: 30, holdS: 30 }], air: [{ id: 'CRAH', rows: ['R'], units: 2, unitKW: 80, redundantUnits: 1 }] };
const plant = resolvePlant(PlantSpecSchema.parse(spec(COOLING)), t);
const LAT = { capS: 40, capPath: 'outOfBand' as const, brakeS: 5 };
/** Liquid racks at 120 kW (GPU power above the lowest limit: 60 kW low priority each), air racks at 30 kW. */
const rackKW = [120, 120, 30, 30];
const shed = { lowKW: [60, 60, 10, 10], highKW: [20, 20, 5, 5] };

describe('the cooling plant (core/cooling.ts)', () => {
  it('resolves CDUs and air groups against the topology; bad references are named by field', () => {
    const c = plant.cooling;
    expect(c.ids).toEqual(['CDU1', 'CRAH']);
    expect(Array.from(c.rackCdu)).toEqual([0, 0, -1, -1]);
    expect(Array.from(c.rowAir)).toEqual([-1, 1]);
    const bad = (cooling: PlantSpecInput['cooling']) => () => resolvePlant(PlantSpecSchema.parse(spec(cooling)), t);
    expect(bad({ liquid: [{ ...COOLING.liquid[0]!, racks: ['L01', 'Z9'] }], air: [] })).toThrow(new PlantError('plant.cooling.liquid[0].racks[1]', 'no rack "Z9" in the topology'));
    expect(bad({ liquid: [{ ...COOLING.liquid[0]!, redundantPumps: 3 }], air: [] })).toThrow(/plant\.cooling\.liquid\[0\]\.redundantPumps: 3 in reserve of 3 pumps leaves none to run/);
    expect(bad({ liquid: [COOLING.liquid[0]!, { ...COOLING.liquid[0]!, id: 'CDU2', racks: ['L02'] }], air: [] })).toThrow(/racks\[0\]: rack L02 is on two CDUs/);
    expect(bad({ liquid: [], air: [{ ...COOLING.air[0]!, rows: ['Q'] }] })).toThrow(/plant\.cooling\.air\[0\]\.rows\[0\]: no row "Q"/);
  });

  it('a standby pump adds no capacity and losing it costs none; fewer than needed carry their share; isolated, none', () => {
    const c = plant.cooling;
    const s = healthyCooling(c);
    expect(coolingCapacityKW(c, s, 0)).toBe(250);
    s.lost[0] = 1;
    expect(coolingCapacityKW(c, s, 0)).toBe(250);
    s.lost[0] = 2;
    expect(coolingCapacityKW(c, s, 0)).toBe(125);
    s.out[0] = 1;
    expect(coolingCapacityKW(c, s, 0)).toBe(0);
  });

  it('a loop with no flow reaches slowdown in capacity × hold / heat; air overheats only past ASHRAE’s 32 °C', () => {
    const c = plant.cooling;
    expect(secondsToOverheat(c, 0, 240, 0)).toBeCloseTo((250 * 30) / 240, 9);
    expect(secondsToOverheat(c, 0, 240, 125)).toBeCloseTo((250 * 30) / 115, 9);
    expect(secondsToOverheat(c, 0, 240, 250)).toBeNull();
    expect(LOOP_MARGIN_C).toBe(15);
    // Air: 10 % over capacity lifts the aisle to 22 + 3.2 + 4 = 29.2 °C; its hottest rack (an end rack at nominal
    // power) adds MAX_RACK_RECIRC_C = 1.375 °C: never 32 °C. 50 % over: 22 + 3.2 + 20 = 45.2 °C, the end rack at
    // 32 °C once the aisle passes 30.625 °C.
    expect(MAX_RACK_RECIRC_C).toBeCloseTo(1.375, 12);
    expect(secondsToOverheat(c, 1, 88, 80)).toBeNull();
    expect(secondsToOverheat(c, 1, 120, 80)).toBeCloseTo(-60 * Math.log((45.2 - (32 - 1.375)) / (45.2 - 22)), 9);
  });

  it('single failures: a pump is harmless (N+1); the whole CDU leaves tens of seconds that caps cannot fill; with a pump out for maintenance, the next one is answered by caps on the liquid racks in time', () => {
    const cs = contingencies(plant, t, rackKW, shed, LAT);
    expect(cs.filter((c) => c.kind === 'cdu' || c.kind === 'air').map((c) => c.device)).toEqual(['CDU1/pump', 'CDU1', 'CRAH/unit']);
    expect(cs.find((c) => c.device === 'CDU1/pump')).toMatchObject({ overloads: [], inTime: true, response: { capsKW: 0 } });
    const lost = cs.find((c) => c.device === 'CDU1')!;
    expect(lost.overloads).toEqual([{ device: 'CDU1', kind: 'cdu', loadKW: 240, ratedKW: 0, pct: null, secondsToTrip: 31.25 }]);
    // Caps take all they can (160 kW of 240): not enough, and too late anyway: unsafe.
    expect(lost.response.capsKW).toBe(160);
    expect(lost.inTime).toBe(false);
    // Even caps that land in 2 s cannot: they are short of 80 kW.
    expect(contingencies(plant, t, rackKW, shed, { ...LAT, capS: 2, capPath: 'inBand' }).find((c) => c.device === 'CDU1')!.inTime).toBe(false);
    // A CRAH unit lost: one left (80 kW) for 60 kW of heat: fine.
    expect(cs.find((c) => c.device === 'CRAH/unit')!.overloads).toEqual([]);
    const window = maintenanceState(plant, ['CDU1/pump']);
    const next = contingencies(plant, t, rackKW, shed, LAT, window).find((c) => c.device === 'CDU1/pump')!;
    expect(next.overloads[0]).toMatchObject({ device: 'CDU1', loadKW: 240, ratedKW: 125, secondsToTrip: Math.round(((250 * 30) / 115) * 100) / 100 });
    expect(next.response).toMatchObject({ capsKW: 115, byRow: [{ row: 'L', kW: 115 }] });
    expect(next.inTime).toBe(true);
    const plans = new Map<string, Float64Array>();
    contingencies(plant, t, rackKW, shed, LAT, window, plans);
    expect(Array.from(plans.get('CDU1/pump')!)).toEqual([57.5, 57.5, 0, 0]);
  });
});

describe('a row’s worst single failure counts its cooling', () => {
  it('row L’s worst is its CDU (unsafe); row R, air-cooled with a unit to spare, has none', () => {
    const w = worstByRow(plant, t, contingencies(plant, t, rackKW, shed, LAT));
    expect(w.find((x) => x.row === 'L')).toMatchObject({ device: 'CDU1', inTime: false, firstTripS: 31.25 });
    expect(w.find((x) => x.row === 'L')!.text).toMatch(/^CDU1 fails → CDU1 with nothing left: its GPUs reach slowdown in 31\.25 s/);
    expect(w.find((x) => x.row === 'R')).toMatchObject({ device: null });
  });
});

describe('overloads in words (shared/domain/plantText.ts)', () => {
  it('says what the deadline is for each kind of device', () => {
    expect(overloadText({ device: 'BB', kind: 'busway', loadKW: 60, ratedKW: 50, pct: 120, secondsToTrip: 42 })).toBe('BB at 120 % trips in 42 s');
    expect(overloadText({ device: 'UPS1', kind: 'ups', loadKW: 1160, ratedKW: 1100, pct: 105.5, secondsToTrip: 600 })).toBe('UPS1 at 105.5 % goes to bypass in 600 s');
    expect(overloadText({ device: 'CDU1', kind: 'cdu', loadKW: 240, ratedKW: 125, pct: 192, secondsToTrip: 65.2 })).toBe('CDU1 at 192 %: its GPUs reach slowdown in 65.2 s');
    expect(overloadText({ device: 'CDU1', kind: 'cdu', loadKW: 240, ratedKW: 0, pct: null, secondsToTrip: 31.25 })).toBe('CDU1 with nothing left: its GPUs reach slowdown in 31.25 s');
    expect(overloadText({ device: 'CRAH', kind: 'air', loadKW: 120, ratedKW: 80, pct: 150, secondsToTrip: 32 })).toBe('CRAH at 150 %: its inlet passes 32 °C in 32 s');
    expect(overloadText({ device: 'BW', kind: 'busway', loadKW: 55, ratedKW: 50, pct: 110, secondsToTrip: null })).toBe('BW at 110 %');
  });
});
