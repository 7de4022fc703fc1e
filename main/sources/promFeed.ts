import { z } from 'zod';
import type { AgentReading } from '../../shared/agentProtocol.js';
import type { PrometheusSourceSchema, SourceTestResult } from '../../shared/domain/sources.js';
import { PollingFeed, describeHttpStatus, fetchText, formatInterval, nullInvalidFields, redactUrl, type HttpFeedOptions, type PollRound } from './httpFeed.js';
import { parsePromValue } from './parsers/prometheusText.js';
import { invalidReasons } from '../core/readings.js';
import { meterQueryCount, queryMeters, type MeterRound } from './promMeters.js';
import type { MeterReadings } from '../core/source.js';

type PromConfig = z.output<typeof PrometheusSourceSchema>;
type Field = keyof PromConfig['queries'];
/** The five readings, in the order errors are reported. */
const FIELDS: readonly Field[] = ['powerW', 'tempC', 'smClockMHz', 'utilPct', 'limitW'];

/** Prometheus HTTP API: an instant query's successful answer (extra keys such as `warnings` are ignored). */
const VectorResponseSchema = z.object({
  status: z.literal('success'),
  data: z.object({
    resultType: z.literal('vector'),
    result: z.array(z.object({ metric: z.record(z.string(), z.string()), value: z.tuple([z.number().finite(), z.string()]) })),
  }),
});
/** Prometheus HTTP API: a refused query (bad PromQL, timeout, overload). */
const ErrorResponseSchema = z.object({ status: z.literal('error'), errorType: z.string().optional(), error: z.string() });

type Series = z.infer<typeof VectorResponseSchema>['data']['result'][number];
type QueryOutcome = { ok: true; series: Series[] } | { ok: false; cancelled: boolean; error: string };

/** One GPU's series across the five queries, and when its power was really sampled (from `timestamp(...)`). */
interface Joined {
  host: string;
  uuid: string;
  values: Partial<Record<Field, { raw: string; tMs: number }>>;
  sampledMs?: number;
}


/** The host of an `instance` label ("gpu-a:9400", "[fe80::1]:9400", "gpu-a"). */
export function instanceHost(instance: string): string {
  const v6 = /^\[([^\]]+)\](?::\d+)?$/.exec(instance);
  if (v6) return v6[1]!;
  const hp = /^([^:]+):\d+$/.exec(instance);
  return hp ? hp[1]! : instance;
}

/** Where a series belongs: the exporter's Hostname (hostname since 4.8.3), else the scrape target's host. */
export function seriesKey(metric: Record<string, string>): { host: string; uuid: string } | null {
  const host = metric.Hostname ?? metric.hostname ?? (metric.instance !== undefined ? instanceHost(metric.instance) : undefined);
  const uuid = metric.UUID ?? metric.uuid;
  if (!host || !uuid) return null;
  return { host, uuid };
}

const short = (q: string): string => (q.length > 80 ? `${q.slice(0, 77)}…` : q);

/**
 * A Prometheus server that already scrapes dcgm-exporters or Headroom agents: every `intervalS` it runs five instant
 * queries (power, temperature, SM clock, utilisation, power limit; PromQL configurable), in parallel, and joins their
 * series by host (`Hostname`, `hostname`, else the `instance` host) and GPU `UUID` into one reading per GPU.
 *
 * Power and temperature are required — a GPU missing from either query is skipped and counted (its FleetSource slot
 * then goes stale and counts at its limit). Other readings may be absent (null). NaN, ±Inf and impossible values are
 * delivered as null and counted. Any failed query fails the whole round: joining four of five queries would mix a
 * fresh power with a missing limit and look valid. Timestamps: a sixth query, `timestamp(<power query>)`, says when
 * each GPU's power was really scraped; a reading is stamped with that time, and one older than `maxSampleAgeS` is
 * skipped and counted (Prometheus answers instant queries from a 5-minute lookback, so an exporter that stopped
 * would otherwise look fresh for minutes). Where that query fails (a query that `timestamp()` cannot wrap), readings
 * carry the evaluation time and `detail()` says sample times are unavailable.
 */
export class PromFeed extends PollingFeed {
  readonly kind = 'prometheus' as const;
  private readonly endpoint: string;
  private last: { gpus: number; hosts: number } | null = null;
  /** Why `timestamp(power)` could not be asked (values then carry the query's evaluation time), or null. */
  private sampleTimes: string | null = null;
  /** Meters read in the last round (configured meters only), and why their sample times were unavailable. */
  private lastMeters: { racks: number; rows: number; sampleTimes: string | null } | null = null;

  constructor(
    private readonly config: PromConfig,
    opts: HttpFeedOptions = {},
  ) {
    super(config, opts, 'querying');
    this.endpoint = new URL('api/v1/query', config.url.endsWith('/') ? config.url : `${config.url}/`).toString();
  }

  /** Run the five queries once against a throwaway sink: Settings → Sources → Test. Never throws. */
  static test(config: PromConfig, opts: HttpFeedOptions = {}): Promise<SourceTestResult> {
    const feed = new PromFeed(config, opts);
    return feed.testOnce(() => ` via Prometheus${feed.metersDetail()}`);
  }

  detail(): string {
    const found = this.last === null ? 'not queried yet' : `${this.last.gpus} GPU${this.last.gpus === 1 ? '' : 's'} on ${this.last.hosts} host${this.last.hosts === 1 ? '' : 's'}`;
    const times = this.sampleTimes === null ? '' : ` · sample times unavailable (${this.sampleTimes})`;
    const meterQueries = meterQueryCount(this.config.meters);
    const queries = meterQueries ? `${FIELDS.length} + ${meterQueries} meter queries` : `${FIELDS.length} queries`;
    return `GET ${redactUrl(this.endpoint)} (${queries}) every ${formatInterval(this.config.intervalS)} · ${found}${times}${this.metersDetail()}`;
  }

  /** " · meters: 12 racks, 2 rows" once meters have been read (configured meters only). */
  private metersDetail(): string {
    const m = this.lastMeters;
    if (!this.config.meters) return '';
    if (!m) return ' · meters: not read yet';
    const parts = [...(this.config.meters.racks ? [`${m.racks} rack${m.racks === 1 ? '' : 's'}`] : []), ...(this.config.meters.circuits ? [`${m.rows} row${m.rows === 1 ? '' : 's'}`] : [])];
    return ` · meters: ${parts.join(', ')}${m.sampleTimes === null ? '' : ` (sample times unavailable: ${m.sampleTimes})`}`;
  }

  /** The five queries in parallel; the first failure aborts the others and fails the round. */
  protected async collect(stopSignal: AbortSignal): Promise<PollRound> {
    const ctl = new AbortController();
    const onStop = () => ctl.abort();
    stopSignal.addEventListener('abort', onStop, { once: true });
    try {
      const [outcomes, times, meters] = await Promise.all([
        Promise.all(
          FIELDS.map(async (f) => {
            const o = await this.runQuery(f, ctl.signal);
            if (!o.ok) ctl.abort();
            return o;
          }),
        ),
        // Best effort: when each GPU's power was really scraped. Without it a value Prometheus still returns from its
        // lookback window (an exporter that stopped answering minutes ago) would look fresh.
        this.runExpr('power sample times', `timestamp(${this.config.queries.powerW})`, ctl.signal),
        // The site's meters, where configured: a meter's failure is counted, never fails the GPUs' round.
        this.config.meters ? queryMeters(this.config.meters, (name, expr) => this.runExpr(name, expr, ctl.signal), Date.now, this.config.maxSampleAgeS) : null,
      ]);
      if (stopSignal.aborted) return { ok: false, error: null };
      const failed = outcomes.find((o): o is Extract<QueryOutcome, { ok: false }> => !o.ok && !o.cancelled);
      if (failed) return { ok: false, error: failed.error };
      if (outcomes.some((o) => !o.ok)) return { ok: false, error: null };
      const series = new Map(FIELDS.map((f, i) => [f, (outcomes[i] as Extract<QueryOutcome, { ok: true }>).series]));
      this.sampleTimes = times.ok ? null : times.error.replace(/^power sample times query "[^"]*" at \S+: /, '').slice(0, 200);
      const round = this.join(series, times.ok ? times.series : null);
      return meters ? this.withMeters(round, meters) : round;
    } finally {
      stopSignal.removeEventListener('abort', onStop);
    }
  }

  /** Add a round's meter readings and their problems to the GPUs' round. */
  private withMeters(round: PollRound, m: MeterRound): PollRound {
    if (!round.ok || m.cancelled) return round;
    const meters: MeterReadings = m.meters;
    this.lastMeters = { racks: meters.racks.length, rows: meters.rows.length, sampleTimes: m.sampleTimes };
    return { ...round, meters, problems: [...round.problems, ...m.problems] };
  }

  private runQuery(field: Field, signal: AbortSignal): Promise<QueryOutcome> {
    return this.runExpr(field, this.config.queries[field], signal);
  }

  private async runExpr(name: string, expr: string, signal: AbortSignal): Promise<QueryOutcome> {
    const url = new URL(this.endpoint);
    url.searchParams.set('query', expr);
    const what = `${name} query "${short(expr)}"`;
    const res = await fetchText(url.toString(), { fetch: this.fetchFn, timeoutMs: this.timeoutMs, maxBodyBytes: this.maxBodyBytes, signal, label: `${what} at ${redactUrl(this.endpoint)}` });
    if (!res.ok) return { ok: false, cancelled: res.cancelled, error: res.error };
    const fail = (error: string): QueryOutcome => ({ ok: false, cancelled: false, error: `${what} at ${redactUrl(this.endpoint)}: ${error}` });
    let json: unknown;
    try {
      json = JSON.parse(res.text);
    } catch (e) {
      if (res.status !== 200) return fail(describeHttpStatus(res));
      return fail(`response is not JSON (${e instanceof Error ? e.message : String(e)}); is this a Prometheus server's base URL?`);
    }
    const refused = ErrorResponseSchema.safeParse(json);
    if (refused.success) {
      const http = res.status !== 200 ? `HTTP ${res.status}, ` : '';
      return fail(`Prometheus refused it (${http}${refused.data.errorType ?? 'error'}): ${refused.data.error.slice(0, 300)}`);
    }
    if (res.status !== 200) return fail(describeHttpStatus(res));
    return this.checkVector(json, fail);
  }

  private checkVector(json: unknown, fail: (e: string) => QueryOutcome): QueryOutcome {
    const v = VectorResponseSchema.safeParse(json);
    if (v.success) return { ok: true, series: v.data.data.result };
    const type = (json as { data?: { resultType?: unknown } } | null)?.data?.resultType;
    if (typeof type === 'string' && type !== 'vector') return fail(`returned a ${type}, not an instant vector (one series per GPU)`);
    const issue = v.error.issues[0];
    return fail(`unexpected response: ${issue ? `${issue.path.join('.') || '(root)'}: ${issue.message}` : 'schema mismatch'}`);
  }

  /** Join the five result sets by (host, UUID) into readings; count what cannot be joined or trusted. */
  private join(results: ReadonlyMap<Field, Series[]>, sampleTimes: Series[] | null): PollRound {
    const problems: string[] = [];
    const gpus = new Map<string, Joined>();
    for (const field of FIELDS) this.collectSeries(field, results.get(field) ?? [], gpus, problems);
    for (const s of sampleTimes ?? []) {
      const key = seriesKey(s.metric);
      const j = key ? gpus.get(`${key.host}\u0000${key.uuid.toLowerCase()}`) : undefined;
      const t = parsePromValue(s.value[1]);
      if (j && j.sampledMs === undefined && t !== undefined && Number.isFinite(t)) j.sampledMs = Math.round(t * 1000);
    }
    const byHost = new Map<string, { tMs: number; readings: AgentReading[] }>();
    let delivered = 0;
    for (const j of gpus.values()) {
      const r = this.reading(j, problems);
      if (!r) continue;
      const h = byHost.get(j.host) ?? { tMs: Infinity, readings: [] };
      h.tMs = Math.min(h.tMs, r.tMs);
      h.readings.push(r.reading);
      byHost.set(j.host, h);
      delivered++;
    }
    this.last = { gpus: delivered, hosts: byHost.size };
    return { ok: true, byHost, problems };
  }

  private collectSeries(field: Field, series: readonly Series[], gpus: Map<string, Joined>, problems: string[]): void {
    let unlabelled = 0;
    let duplicates = 0;
    for (const s of series) {
      const key = seriesKey(s.metric);
      if (!key) {
        unlabelled++;
        continue;
      }
      const k = `${key.host}\u0000${key.uuid.toLowerCase()}`;
      let j = gpus.get(k);
      if (!j) {
        j = { ...key, values: {} };
        gpus.set(k, j);
      }
      if (j.values[field]) {
        duplicates++;
        continue;
      }
      j.values[field] = { raw: s.value[1], tMs: Math.round(s.value[0] * 1000) };
    }
    const q = `${field} query "${short(this.config.queries[field])}"`;
    if (unlabelled) problems.push(`${q}: ${unlabelled} series without a host (Hostname/hostname/instance) or UUID label ignored`);
    if (duplicates) problems.push(`${q}: ${duplicates} duplicate series for the same GPU ignored (kept the first; scraped twice?)`);
  }

  /** One GPU's reading, or null (skipped, counted) when power or temperature is missing. */
  private reading(j: Joined, problems: string[]): { tMs: number; reading: AgentReading } | null {
    const where = `GPU ${j.uuid} on ${j.host}`;
    const missing = (['powerW', 'tempC'] as const).filter((f) => !j.values[f]);
    if (missing.length) {
      problems.push(`${where}: no ${missing.join(' or ')} series: skipped (power and temperature are required)`);
      return null;
    }
    const reasons: string[] = [];
    const num = (f: Field): number | null => {
      const v = j.values[f];
      if (!v) return null;
      const x = parsePromValue(v.raw);
      if (x === undefined) reasons.push(`${f} value ${JSON.stringify(v.raw.slice(0, 32))} is not a number`);
      else if (Number.isNaN(x)) reasons.push(`${f} is NaN`);
      else if (!Number.isFinite(x)) reasons.push(`${f} is ${x > 0 ? '+Inf' : '-Inf'}`);
      else return x;
      return null;
    };
    const raw: AgentReading = { uuid: j.uuid, powerW: num('powerW'), limitW: num('limitW'), tempC: num('tempC'), memTempC: null, smClockMHz: num('smClockMHz'), utilPct: num('utilPct'), clockEventMask: null };
    // Range checks on the finite values (non-finite ones are already null and reported above).
    const range = invalidReasons({ ...raw, limitW: raw.limitW ?? undefined }).filter((r) => !r.endsWith(' missing'));
    reasons.push(...range);
    if (reasons.length) problems.push(`${where}: ${reasons.join('; ')}`);
    const tMs = j.sampledMs ?? Math.min(...Object.values(j.values).map((v) => v.tMs));
    if (j.sampledMs !== undefined) {
      const ageS = (Date.now() - j.sampledMs) / 1000;
      if (ageS > this.config.maxSampleAgeS) {
        problems.push(`${where}: newest power sample is ${Math.round(ageS)} s old (limit ${this.config.maxSampleAgeS} s; Prometheus still returns it from its lookback, the exporter or its scrape is failing): skipped`);
        return null;
      }
    }
    return { tMs, reading: reasons.length ? nullInvalidFields(raw, reasons) : raw };
  }
}
