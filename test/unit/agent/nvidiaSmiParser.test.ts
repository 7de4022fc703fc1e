import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NVIDIA_SMI_QUERY, NVIDIA_SMI_QUERY_FIELDS, parseNvidiaSmiCsvWithHeader, parseNvidiaSmiQuery } from '../../../main/agent/nvidiaSmiParser.js';

const fixture = (f: string): string => readFileSync(new URL(`../../fixtures/gpu/${f}`, import.meta.url), 'utf8');
/** The capture sections hold `#` banner lines around nvidia-smi's own output. */
const captureCsv = (f: string): string => fixture(f).split('\n').filter((l) => !l.startsWith('#')).join('\n');

const expected = {
  'h100-idle': { name: 'NVIDIA H100 80GB HBM3', powerW: 69.85, powerInstantW: 69.62, tempC: 41, memTempC: 48, smClockMHz: 345, utilPct: 0, clockEventMask: 1, clockEvents: ['gpuIdle'] },
  'h100-load': { name: 'NVIDIA H100 80GB HBM3', powerW: 631.95, powerInstantW: 625.68, tempC: 59, memTempC: 54, smClockMHz: 1980, utilPct: 100, clockEventMask: 0, clockEvents: [] },
  'h200-idle': { name: 'NVIDIA H200', powerW: 77.71, powerInstantW: 78.21, tempC: 28, memTempC: 32, smClockMHz: 345, utilPct: 0, clockEventMask: 1, clockEvents: ['gpuIdle'] },
  'h200-load': { name: 'NVIDIA H200', powerW: 627.4, powerInstantW: 626.26, tempC: 52, memTempC: 40, smClockMHz: 1980, utilPct: 100, clockEventMask: 0, clockEvents: [] },
} as const;
const common = { index: 0, uuid: 'GPU-00000000-0000-0000-0000-000000000000', limitW: 700, enforcedLimitW: 700, minLimitW: 200, maxLimitW: 700, maxSmClockMHz: 1980, valid: true, invalidReasons: [] };

const ROW = '0, GPU-x, NVIDIA H100 80GB HBM3, 69.85, 69.62, 700.00, 700.00, 200.00, 700.00, 41, 48, 345, 1980, 0, 0x0000000000000004';

describe('nvidia-smi query parser', () => {
  it('exports the exact query', () => {
    expect(NVIDIA_SMI_QUERY).toBe(
      '--query-gpu=index,uuid,name,power.draw,power.draw.instant,power.limit,enforced.power.limit,power.min_limit,power.max_limit,temperature.gpu,temperature.memory,clocks.sm,clocks.max.sm,utilization.gpu,clocks_event_reasons.active --format=csv,noheader,nounits',
    );
    expect(NVIDIA_SMI_QUERY_FIELDS).toHaveLength(15);
  });

  it.each(Object.entries(expected))('%s: stand-in query CSV and the capture’s own 212-field CSV give the same reading', (k, want) => {
    const q = parseNvidiaSmiQuery(fixture(`${k}.query.csv`));
    const h = parseNvidiaSmiCsvWithHeader(captureCsv(`${k}.capture-query-gpu.txt`));
    if (!q.ok || !h.ok) throw new Error(JSON.stringify([q, h]));
    expect(q.readings).toHaveLength(1);
    expect(q.readings[0]).toMatchObject({ ...common, ...want, line: 1 });
    expect(h.readings[0]).toMatchObject({ ...common, ...want, line: 2 });
    expect({ ...h.readings[0], line: 0 }).toEqual({ ...q.readings[0], line: 0 });
  });

  it('handles [N/A], [Not Supported] and decodes the hex mask', () => {
    const row = '1, GPU-y, NVIDIA H200, 100.5, [N/A], 700.00, [Not Supported], 200.00, 700.00, 35, [N/A], 1200, 1980, 50, 0x0000000000000044';
    const r = parseNvidiaSmiQuery(`${ROW}\n${row}\n`);
    if (!r.ok) throw new Error(r.error.message);
    expect(r.readings[0]!.clockEvents).toEqual(['swPowerCap']);
    expect(r.readings[1]).toMatchObject({ index: 1, powerInstantW: null, enforcedLimitW: null, memTempC: null, clockEventMask: 0x44, clockEvents: ['swPowerCap', 'hwThermal'], valid: true, line: 2 });
    // Headroom's own flag bits cannot be forged by a device
    const forged = parseNvidiaSmiQuery(ROW.replace('0x0000000000000004', '0x0000000000010004'));
    expect(forged.ok && forged.readings[0]!.clockEvents).toEqual(['swPowerCap']);
  });

  it('malformed rows give their line number; a header line in noheader mode is rejected', () => {
    expect(parseNvidiaSmiQuery(`${ROW}\n${ROW}\n0, GPU-z, 1, 2\n`)).toMatchObject({ ok: false, error: { line: 3, message: expect.stringMatching(/expected 15 fields, found 4/) } });
    expect(parseNvidiaSmiQuery(`${NVIDIA_SMI_QUERY_FIELDS.join(', ')}\n${ROW}`)).toMatchObject({ ok: false, error: { line: 1 } });
    expect(parseNvidiaSmiCsvWithHeader('index, power.draw [W]\n0, 1 W\n0, 1, 2')).toMatchObject({ ok: false, error: { line: 3 } });
    expect(parseNvidiaSmiCsvWithHeader('foo, bar\n1, 2')).toMatchObject({ ok: false, error: { line: 1 } });
    expect(parseNvidiaSmiQuery(`${ROW}\n`.repeat(5), { maxRows: 4 })).toMatchObject({ ok: false, error: { line: 5 } });
    expect(parseNvidiaSmiQuery(ROW, { maxBytes: 10 })).toMatchObject({ ok: false, error: { line: 0 } });
  });

  it.each([
    ['power.draw', 3, 'NaN', /powerW is NaN/],
    ['power.draw', 3, '-1', /negative/],
    ['power.draw', 3, '1400.01', /exceeds 1400 W/],
    ['power.draw', 3, 'abc', /not a number/],
    ['temperature.gpu', 9, '151', /outside/],
    ['temperature.gpu', 9, '-21', /outside/],
    ['utilization.gpu', 13, '101', /outside 0…100/],
    ['clocks.sm', 11, 'inf', /\+Inf/],
    ['power.limit (enforced)', 6, '-700', /limitW -700 is not positive/],
    ['clocks_event_reasons.active', 14, '0xZZ', /not a hex mask/],
    ['index', 0, 'x', /not a GPU index/],
  ])('%s = %s is flagged invalid and counted', (_f, col, v, reason) => {
    const cells = ROW.split(', ');
    cells[col] = v;
    const r = parseNvidiaSmiQuery(cells.join(', '));
    if (!r.ok) throw new Error(r.error.message);
    expect(r.readings[0]!.valid).toBe(false);
    expect(r.readings[0]!.invalidReasons.join(';')).toMatch(reason);
    expect(r.invalidReadings).toBe(1);
  });

  it('fuzz: arbitrary text and bad numeric cells — 0 throws, every bad value counted, none valid', () => {
    let tried = 0;
    let throws = 0;
    const safe = (f: () => void): void => {
      tried++;
      try {
        f();
      } catch {
        throws++;
      }
    };
    fc.assert(
      fc.property(fc.string({ maxLength: 300, unit: 'binary' }), (s) =>
        safe(() => {
          parseNvidiaSmiQuery(s);
          parseNvidiaSmiCsvWithHeader(s);
        }),
      ),
      { numRuns: 5_000, seed: 11 },
    );
    const cols = { 3: 'power', 9: 'temp', 11: 'clock', 13: 'util' } as const;
    const badVal = fc.constantFrom('NaN', 'inf', '-inf', '-1', '-0.001', '1e9', '151', '-21', '101', '1401');
    const isBad = (kind: string, v: string): boolean => {
      const n = Number(v.replace(/inf/i, 'Infinity'));
      if (!Number.isFinite(n)) return true;
      if (kind === 'power') return n < 0 || n > 1400;
      if (kind === 'temp') return n < -20 || n > 150;
      if (kind === 'clock') return n < 0 || n > 10_000;
      return n < 0 || n > 100;
    };
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.constantFrom(3, 9, 11, 13), badVal), { minLength: 1, maxLength: 8 }), (edits) =>
        safe(() => {
          const rows: string[] = [];
          let expectInvalid = 0;
          for (const [col, v] of edits) {
            const cells = ROW.split(', ');
            cells[col] = v;
            rows.push(cells.join(', '));
            if (isBad(cols[col], v)) expectInvalid++;
          }
          const r = parseNvidiaSmiQuery(rows.join('\n'));
          if (!r.ok) throw new Error(r.error.message);
          expect(r.invalidReadings).toBe(expectInvalid);
          for (const x of r.readings) if (x.valid) expect([x.powerW, x.tempC, x.smClockMHz, x.utilPct].every((n) => Number.isFinite(n))).toBe(true);
        }),
      ),
      { numRuns: 3_000, seed: 12 },
    );
    console.info(`nvidia-smi parser: ${tried.toLocaleString('en-US')} fuzz inputs, ${throws} throws`);
    expect(throws).toBe(0);
  });
});
