import type { z } from 'zod';
import type { AgentReading } from '../../shared/agentProtocol.js';
import type { DcgmSourceSchema, SourceTestResult } from '../../shared/domain/sources.js';
import type { Feed, FeedSink } from './fleet.js';
import { parseDcgmExporter, type DcgmReading } from './parsers/dcgm.js';
import {
  DEFAULT_MAX_BODY_BYTES,
  Poller,
  defaultTimeoutMs,
  describeHttpStatus,
  fetchText,
  formatInterval,
  nullInvalidFields,
  recordingSink,
  redactUrl,
  testResult,
  type HttpFeedOptions,
} from './httpFeed.js';

type DcgmConfig = z.output<typeof DcgmSourceSchema>;

/** What one scrape found, before delivery. */
type Scrape = { ok: true; atMs: number; byHost: Map<string, AgentReading[]>; problems: string[]; schemas: string[] } | { ok: false; error: string | null };

function toAgentReading(r: DcgmReading): AgentReading {
  const base: AgentReading = {
    uuid: r.uuid,
    powerW: r.powerW,
    limitW: r.limitW ?? null,
    tempC: r.tempC,
    memTempC: null,
    smClockMHz: r.smClockMHz,
    utilPct: r.utilPct,
    clockEventMask: r.clockEventMask ?? null,
  };
  return r.valid ? base : nullInvalidFields(base, r.invalidReasons);
}

/**
 * A dcgm-exporter (or a Headroom agent's /metrics page, which speaks the same names): scraped every `intervalS`, the
 * first time at start. Readings are filed under the sample's `Hostname`/`hostname` label, else the configured host;
 * each host's readings go to the sink in one call stamped with the scrape time (the exporter's page carries no
 * timestamps). Invalid values (NaN, ±Inf, negative, impossible) are delivered as null — the engine then counts that
 * GPU at its limit — and each such reading is counted as an error with its reasons.
 */
export class DcgmFeed implements Feed {
  readonly kind = 'dcgm' as const;
  readonly id: string;
  private readonly fetchFn: typeof fetch;
  private readonly timeoutMs: number;
  private readonly maxBodyBytes: number;
  private readonly poller: Poller;
  private sink: FeedSink | null = null;
  private lastGpus: number | null = null;
  private lastSchemas: string[] = [];

  constructor(
    private readonly config: DcgmConfig,
    opts: HttpFeedOptions = {},
  ) {
    this.id = config.id;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.timeoutMs = opts.timeoutMs ?? defaultTimeoutMs(config.intervalS);
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.poller = new Poller(
      config.intervalS * 1000,
      (signal) => this.round(signal),
      (e) => this.sink?.error(this.id, `internal error while scraping ${redactUrl(this.config.url)}: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  /** Scrape once against a throwaway sink: Settings → Sources → Test. Never throws. */
  static async test(config: DcgmConfig, opts: HttpFeedOptions = {}): Promise<SourceTestResult> {
    const feed = new DcgmFeed(config, opts);
    const rec = recordingSink();
    const t0 = performance.now();
    try {
      const s = await feed.scrape(new AbortController().signal);
      feed.deliver(s, rec);
    } catch (e) {
      rec.errors.push(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
    return testResult(rec, performance.now() - t0, feed.lastSchemas.length ? `, schema ${feed.lastSchemas.join('+')}` : '');
  }

  start(sink: FeedSink): void {
    this.sink = sink;
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  intervalMs(): number {
    return this.config.intervalS * 1000;
  }

  detail(): string {
    const gpus = this.lastGpus === null ? 'not scraped yet' : `${this.lastGpus} GPU${this.lastGpus === 1 ? '' : 's'}`;
    const schema = this.lastSchemas.length ? ` · schema ${this.lastSchemas.join('+')}` : '';
    return `GET ${redactUrl(this.config.url)} every ${formatInterval(this.config.intervalS)} · ${gpus}${schema}`;
  }

  private async round(signal: AbortSignal): Promise<void> {
    const s = await this.scrape(signal);
    if (signal.aborted || !this.sink) return;
    this.deliver(s, this.sink);
  }

  private deliver(s: Scrape, sink: FeedSink): void {
    if (!s.ok) {
      if (s.error !== null) sink.error(this.id, s.error);
      return;
    }
    for (const p of s.problems) sink.error(this.id, p);
    for (const [host, readings] of s.byHost) sink.readings(this.id, host, s.atMs, readings);
  }

  /** One scrape: fetch, parse, group by host. All-or-nothing: any failure yields only its error. */
  private async scrape(signal: AbortSignal): Promise<Scrape> {
    const url = this.config.url;
    const res = await fetchText(url, { fetch: this.fetchFn, timeoutMs: this.timeoutMs, maxBodyBytes: this.maxBodyBytes, signal });
    if (!res.ok) return { ok: false, error: res.cancelled ? null : res.error };
    if (res.status !== 200) return { ok: false, error: `GET ${redactUrl(url)}: ${describeHttpStatus(res)}` };
    const parsed = parseDcgmExporter(res.text, { limits: { maxBytes: this.maxBodyBytes } });
    if (!parsed.ok) {
      const at = parsed.error.line > 0 ? ` at line ${parsed.error.line}` : '';
      return { ok: false, error: `GET ${redactUrl(url)}: invalid Prometheus text${at}: ${parsed.error.message}` };
    }
    const grouped = this.groupByHost(parsed.readings);
    if (!grouped.ok) return grouped;
    if (parsed.duplicateSamples > 0) {
      grouped.problems.unshift(`GET ${redactUrl(url)}: ${parsed.duplicateSamples} duplicate series for the same GPU and metric ignored (kept the first)`);
    }
    this.lastGpus = parsed.readings.length - grouped.skipped;
    this.lastSchemas = parsed.schemas;
    return { ok: true, atMs: res.atMs, byHost: grouped.byHost, problems: grouped.problems, schemas: parsed.schemas };
  }

  private groupByHost(readings: readonly DcgmReading[]): { ok: true; byHost: Map<string, AgentReading[]>; problems: string[]; skipped: number } | { ok: false; error: string } {
    const byHost = new Map<string, AgentReading[]>();
    const problems: string[] = [];
    let skipped = 0;
    for (const r of readings) {
      const host = r.hostname || this.config.host;
      if (!host) return { ok: false, error: `GET ${redactUrl(this.config.url)}: no Hostname label and no host configured (set the source's host)` };
      if (!r.uuid) {
        problems.push(`GPU ${Number.isNaN(r.gpu) ? '?' : r.gpu} on ${host} has no UUID label: skipped`);
        skipped++;
        continue;
      }
      if (!r.valid) problems.push(`GPU ${r.uuid} on ${host}: ${r.invalidReasons.join('; ')}`);
      const list = byHost.get(host) ?? [];
      list.push(toAgentReading(r));
      byHost.set(host, list);
    }
    return { ok: true, byHost, problems, skipped };
  }
}
