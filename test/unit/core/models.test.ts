import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { GpuModelSchema, type GpuModel } from '../../../shared/domain/topology.js';
import { BUILTIN_MODELS } from '../../../main/core/models.js';
import { resolveTopology } from '../../../main/core/topology.js';

/** The rows of the markdown table right after `<!-- marker -->` in docs/MODEL.md: header cells, then data rows. */
function table(doc: string, marker: string): { header: string[]; rows: string[][] } {
  const at = doc.indexOf(`<!-- ${marker} -->`);
  if (at < 0) throw new Error(`docs/MODEL.md has no <!-- ${marker} --> table`);
  const lines: string[] = [];
  for (const line of doc.slice(at).split('\n').slice(1)) {
    if (!line.startsWith('|')) break;
    lines.push(line);
  }
  const cells = (line: string) => line.split('|').slice(1, -1).map((c) => c.trim());
  const [header, rule, ...rows] = lines.map(cells);
  expect(rule?.every((c) => /^-+$/.test(c))).toBe(true);
  return { header: header!, rows };
}

/** `` `H100-SXM` `` → H100-SXM. */
const modelId = (cell: string) => /^`([^`]+)`$/.exec(cell)?.[1] ?? cell;

const doc = readFileSync('docs/MODEL.md', 'utf8');

/** docs/MODEL.md's envelope table: column header → field, in order. Every value is tagged m, p or e. */
const ENVELOPE: Array<[string, keyof GpuModel]> = [
  ['default limit (TDP) W', 'defaultLimitW'],
  ['min limit W', 'minLimitW'],
  ['max limit W', 'maxLimitW'],
  ['idle W', 'idleW'],
  ['idle clock MHz', 'idleClockMHz'],
  ['min clock MHz', 'minClockMHz'],
  ['base clock MHz', 'baseClockMHz'],
  ['max clock MHz', 'maxClockMHz'],
  ['max operating °C', 'maxOperatingC'],
  ['slowdown °C', 'slowdownC'],
  ['shutdown °C', 'shutdownC'],
];

/** The calibration table: untagged numbers. */
const THERMAL: Array<[string, keyof GpuModel]> = [
  ['γ', 'clockPowerExponent'],
  ['R °C/W', 'thermalResistanceCPerW'],
  ['chassis offset °C', 'chassisOffsetC'],
  ['τ s', 'thermalTimeConstantS'],
];

describe('built-in GPU models', () => {
  it('every built-in model validates against GpuModelSchema, unchanged by parsing', () => {
    for (const m of BUILTIN_MODELS) {
      const r = GpuModelSchema.safeParse(m);
      expect(r.success ? [] : r.error.issues, m.id).toEqual([]);
      expect(r.data, m.id).toEqual(m);
    }
  });

  it('ids are unique; H100-SXM is first (the agent sim backend and tests default to it)', () => {
    const ids = BUILTIN_MODELS.map((m) => m.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids[0]).toBe('H100-SXM');
  });

  it('the issue’s models are all built in, and the original ids still resolve', () => {
    const ids = BUILTIN_MODELS.map((m) => m.id);
    for (const id of ['H100-SXM', 'H200-SXM', 'A100-SXM', 'A100-SXM4-40GB', 'A100-SXM4-80GB', 'B200-SXM', 'GB200-NVL72', 'MI300X']) {
      expect(ids).toContain(id);
    }
    for (const gpuModel of ids) {
      const t = resolveTopology({
        site: { id: 's', name: 's' },
        gpuModels: [],
        rows: [{ id: 'A', budgetKW: 100, coolingKW: 100, supplyC: 22, racks: 1, serversPerRack: 1, gpusPerServer: 8, gpuModel, serverIdleW: 1000, serverActiveW: 0 }],
      });
      expect(t.models.map((m) => m.id)).toEqual([gpuModel]);
    }
  });

  it('values a simulator needs stay physical: idle < min limit ≤ default ≤ max; idle clock below the top clock', () => {
    for (const m of BUILTIN_MODELS) {
      expect(m.idleW, m.id).toBeLessThan(m.minLimitW);
      expect(m.defaultLimitW, m.id).toBeLessThanOrEqual(m.maxLimitW);
      // clockPower's property tests draw busy clocks from idleClock + 1 up to the max clock.
      expect(m.idleClockMHz + 1, m.id).toBeLessThan(m.maxClockMHz);
      expect(m.maxOperatingC, m.id).toBeLessThanOrEqual(m.slowdownC);
    }
  });
});

describe('docs/MODEL.md "GPU models and their sources" matches the code', () => {
  it('the envelope table: same models, same values, each tagged measured (m), published (p) or estimate (e)', () => {
    const { header, rows } = table(doc, 'gpu-models-table');
    expect(header).toEqual(['model', ...ENVELOPE.map(([h]) => h), 'sources']);
    expect(rows.map((r) => modelId(r[0]!))).toEqual(BUILTIN_MODELS.map((m) => m.id));
    for (const row of rows) {
      const m = BUILTIN_MODELS.find((x) => x.id === modelId(row[0]!))!;
      expect(row, m.id).toHaveLength(ENVELOPE.length + 2);
      ENVELOPE.forEach(([h, field], i) => {
        const cell = row[i + 1]!;
        const v = /^(-?\d+(?:\.\d+)?) ([mpe])$/.exec(cell);
        expect(v, `${m.id} "${h}": "${cell}" is not "<number> m|p|e"`).not.toBeNull();
        expect(Number(v![1]), `${m.id} ${field}`).toBe(m[field]);
      });
      expect(row[ENVELOPE.length + 1], `${m.id} has no sources`).not.toBe('');
    }
  });

  it('the calibration table: same models, same γ, R, chassis offset and τ', () => {
    const { header, rows } = table(doc, 'gpu-thermal-table');
    expect(header).toEqual(['model', ...THERMAL.map(([h]) => h), 'basis']);
    expect(rows.map((r) => modelId(r[0]!))).toEqual(BUILTIN_MODELS.map((m) => m.id));
    for (const row of rows) {
      const m = BUILTIN_MODELS.find((x) => x.id === modelId(row[0]!))!;
      THERMAL.forEach(([, field], i) => expect(Number(row[i + 1]), `${m.id} ${field}`).toBe(m[field]));
      expect(row[THERMAL.length + 1], `${m.id} has no basis`).not.toBe('');
    }
  });

  it('every source a table cites (S1…) is listed under "Sources"', () => {
    const { rows } = table(doc, 'gpu-models-table');
    const cited = new Set<number>();
    for (const row of rows) {
      for (const [, a, b] of row.at(-1)!.matchAll(/S(\d+)(?:–S(\d+))?/g)) {
        for (let k = Number(a); k <= Number(b ?? a); k++) cited.add(k);
      }
    }
    expect(cited.size).toBeGreaterThan(0);
    for (const k of cited) expect(doc, `S${k}`).toContain(`- **S${k}** `);
  });
});
