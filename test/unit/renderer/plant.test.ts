import { describe, expect, it } from 'vitest';
import { contingencyLines, maintainableDevices, timelineLine, verdict } from '../../../renderer/model/plant.js';
import { defaultTopologySpec, resolveTopology } from '../../../main/core/topology.js';
import type { Contingency } from '../../../shared/domain/plant.js';

const c = (o: Partial<Contingency>): Contingency => ({
  device: 'X',
  kind: 'busway',
  overloads: [],
  racksLost: [],
  response: { capsKW: 0, costPct: 0, path: 'none', landsInS: 0, byRow: [] },
  inTime: true,
  ...o,
});

describe('the Plant view’s model', () => {
  it('offers feeds, UPS, one UPS module, distribution devices and one CRAH unit for maintenance, not the rack PDUs', () => {
    const ids = maintainableDevices(resolveTopology(defaultTopologySpec(1)).plant).map((d) => d.id);
    expect(ids).toEqual(['U1', 'U2', 'UPS1', 'UPS1/module', 'UPS2', 'UPS2/module', 'SB1', 'SB2', 'BW-A-A', 'BW-A-B', 'BW-B-A', 'BW-B-B', 'BW-C-A', 'BW-C-B', 'BW-D-A', 'BW-D-B', 'CRAH-1/unit']);
    expect(maintainableDevices(undefined)).toEqual([]);
  });
  it('ranks unsafe first (late or racks lost), then armed (overload answered in time) by time to trip; hides the harmless', () => {
    const late = c({ device: 'BA', overloads: [{ device: 'BB', kind: 'busway', loadKW: 60, ratedKW: 25, pct: 240, secondsToTrip: 35 }], response: { capsKW: 35, costPct: 4.2, path: 'outOfBand', landsInS: 40, byRow: [{ row: 'R', kW: 35 }] }, inTime: false });
    const armed = c({ device: 'BC', overloads: [{ device: 'BD', kind: 'busway', loadKW: 60, ratedKW: 50, pct: 120, secondsToTrip: 961 }], response: { capsKW: 10, costPct: 1.1, path: 'outOfBand', landsInS: 40, byRow: [{ row: 'R', kW: 10 }] } });
    const lost = c({ device: 'UPS1', racksLost: ['A01', 'A02', 'A03', 'A04'] });
    const fine = c({ device: 'U2' });
    expect([late, armed, lost, fine].map(verdict)).toEqual(['unsafe', 'armed', 'unsafe', 'ok']);
    const lines = contingencyLines([fine, armed, lost, late]);
    // Unsafe first, the most racks lost first; then armed.
    expect(lines.map((l) => l.device)).toEqual(['UPS1', 'BA', 'BC']);
    expect(lines[1]).toMatchObject({ effect: 'BB at 240 % trips in 35 s', response: 'cap 35 kW (R 35), lands in 40 s', cost: '−4.2 %', firstTripS: 35 });
    expect(lines[0]).toMatchObject({ effect: '4 racks lose all supply (A01, A02, A03 …)', response: 'none can help: racks have no supply', cost: '' });
    expect(contingencyLines([fine], false)).toEqual([expect.objectContaining({ device: 'U2', verdict: 'ok', effect: 'nothing overloads' })]);
  });
});

describe('timeline lines (recordings)', () => {
  const ev = (kind: string, subject: string, body: Record<string, unknown>) => ({ tMs: 0, seq: 0, kind, subject, body });
  it('names maintenance windows, failures and armed responses by device; budgets in kW', () => {
    expect(timelineLine(ev('scenario', 'site', { by: 'oli', event: { kind: 'deviceFailure', devices: ['UPS2'], maintenance: true, durationS: 7200 } }))).toBe('maintenance window: UPS2 for 2 h (oli)');
    expect(timelineLine(ev('scenario', 'site', { event: { kind: 'deviceFailure', devices: ['UPS1/module'], maintenance: false } }))).toBe('failure: UPS1/module');
    expect(timelineLine(ev('armed', 'UPS1/module', { capsKW: 62.1, gpus: 640 }))).toBe('armed response: UPS1/module out → caps 62.1 kW on 640 GPUs');
    expect(timelineLine(ev('armed', 'UPS1/module', { lifted: true }))).toBe('armed response lifted: UPS1/module back');
    expect(timelineLine(ev('budget', 'C', { budgetKW: 275 }))).toBe('budget C: 275 kW');
    expect(timelineLine(ev('stage', 'C', { stage: 'brake' }))).toBe('stage C');
  });
});
