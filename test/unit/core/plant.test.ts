import { describe, expect, it } from 'vitest';
import { firmBudgets, healthyState, plantLoads, PlantError, resolvePlant, secondsToTrip } from '../../../main/core/plant.js';
import { contingencies } from '../../../main/core/contingency.js';
import { defaultTopologySpec, resolveTopology } from '../../../main/core/topology.js';
import { PlantSpecSchema, type PlantSpecInput } from '../../../shared/domain/plant.js';
import type { Topology } from '../../../shared/domain/topology.js';

const site = resolveTopology(defaultTopologySpec(1));
const plant = resolvePlant(site.plant!, site);
const idx = (id: string) => plant.ids.indexOf(id);
const LAT = { capS: 40, capPath: 'outOfBand' as const, brakeS: 5 };

/** One row R of 2 racks, one UPS per side, one busway per side: the B busway undersized (`bKW`). */
function small(bKW: number): { t: Topology; spec: PlantSpecInput } {
  const t = resolveTopology({ site: { id: 's', name: 's' }, gpuModels: [], rows: [{ id: 'R', budgetKW: 80, coolingKW: 100, supplyC: 22, racks: 2, serversPerRack: 4, gpusPerServer: 8, gpuModel: 'H100-SXM', serverIdleW: 1500, serverActiveW: 2000 }] });
  const spec: PlantSpecInput = {
    feeds: [{ id: 'F1', ratedKW: 500 }, { id: 'F2', ratedKW: 500 }],
    ups: [{ id: 'UA', feed: 'F1', modules: 2, moduleKW: 200, redundantModules: 1, rideThroughS: 120 }, { id: 'UB', feed: 'F2', modules: 2, moduleKW: 200, redundantModules: 1 }],
    devices: [{ id: 'BA', kind: 'busway', from: 'UA', ratedKW: 100 }, { id: 'BB', kind: 'busway', from: 'UB', ratedKW: bKW }],
    racks: [{ row: 'R', a: 'BA', b: 'BB', pdu: { ratedKW: 60 } }],
  };
  return { t, spec };
}

describe('the plant (core/plant.ts)', () => {
  it('derives the default site’s budgets from its plant: racks 40.8 kW (one PDU at 80 %), row D limited by its busway', () => {
    const b = firmBudgets(plant, site);
    expect(Array.from(b.rowKW)).toEqual([408, 408, 408, 313.8]);
    expect(b.limitedBy[3]).toBe('BW-D-A');
    expect(b.rackKW[0]).toBeCloseTo(40.8, 6);
    // The resolved topology carries them (typed and derived agree for the default site).
    expect(site.rows.map((r) => r.budgetKW)).toEqual([408, 408, 408, 313.8]);
    expect(site.racks[35]!.budgetKW).toBeCloseTo(31.38, 6);
  });

  it('splits each rack over its live sides; a lost side moves everything to the other; both lost: the rack is lost', () => {
    const rackKW = new Float64Array(site.racks.length).fill(30);
    const s = healthyState(plant);
    const l = plantLoads(plant, s, rackKW).nodeKW;
    expect(l[idx('A01/PDU-A')]).toBe(15);
    expect(l[idx('BW-A-A')]).toBe(150);
    expect(l[idx('UPS1')]).toBe(600);
    expect(l[idx('U1')]).toBe(600);
    s.out[idx('UPS1')] = 1;
    const f = plantLoads(plant, s, rackKW);
    expect(f.nodeKW[idx('BW-A-B')]).toBe(300);
    expect(f.nodeKW[idx('UPS2')]).toBe(1200);
    expect(f.racksLost).toEqual([]);
    // And the other way round.
    const other = healthyState(plant);
    other.out[idx('SB2')] = 1;
    expect(plantLoads(plant, other, rackKW).nodeKW[idx('BW-D-A')]).toBe(300);
    expect(plantLoads(plant, other, rackKW).nodeKW[idx('BW-D-B')]).toBe(0);
    s.out[idx('BW-C-B')] = 1;
    expect(plantLoads(plant, s, rackKW).racksLost.map((r) => site.racks[r]!.id)).toEqual(['C01', 'C02', 'C03', 'C04', 'C05', 'C06', 'C07', 'C08', 'C09', 'C10']);
  });

  it('trips like IEC 60898-1 breakers (none ≤ 1.13 In, 30 s at 2.55 In, instantaneous from 10 In on curve C) and UPS overload tolerance', () => {
    const s = healthyState(plant);
    const bw = idx('BW-A-A');
    const rated = plant.ratedKW[bw]!;
    expect(secondsToTrip(plant, s, bw, rated * 1.13)).toBeNull();
    expect(secondsToTrip(plant, s, bw, rated * 2.55)).toBeCloseTo(30, 6);
    const t145 = secondsToTrip(plant, s, bw, rated * 1.45)!;
    expect(t145).toBeGreaterThan(30);
    expect(t145).toBeLessThan(3600);
    expect(secondsToTrip(plant, s, bw, rated * 10)).toBe(0.01);
    const ups = idx('UPS1');
    expect(secondsToTrip(plant, s, ups, 2200)).toBeNull();
    expect(secondsToTrip(plant, s, ups, 2200 * 1.2)).toBe(60);
    expect(secondsToTrip(plant, s, ups, 2200 * 2)).toBe(0.2);
  });

  it('lists every single failure of the default plant; at nameplate load every one is survivable (2N)', () => {
    const nameplate = new Float64Array(site.racks.length).fill(36.4);
    const shed = { lowKW: new Float64Array(site.racks.length).fill(12), highKW: new Float64Array(site.racks.length).fill(12) };
    const cs = contingencies(plant, site, nameplate, shed, LAT);
    // Every device, one module of each UPS, one CRAH unit.
    expect(cs).toHaveLength(plant.ids.length + 3);
    expect(new Set(cs.map((c) => c.device))).toEqual(new Set([...plant.ids, 'UPS1/module', 'UPS2/module', 'CRAH-1/unit']));
    expect(cs.every((c) => c.inTime && c.racksLost.length === 0)).toBe(true);
    // Row D at nameplate on one busway: above its continuous limit but below its rating: nothing trips.
    expect(cs.find((c) => c.device === 'BW-D-A')!.overloads).toEqual([]);
  });

  it('an undersized B busway: losing A overloads it; the response sheds exactly the excess, low priority first, and lands before the trip', () => {
    const { t, spec } = small(50);
    const p = resolvePlant(PlantSpecSchema.parse(spec), t);
    const rackKW = [30, 30];
    const shed = { lowKW: [10, 10], highKW: [10, 10] };
    const c = contingencies(p, t, rackKW, shed, LAT).find((x) => x.device === 'BA')!;
    expect(c.overloads).toEqual([{ device: 'BB', kind: 'busway', loadKW: 60, ratedKW: 50, pct: 120, secondsToTrip: expect.any(Number) }]);
    const trip = c.overloads[0]!.secondsToTrip!;
    expect(trip).toBeCloseTo((30 * (2.55 ** 2 - 1.13 ** 2)) / (1.2 ** 2 - 1.13 ** 2), 1);
    expect(c.response).toMatchObject({ capsKW: 10, path: 'outOfBand', landsInS: 40, byRow: [{ row: 'R', kW: 10 }] });
    expect(c.inTime).toBe(trip > 40);
    // Losing the B side puts everything on A (rated 100 kW): no overload.
    expect(contingencies(p, t, rackKW, shed, LAT).find((x) => x.device === 'BB')!.overloads).toEqual([]);
  });

  it('when caps would land too late, the brake is the response; when nothing lands in time, it says so', () => {
    const { t, spec } = small(25);
    const p = resolvePlant(PlantSpecSchema.parse(spec), t);
    // 60 kW on a 25 kW busway: 2.4 × In → ~34 s, before out-of-band caps (40 s) but after the brake (5 s).
    const c = contingencies(p, t, [30, 30], { lowKW: [20, 20], highKW: [10, 10] }, LAT).find((x) => x.device === 'BA')!;
    expect(c.overloads[0]!.secondsToTrip!).toBeLessThan(40);
    expect(c.response.path).toBe('brake');
    expect(c.inTime).toBe(true);
    const slow = contingencies(p, t, [30, 30], { lowKW: [20, 20], highKW: [10, 10] }, { capS: 40, capPath: 'outOfBand', brakeS: 60 }).find((x) => x.device === 'BA')!;
    expect(slow.inTime).toBe(false);
    // A lost feed: its UPS rides through on battery first (120 s) before the other side takes the load.
    const feed = contingencies(p, t, [30, 30], { lowKW: [20, 20], highKW: [10, 10] }, LAT).find((x) => x.device === 'F1')!;
    expect(feed.overloads[0]!.secondsToTrip!).toBeGreaterThan(120);
    expect(feed.response.path).toBe('outOfBand');
  });

  it('names what is wrong in a plant: an unknown supply, a device straight on a feed, a loop, a UPS with no working module, an unfed rack', () => {
    const { t, spec } = small(50);
    const bad = (f: (s: PlantSpecInput) => void) => {
      const s = structuredClone(spec);
      f(s);
      return () => resolvePlant(PlantSpecSchema.parse(s), t);
    };
    expect(bad((s) => (s.devices![1]!.from = 'UX'))).toThrow(/BB: its supply "UX" is not a device of the plant/);
    expect(bad((s) => (s.devices![1]!.from = 'F2'))).toThrow(/runs straight from feed "F2"/);
    expect(bad((s) => s.devices!.push({ id: 'L1', kind: 'breaker', from: 'L2', ratedKW: 1 }, { id: 'L2', kind: 'breaker', from: 'L1', ratedKW: 1 }))).toThrow(/loops back on itself/);
    expect(bad((s) => (s.ups[0]!.redundantModules = 2))).toThrow(PlantError);
    expect(bad((s) => (s.racks[0]!.racks = ['R01']))).toThrow(/rack R02 has no supply/);
    expect(bad((s) => (s.racks[0]!.row = 'Q'))).toThrow(/no row "Q"/);
  });
});
