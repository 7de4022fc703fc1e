import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { MetersSchema, PrometheusSourceSchema } from '../../../shared/domain/sources.js';
import { meterQueryCount, queryMeters, type MeterQueryOutcome, type PromSeries } from '../../../main/sources/promMeters.js';
import { loadSourcesFile } from '../../../main/sources/sourcesFile.js';
import { tempDir } from '../../helpers.js';

const NOW_MS = 1_717_000_000_000;
const T = NOW_MS / 1000 - 2;

/** A fake Prometheus: query text → series (a query it does not know is refused like bad PromQL). */
function fakeRun(table: Record<string, PromSeries[]>, seen: string[] = []) {
  return async (name: string, expr: string): Promise<MeterQueryOutcome> => {
    seen.push(expr);
    const series = table[expr];
    if (!series) return { ok: false, cancelled: false, error: `${name} query "${expr}" at http://prom/api/v1/query: Prometheus refused it (HTTP 400, bad_data): unknown` };
    return { ok: true, series };
  };
}

const pdu = (rack: string, side: string | null, value: string, t = T): PromSeries => ({ metric: { __name__: 'rPDU2DeviceStatusPower', job: 'pdu', rack, ...(side ? { side } : {}) }, value: [t, value] });
const stamp = (s: PromSeries, sampledS: number): PromSeries => ({ metric: Object.fromEntries(Object.entries(s.metric).filter(([k]) => k !== '__name__')), value: [T, String(sampledS)] });

describe('meter config', () => {
  it('defaults to snmp_exporter apcups rPDU2DeviceStatusPower (hundredths of a kW) labelled by rack', () => {
    const m = MetersSchema.parse({ racks: {} });
    expect(m.racks).toEqual({ query: 'rPDU2DeviceStatusPower', unit: 'kW', multiplier: 0.01, rackLabel: 'rack', pdusPerRack: 1 });
    expect(meterQueryCount(m)).toBe(2);
    expect(meterQueryCount(undefined)).toBe(0);
  });

  it("the README's sources example with meters loads as written", () => {
    const block = [...readFileSync('README.md', 'utf8').matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!).find((b) => b.includes('meters:'))!;
    const tmp = tempDir();
    try {
      // The block is indented under its list item in the README.
      writeFileSync(tmp.file('sources.yaml'), block.replace(/^ {3}/gm, ''));
      const [src] = loadSourcesFile(tmp.file('sources.yaml'));
      expect(src?.kind === 'prometheus' && src.meters).toEqual({
        racks: { query: 'rPDU2DeviceStatusPower', unit: 'kW', multiplier: 0.01, rackLabel: 'rack', sideLabel: 'side', pdusPerRack: 2 },
        circuits: { query: 'busway_active_power_kw', unit: 'kW', multiplier: 1, label: 'breaker', rows: { 'RPP1-CB1': 'A', 'RPP1-CB2': 'A' } },
      });
    } finally {
      tmp.cleanup();
    }
  });

  it('refuses an empty meters block, and two PDUs per rack without a label telling them apart', () => {
    const empty = MetersSchema.safeParse({});
    expect(empty.success).toBe(false);
    expect(empty.error?.issues[0]?.message).toBe('meters needs racks, circuits or both');
    const two = PrometheusSourceSchema.safeParse({ kind: 'prometheus', id: 'p', url: 'http://prom:9090', meters: { racks: { pdusPerRack: 2 } } });
    expect(two.success).toBe(false);
    expect(two.error?.issues[0]).toMatchObject({ path: ['meters', 'racks', 'sideLabel'], message: '2 PDUs per rack need a sideLabel that tells them apart' });
    expect(MetersSchema.safeParse({ racks: { rackLabel: '0rack' } }).success).toBe(false);
  });
});

describe('queryMeters', () => {
  const cfg = MetersSchema.parse({ racks: { sideLabel: 'side', pdusPerRack: 2 }, circuits: { query: 'busway_power_kw', label: 'breaker', rows: { 'RPP1-CB1': 'A', 'RPP1-CB2': 'A', 'RPP2-CB1': 'B' } } });

  it('sums a rack’s two PDUs (hundredths of a kW), reads circuits per row, stamps with the oldest sample time', async () => {
    const racks = [pdu('A01', 'A', '325'), pdu('A01', 'B', '325'), pdu('A02', 'A', '400'), pdu('A02', 'B', '410')];
    const circuits: PromSeries[] = [
      { metric: { breaker: 'RPP1-CB1' }, value: [T, '6.5'] },
      { metric: { breaker: 'RPP1-CB2' }, value: [T, '7'] },
      { metric: { breaker: 'RPP2-CB1' }, value: [T, '4'] },
    ];
    const seen: string[] = [];
    const run = fakeRun({
      rPDU2DeviceStatusPower: racks,
      'timestamp(rPDU2DeviceStatusPower)': racks.map((s, i) => stamp(s, T - i)),
      busway_power_kw: circuits,
      'timestamp(busway_power_kw)': circuits.map((s) => stamp(s, T)),
    }, seen);
    const r = await queryMeters(cfg, run, () => NOW_MS, 150);
    expect(seen.sort()).toEqual(['busway_power_kw', 'rPDU2DeviceStatusPower', 'timestamp(busway_power_kw)', 'timestamp(rPDU2DeviceStatusPower)']);
    expect(r.problems).toEqual([]);
    expect(r.sampleTimes).toBeNull();
    expect(r.meters.racks.map((x) => [x.id, x.kW, x.tMs])).toEqual([
      ['A01', 6.5, (T - 1) * 1000],
      ['A02', 8.1, (T - 3) * 1000],
    ]);
    expect(r.meters.rows.map((x) => [x.id, x.kW])).toEqual([
      ['A', 13.5],
      ['B', 4],
    ]);
  });

  it('leaves out a rack missing a side, an invalid or stale PDU, a row missing a circuit; counts unlabelled, duplicate and unmapped series', async () => {
    const racks: PromSeries[] = [
      pdu('A01', 'A', '325'), // side B missing
      pdu('A02', 'A', 'NaN'),
      pdu('A02', 'B', '300'),
      pdu('A03', 'A', '-1'), // APC's "not supported"
      pdu('A03', 'B', '300'),
      pdu('A04', 'A', '300'),
      pdu('A04', 'B', '300'),
      pdu('A05', 'A', '300'),
      pdu('A05', 'A', '301'), // scraped twice
      pdu('A05', 'B', '300'),
      { metric: { side: 'A' }, value: [T, '1'] },
    ];
    const times = racks.map((s) => stamp(s, s.metric.rack === 'A04' && s.metric.side === 'B' ? NOW_MS / 1000 - 600 : T));
    const circuits: PromSeries[] = [
      { metric: { breaker: 'RPP1-CB1' }, value: [T, '6.5'] },
      { metric: { breaker: 'RPP2-CB1' }, value: [T, '4'] },
      { metric: { breaker: 'RPP9-CB9' }, value: [T, '1'] },
    ];
    const run = fakeRun({ rPDU2DeviceStatusPower: racks, 'timestamp(rPDU2DeviceStatusPower)': times, busway_power_kw: circuits });
    const r = await queryMeters(cfg, run, () => NOW_MS, 150);
    expect(r.meters.racks.map((x) => x.id)).toEqual(['A05']);
    expect(r.meters.rows.map((x) => x.id)).toEqual(['B']);
    expect(r.problems).toEqual([
      'rack meters query "rPDU2DeviceStatusPower": 1 series without the rack label ignored',
      'rack meters query "rPDU2DeviceStatusPower": 1 duplicate series for the same PDU ignored (kept the first; scraped twice?)',
      'rack meters: 4 racks not metered this round: A01 (1 of 2 PDUs reported), A02 (side A value is NaN), A03 (side A value -1 is negative), A04 (side B newest sample is 600 s old (limit 150 s))',
      'circuit meters query "busway_power_kw": circuit RPP9-CB9 not mapped to a row: ignored',
      'circuit meters: 1 row not metered this round: A (1 of 2 circuits reported)',
    ]);
    // The circuits' sample times could not be asked: their readings carry the evaluation time, and it is said.
    expect(r.sampleTimes).toBe('Prometheus refused it (HTTP 400, bad_data): unknown');
  });

  it('a failed meter query is one counted problem, and the other meters are still read', async () => {
    const racks = [pdu('A01', 'A', '325'), pdu('A01', 'B', '325')];
    const r = await queryMeters(cfg, fakeRun({ rPDU2DeviceStatusPower: racks, 'timestamp(rPDU2DeviceStatusPower)': racks.map((s) => stamp(s, T)) }), () => NOW_MS, 150);
    expect(r.meters.racks.map((x) => x.id)).toEqual(['A01']);
    expect(r.meters.rows).toEqual([]);
    expect(r.problems).toEqual(['circuit meters query "busway_power_kw" at http://prom/api/v1/query: Prometheus refused it (HTTP 400, bad_data): unknown; circuit meters not read this round']);
  });

  it('one PDU per rack without a side label; a W meter scaled to kW; the label value is the row without a circuit map', async () => {
    const m = MetersSchema.parse({ racks: { query: 'pdu_input_power_watts', unit: 'W', multiplier: 1 }, circuits: { query: 'row_kw', label: 'row' } });
    const run = fakeRun({ pdu_input_power_watts: [{ metric: { rack: 'A01' }, value: [T, '6500'] }], row_kw: [{ metric: { row: 'A' }, value: [T, '13'] }] });
    const r = await queryMeters(m, run, () => NOW_MS, 150);
    expect(r.meters.racks).toEqual([{ id: 'A01', kW: 6.5, tMs: T * 1000 }]);
    expect(r.meters.rows).toEqual([{ id: 'A', kW: 13, tMs: T * 1000 }]);
    expect(r.sampleTimes).toMatch(/unknown$/);
  });
});
