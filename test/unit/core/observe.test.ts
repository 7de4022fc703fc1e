import { describe, expect, it } from 'vitest';
import { observe } from '../../../main/core/observe.js';
import { DEFAULT_ALERT_RULES } from '../../../shared/domain/alerts.js';
import { defaultTopology, H100 } from '../../helpers.js';

describe('alert observations', () => {
  const t = defaultTopology();
  const state = (pctD: number, hotGpu = -1, staleMs = 0) => ({
    rowW: Float64Array.from(t.rows, (r, i) => (i === 3 ? (r.budgetKW * 1000 * pctD) / 100 : r.budgetKW * 500)),
    rowBudgetKW: Float64Array.from(t.rows, (r) => r.budgetKW),
    tempC: Float64Array.from({ length: t.gpuCount }, (_, g) => (g === hotGpu ? H100.slowdownC - 2 : 60)),
    gpuModel: new Int32Array(t.gpuCount),
    sources: [{ id: 'sim', kind: 'sim' as const, state: 'up' as const, lastSampleAgeMs: staleMs, errors: 0 }],
  });

  it('a row reports only the highest power threshold it exceeds', () => {
    expect(observe(t, DEFAULT_ALERT_RULES, state(85)).map((o) => o.rule.id)).toEqual(['rowPower80']);
    expect(observe(t, DEFAULT_ALERT_RULES, state(95)).map((o) => o.rule.id)).toEqual(['rowPower90']);
    const over = observe(t, DEFAULT_ALERT_RULES, state(104));
    expect(over.map((o) => `${o.rule.id}:${o.subject.id}`)).toEqual(['rowPower100:D']);
    expect(over[0]!.value).toBe(104);
    expect(observe(t, DEFAULT_ALERT_RULES, state(50))).toEqual([]);
  });

  it('names a GPU within 5 °C of slowdown and a silent source', () => {
    const obs = observe(t, DEFAULT_ALERT_RULES, state(50, 17, 9000));
    expect(obs.map((o) => `${o.rule.id}:${o.subject.id}`)).toEqual(['gpuNearSlowdown:A01-S3-G2', 'sourceStale:sim']);
    expect(obs[0]!.summary).toMatch(/87\.0 °C, within 5 °C of slowdown \(89 °C\)/);
  });

  it('a burst of ticks the store dropped is one store alert saying how many were lost', () => {
    expect(observe(t, DEFAULT_ALERT_RULES, { ...state(50), storeDrops: null })).toEqual([]);
    const [o, ...rest] = observe(t, DEFAULT_ALERT_RULES, { ...state(50), storeDrops: { fromMs: 0, lastMs: 5000, ticks: 37 } });
    expect(rest).toEqual([]);
    expect(o).toMatchObject({ subject: { kind: 'store', id: 'telemetry' }, row: null, value: 37, unit: 'ticks', rule: { id: 'storeDropped', severity: 'warning' } });
    expect(o!.summary).toMatch(/^Telemetry store fell behind: 37 ticks not stored/);
  });

  it('unsafe single failures: one alert per upstream device (how long, or how many racks), one for all single rack PDUs', () => {
    const resp = { capsKW: 0, costPct: 0, path: 'none' as const, landsInS: 0, byRow: [] };
    const obs = observe(t, DEFAULT_ALERT_RULES, {
      ...state(50),
      contingencyUnsafe: [
        { device: 'BA', kind: 'busway', overloads: [{ device: 'BB', kind: 'busway', loadKW: 60, ratedKW: 25, pct: 240, secondsToTrip: 35 }], racksLost: [], response: { ...resp, capsKW: 35, path: 'outOfBand', landsInS: 40 }, inTime: false },
        { device: 'UPS1', kind: 'ups', overloads: [], racksLost: ['A01', 'A02'], response: resp, inTime: true },
        { device: 'A01/PDU-A', kind: 'rackPdu', overloads: [], racksLost: ['A01'], response: resp, inTime: true },
        { device: 'A02/PDU-A', kind: 'rackPdu', overloads: [], racksLost: ['A02'], response: resp, inTime: true },
      ],
    }).filter((o) => o.rule.id === 'contingencyUnsafe');
    expect(obs.map((o) => [o.subject.id, o.value, o.unit, o.summary])).toEqual([
      ['BA', 35, 's', 'If BA fails now: BB at 240 % trips in 35 s; the response (outOfBand, 35 kW) lands in 40 s; not survivable in time'],
      ['UPS1', 2, 'racks', 'If UPS1 fails now: 2 racks would lose all supply; not survivable in time'],
      ['rack PDUs', 2, 'racks', '2 racks run on one live PDU (A01, A02): losing it drops the rack'],
    ]);
    expect(obs.every((o) => o.rule.severity === 'critical' && o.subject.kind === 'plant')).toBe(true);
  });
});
