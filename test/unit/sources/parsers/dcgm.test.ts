import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseDcgmExporter } from '../../../../main/sources/parsers/dcgm.js';

const DCGM = readFileSync(new URL('../../../fixtures/gpu/dcgm-exporter-sample.txt', import.meta.url), 'utf8');
const L = 'gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3",Hostname="n1"';
const L49 = 'gpu="0",UUID="GPU-a",modelName="NVIDIA H100 80GB HBM3",hostname="n1"';

describe('dcgm-exporter mapping', () => {
  it('maps the real 8×H100 sample', () => {
    const r = parseDcgmExporter(DCGM);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.readings).toHaveLength(8);
    const g0 = r.readings[0]!;
    expect(g0).toMatchObject({ gpu: 0, uuid: 'GPU-c4529c8d-69c4-b61d-e0bc-7b2460096005', hostname: 'gpu-node-1', modelName: 'NVIDIA H100 80GB HBM3', tempC: 30, smClockMHz: null, valid: true });
    expect(g0.powerW).toBeGreaterThan(0);
    expect(r.invalidReadings).toBe(0);
    expect(r.unmappedSamples).toBe(6); // MEM_COPY_UTIL for GPUs 0–5
    expect(r.schemas).toEqual(['legacy']);
    for (const g of r.readings) expect(g.utilPct).not.toBeNull();
  });

  it('4.9-style names and units map to the same reading as the legacy ones', () => {
    const legacy = [
      `DCGM_FI_DEV_POWER_USAGE{${L}} 629.45`,
      `DCGM_FI_DEV_GPU_TEMP{${L}} 59`,
      `DCGM_FI_DEV_SM_CLOCK{${L}} 1980`,
      `DCGM_FI_DEV_GPU_UTIL{${L}} 100`,
      `DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION{${L}} 123456789`,
      `DCGM_FI_DEV_POWER_MGMT_LIMIT{${L}} 700`,
      `DCGM_FI_DEV_CLOCK_THROTTLE_REASONS{${L}} 4`,
    ].join('\n');
    const v49 = [
      `DCGM_FI_DEV_POWER_USAGE_WATTS{${L49}} 629.45`,
      `DCGM_FI_DEV_GPU_TEMP_CELSIUS{${L49}} 59`,
      `DCGM_FI_DEV_SM_CLOCK_HZ{${L49}} 1980000000`,
      `DCGM_FI_DEV_GPU_UTIL_RATIO{${L49}} 1`,
      `DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION_JOULES{${L49}} 123456.789`,
      `DCGM_FI_DEV_POWER_MGMT_LIMIT_WATTS{${L49}} 700`,
      `DCGM_FI_DEV_CLOCKS_EVENT_REASONS{${L49}} 4`,
    ].join('\n');
    const a = parseDcgmExporter(legacy);
    const b = parseDcgmExporter(v49);
    if (!a.ok || !b.ok) throw new Error('parse failed');
    const strip = (x: (typeof a.readings)[number]) => ({ ...x, energyJ: Math.round(x.energyJ! * 1000) / 1000, smClockMHz: Math.round(x.smClockMHz!) });
    expect(strip(b.readings[0]!)).toEqual(strip(a.readings[0]!));
    expect(a.readings[0]).toMatchObject({ powerW: 629.45, tempC: 59, smClockMHz: 1980, utilPct: 100, limitW: 700, clockEventMask: 4, clockEvents: ['swPowerCap'], valid: true });
    expect(a.schemas).toEqual(['legacy']);
    expect(b.schemas).toEqual(['v4.9']);
  });

  it('caller aliases override or extend names', () => {
    const r = parseDcgmExporter(`X_POWER_MW{${L}} 500000\nDCGM_FI_DEV_GPU_TEMP{${L}} 40`, { aliases: { X_POWER_MW: { field: 'powerW', scale: 0.001, schema: 'v4.9' } } });
    expect(r.ok && r.readings[0]!.powerW).toBe(500);
  });

  it.each([
    ['NaN', /powerW is NaN/],
    ['+Inf', /powerW is \+Inf/],
    ['-Inf', /powerW is -Inf/],
    ['-5', /negative/],
    ['1401', /exceeds 1400 W/],
  ])('power %s is flagged invalid, kept and counted', (v, reason) => {
    const r = parseDcgmExporter(`DCGM_FI_DEV_POWER_USAGE{${L}} ${v}\nDCGM_FI_DEV_GPU_TEMP{${L}} 40\nDCGM_FI_DEV_ENFORCED_POWER_LIMIT{${L}} 700`);
    if (!r.ok) throw new Error('parse failed');
    expect(r.readings).toHaveLength(1);
    expect(r.readings[0]!.valid).toBe(false);
    expect(r.readings[0]!.invalidReasons.join(';')).toMatch(reason);
    expect(r.invalidReadings).toBe(1);
  });

  it('temperature outside −20…150 °C and missing power are invalid; duplicates counted', () => {
    const r = parseDcgmExporter(`DCGM_FI_DEV_GPU_TEMP{${L}} 151\nDCGM_FI_DEV_GPU_TEMP{${L}} 40\nDCGM_FI_DEV_GPU_TEMP{gpu="1",UUID="GPU-b"} -21`);
    if (!r.ok) throw new Error('parse failed');
    expect(r.duplicateSamples).toBe(1);
    expect(r.invalidReadings).toBe(2);
    expect(r.readings.map((x) => x.invalidReasons.join(';'))).toEqual([expect.stringMatching(/tempC -21/), expect.stringMatching(/powerW missing;tempC 151 outside/)]);
  });

  it('a malformed body is rejected with its line', () => {
    const lines = DCGM.split('\n');
    lines[6] = lines[6]!.replace('} ', '}');
    const r = parseDcgmExporter(lines.join('\n'));
    expect(r).toMatchObject({ ok: false, error: { line: 7 } });
  });

  it('fuzz: NaN/Inf/negative/impossible values injected into the real sample are all counted, none valid', () => {
    const lines = DCGM.trimEnd().split('\n');
    const bad = fc.constantFrom('NaN', '+Inf', '-Inf', '-1', '-0.5', '1e9', '5000', '151', '-21', '101');
    let tried = 0;
    let throws = 0;
    fc.assert(
      fc.property(fc.uniqueArray(fc.nat({ max: lines.length - 1 }), { minLength: 1, maxLength: 10 }), fc.array(bad, { minLength: 10, maxLength: 10 }), (idx, vals) => {
        tried++;
        const body = [...lines];
        const hit = new Set<string>();
        idx.forEach((i, k) => {
          const line = body[i]!;
          const name = line.slice(0, line.indexOf('{'));
          const v = vals[k]!;
          const n = Number(v.replace('Inf', 'Infinity'));
          const isBad =
            name === 'DCGM_FI_DEV_MEM_COPY_UTIL' ? false // not mapped
            : !Number.isFinite(n) ? true
            : name === 'DCGM_FI_DEV_POWER_USAGE' ? n < 0 || n > 2400 // no limit in the sample: 2 × 1.2 kW
            : name === 'DCGM_FI_DEV_GPU_TEMP' ? n < -20 || n > 150
            : n < 0 || n > 100; // GPU_UTIL
          body[i] = line.replace(/ [^ ]+$/, ` ${v}`);
          if (isBad) hit.add(/gpu="(\d+)"/.exec(line)![1]!);
        });
        let r;
        try {
          r = parseDcgmExporter(body.join('\n'));
        } catch {
          throws++;
          return;
        }
        if (!r.ok) throw new Error(r.error.message);
        const invalidGpus = r.readings.filter((x) => !x.valid).map((x) => String(x.gpu));
        expect(new Set(invalidGpus)).toEqual(hit);
        expect(r.invalidReadings).toBe(hit.size);
        for (const x of r.readings) if (x.valid) {
          expect(Number.isFinite(x.powerW) && x.powerW! >= 0 && Number.isFinite(x.tempC) && Number.isFinite(x.utilPct) && x.utilPct! >= 0).toBe(true);
        }
      }),
      { numRuns: 3_000, seed: 7 },
    );
    console.info(`dcgm mapper: ${tried.toLocaleString('en-US')} fuzz inputs, ${throws} throws`);
    expect(throws).toBe(0);
  });
});
