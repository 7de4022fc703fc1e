import type { MetersConfig } from '../../shared/domain/sources.js';
import type { MeterReading, MeterReadings } from '../core/source.js';
import { parsePromValue } from './parsers/prometheusText.js';

/**
 * The site's meters read through Prometheus (promFeed.ts runs the queries): rack-PDU input power, one series per PDU
 * labelled with its rack (and side), and branch circuits labelled with their busway or breaker id. Each meter query
 * runs with `timestamp(<query>)` beside it, so a PDU whose scrapes stopped is not taken as fresh from Prometheus'
 * lookback. A meter's failure never fails the GPU readings of the round: its readings are left out and counted.
 */

/** A series of an instant vector, as Prometheus' HTTP API returns it. */
export interface PromSeries {
  metric: Record<string, string>;
  value: [number, string];
}

/** One query's outcome (the same shape PromFeed's queries have). */
export type MeterQueryOutcome = { ok: true; series: PromSeries[] } | { ok: false; cancelled: boolean; error: string };

type Run = (name: string, expr: string) => Promise<MeterQueryOutcome>;

/** What one round of meter queries found. */
export interface MeterRound {
  meters: MeterReadings;
  problems: string[];
  /** Why sample times could not be asked (the query's evaluation time was used), or null. */
  sampleTimes: string | null;
  /** A query was cancelled (stop()): the round delivers nothing. */
  cancelled: boolean;
}

/** A meter query and how its series map to what is metered (a rack or a row) and the part (a PDU or a circuit). */
interface Spec {
  kind: 'rack' | 'row';
  what: string;
  query: string;
  toKW: number;
  key: (metric: Record<string, string>) => { id: string; part: string } | { unmapped: string } | null;
  expected: (id: string) => number;
  partName: string;
}

function specs(m: MetersConfig): Spec[] {
  const out: Spec[] = [];
  const toKW = (c: { unit: 'W' | 'kW'; multiplier: number }) => c.multiplier * (c.unit === 'W' ? 0.001 : 1);
  const r = m.racks;
  if (r) {
    out.push({
      kind: 'rack',
      what: 'rack meters',
      query: r.query,
      toKW: toKW(r),
      key: (metric) => {
        const id = metric[r.rackLabel];
        if (!id) return null;
        return { id, part: r.sideLabel ? (metric[r.sideLabel] ?? '') : '' };
      },
      expected: () => r.pdusPerRack,
      partName: r.sideLabel ? `${r.sideLabel} ` : 'PDU',
    });
  }
  const c = m.circuits;
  if (c) {
    const perRow = new Map<string, number>();
    for (const row of Object.values(c.rows ?? {})) perRow.set(row, (perRow.get(row) ?? 0) + 1);
    out.push({
      kind: 'row',
      what: 'circuit meters',
      query: c.query,
      toKW: toKW(c),
      key: (metric) => {
        const circuit = metric[c.label];
        if (!circuit) return null;
        if (!c.rows) return { id: circuit, part: circuit };
        const row = c.rows[circuit];
        return row === undefined ? { unmapped: circuit } : { id: row, part: circuit };
      },
      expected: (id) => (c.rows ? (perRow.get(id) ?? 1) : 1),
      partName: `${c.label} `,
    });
  }
  return out;
}

/** How many meter queries a round runs for this config (each meter query and its `timestamp()`). */
export function meterQueryCount(m: MetersConfig | undefined): number {
  return m ? specs(m).length * 2 : 0;
}

/** Run every meter query (and its sample times) in parallel and read the results. Never rejects. */
export async function queryMeters(m: MetersConfig, run: Run, nowMs: () => number, maxSampleAgeS: number): Promise<MeterRound> {
  const round: MeterRound = { meters: { racks: [], rows: [] }, problems: [], sampleTimes: null, cancelled: false };
  const found: Record<Spec['kind'], MeterReading[]> = { rack: [], row: [] };
  const list = specs(m);
  const outcomes = await Promise.all(list.map((s) => Promise.all([run(s.what, s.query), run(`${s.what} sample times`, `timestamp(${s.query})`)])));
  list.forEach((s, i) => {
    const [values, times] = outcomes[i]!;
    if (!values.ok) {
      if (values.cancelled) round.cancelled = true;
      else round.problems.push(`${values.error}; ${s.what} not read this round`);
      return;
    }
    if (!times.ok && !times.cancelled) round.sampleTimes ??= times.error.replace(/^.* query "[^"]*" at \S+: /, '').slice(0, 200);
    found[s.kind] = readSeries(s, values.series, times.ok ? times.series : null, nowMs(), maxSampleAgeS, round.problems);
  });
  round.meters = { racks: found.rack, rows: found.row };
  return round;
}

interface Part {
  kW: number;
  tMs: number;
}

const MAX_NAMED = 5;
const named = (xs: readonly string[]) => `${xs.slice(0, MAX_NAMED).join(', ')}${xs.length > MAX_NAMED ? ` … (${xs.length} in all)` : ''}`;

/**
 * One meter query's series → one reading per rack (or row): its parts (PDUs, circuits) summed, sampled at the oldest
 * part's time. A rack with fewer valid, fresh parts than expected is left out (half a rack is not a reading); what
 * is left out is counted in one line per kind of problem.
 */
function readSeries(s: Spec, series: readonly PromSeries[], times: readonly PromSeries[] | null, nowMs: number, maxSampleAgeS: number, problems: string[]): MeterReading[] {
  const sampled = new Map<string, number>();
  for (const t of times ?? []) {
    const k = s.key(t.metric);
    const v = parsePromValue(t.value[1]);
    if (k && 'id' in k && v !== undefined && Number.isFinite(v)) sampled.set(`${k.id}\u0000${k.part}`, Math.round(v * 1000));
  }
  const byId = new Map<string, Map<string, Part | string>>();
  let unlabelled = 0;
  let duplicates = 0;
  const unmapped = new Set<string>();
  for (const x of series) {
    const k = s.key(x.metric);
    if (!k) {
      unlabelled++;
      continue;
    }
    if ('unmapped' in k) {
      unmapped.add(k.unmapped);
      continue;
    }
    let parts = byId.get(k.id);
    if (!parts) byId.set(k.id, (parts = new Map()));
    if (parts.has(k.part)) {
      duplicates++;
      continue;
    }
    parts.set(k.part, part(x, sampled.get(`${k.id}\u0000${k.part}`), s.toKW, nowMs, maxSampleAgeS));
  }
  const out: MeterReading[] = [];
  const left: string[] = [];
  for (const [id, parts] of byId) {
    const bad = [...parts].filter((e): e is [string, string] => typeof e[1] === 'string').map(([p, why]) => `${p ? `${s.partName}${p} ` : ''}${why}`);
    const good = [...parts.values()].filter((p): p is Part => typeof p !== 'string');
    const want = s.expected(id);
    if (bad.length === 0 && good.length >= want) {
      out.push({ id, kW: good.reduce((a, p) => a + p.kW, 0), tMs: Math.min(...good.map((p) => p.tMs)) });
      continue;
    }
    left.push(`${id} (${bad.length ? bad.join('; ') : `${good.length} of ${want} ${s.kind === 'rack' ? 'PDUs' : 'circuits'} reported`})`);
  }
  const q = `${s.what} query "${s.query.length > 80 ? `${s.query.slice(0, 77)}…` : s.query}"`;
  if (unlabelled) problems.push(`${q}: ${unlabelled} series without the ${s.kind === 'rack' ? 'rack' : 'circuit'} label ignored`);
  if (duplicates) problems.push(`${q}: ${duplicates} duplicate series for the same ${s.kind === 'rack' ? 'PDU' : 'circuit'} ignored (kept the first; scraped twice?)`);
  if (unmapped.size) problems.push(`${q}: circuit${unmapped.size === 1 ? '' : 's'} ${named([...unmapped].sort())} not mapped to a row: ignored`);
  if (left.length) problems.push(`${s.what}: ${left.length} ${s.kind}${left.length === 1 ? '' : 's'} not metered this round: ${named(left)}`);
  return out;
}

/** One PDU's or circuit's value in kW with its sample time, or why it cannot be used. */
function part(x: PromSeries, sampledMs: number | undefined, toKW: number, nowMs: number, maxSampleAgeS: number): Part | string {
  const v = parsePromValue(x.value[1]);
  if (v === undefined) return `value ${JSON.stringify(x.value[1].slice(0, 32))} is not a number`;
  if (!Number.isFinite(v)) return `value is ${Number.isNaN(v) ? 'NaN' : v > 0 ? '+Inf' : '-Inf'}`;
  // APC answers -1 where a model does not meter power; any negative reading is no reading.
  if (v < 0) return `value ${v} is negative`;
  const tMs = sampledMs ?? Math.round(x.value[0] * 1000);
  const ageS = (nowMs - tMs) / 1000;
  if (sampledMs !== undefined && ageS > maxSampleAgeS) return `newest sample is ${Math.round(ageS)} s old (limit ${maxSampleAgeS} s)`;
  return { kW: v * toKW, tMs };
}
