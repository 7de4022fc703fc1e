import { z } from 'zod';
import type { Inventory } from '../fleet/inventory.js';
import { ConfigError } from '../sim/config.js';
import { DCGM_METRICS, type DcgmField } from '../sources/parsers/dcgm.js';
import { seriesKey } from '../sources/promFeed.js';
import type { ImportedFields, Placed } from './import.js';

/**
 * Prometheus range queries (`/api/v1/query_range`) of dcgm-exporter metrics → readings placed on the fleet. A series is
 * placed by its Hostname (else instance host) and UUID labels through the inventory; its metric name (`__name__`)
 * says the field and unit, in both exporter generations (DCGM_METRICS). Values are read at each sample's own time,
 * rounded to the second.
 */
const RangeSchema = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('matrix'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), values: z.array(z.tuple([z.number(), z.string()])) })),
  }),
});

/** Headroom's field for a dcgm-exporter field, and how to convert. */
const FIELD: Partial<Record<DcgmField, { k: keyof ImportedFields; scale: number }>> = {
  powerW: { k: 'powerW', scale: 1 },
  tempC: { k: 'tempC', scale: 1 },
  smClockMHz: { k: 'clockMHz', scale: 1 },
  utilPct: { k: 'util', scale: 0.01 },
  enforcedLimitW: { k: 'limitW', scale: 1 },
  mgmtLimitW: { k: 'limitW', scale: 1 },
  clockEventMask: { k: 'flags', scale: 1 },
};

/** The default metrics `--url` asks for (legacy names; 4.9 names are recognised in files). */
export const PROM_IMPORT_METRICS = ['DCGM_FI_DEV_POWER_USAGE', 'DCGM_FI_DEV_GPU_TEMP', 'DCGM_FI_DEV_SM_CLOCK', 'DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_POWER_MGMT_LIMIT'] as const;

/** One query_range response (parsed JSON) → placed readings; `what` names it in messages (a file, or a query). */
export function placeRange(what: string, json: unknown, inv: Inventory): Placed[] {
  const r = RangeSchema.safeParse(json);
  if (!r.success) {
    const i = r.error.issues[0];
    throw new ConfigError(what, null, i?.path.join('.') ?? '', `${i?.message ?? 'invalid'} (expected the JSON of /api/v1/query_range: status success, a matrix)`);
  }
  const out: Placed[] = [];
  r.data.data.result.forEach((series, s) => {
    const name = series.metric.__name__ ?? '';
    const map = DCGM_METRICS[name];
    const field = map ? FIELD[map.field] : undefined;
    if (!map || !field) throw new ConfigError(what, null, `data.result.${s}.metric.__name__`, `"${name}" is not a dcgm-exporter metric Headroom stores (power, temperature, SM clock, utilisation, power limit, clock events)`);
    const key = seriesKey(series.metric);
    if (!key) throw new ConfigError(what, null, `data.result.${s}.metric`, 'a series without Hostname (or instance) and UUID labels cannot be placed');
    const gpu = inv.gpuIndex(key.host, key.uuid);
    if (gpu === undefined) throw new ConfigError(what, null, `data.result.${s}.metric`, `GPU ${key.uuid} on host ${key.host} is not in the inventory`);
    for (const [t, raw] of series.values) {
      const x = Number(raw) * map.scale * field.scale;
      out.push({ gpu, tMs: Math.round(t) * 1000, v: { [field.k]: Number.isFinite(x) ? x : NaN } });
    }
  });
  return out;
}

/** Ask a live Prometheus for the default metrics over [fromS, toS] at `stepS`, in chunks under its 11,000-point limit. */
export async function fetchRange(url: string, fromS: number, toS: number, stepS: number, inv: Inventory): Promise<Placed[]> {
  const out: Placed[] = [];
  const chunkS = 10_000 * stepS;
  for (const metric of PROM_IMPORT_METRICS) {
    for (let a = fromS; a <= toS; a += chunkS + stepS) {
      const b = Math.min(toS, a + chunkS);
      const q = new URL('/api/v1/query_range', url);
      q.search = new URLSearchParams({ query: metric, start: String(a), end: String(b), step: `${stepS}s` }).toString();
      let res: Response;
      try {
        res = await fetch(q, { signal: AbortSignal.timeout(30_000) });
      } catch (e) {
        throw new ConfigError(url, null, '', `cannot reach Prometheus: ${(e as Error).message}`);
      }
      const body = (await res.json().catch(() => null)) as unknown;
      if (!res.ok) throw new ConfigError(url, null, metric, `HTTP ${res.status}: ${JSON.stringify(body).slice(0, 200)}`);
      out.push(...placeRange(`${url} ${metric}`, body, inv));
    }
  }
  return out;
}
