import type { z } from 'zod';
import type { AgentReading } from '../../shared/agentProtocol.js';
import type { DcgmSourceSchema, SourceTestResult } from '../../shared/domain/sources.js';
import { parseDcgmExporter, type DcgmReading } from './parsers/dcgm.js';
import { PollingFeed, describeHttpStatus, fetchText, formatInterval, nullInvalidFields, redactUrl, type HttpFeedOptions, type PollRound } from './httpFeed.js';

type DcgmConfig = z.output<typeof DcgmSourceSchema>;

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
export class DcgmFeed extends PollingFeed {
  readonly kind = 'dcgm' as const;
  private lastGpus: number | null = null;
  private lastSchemas: string[] = [];

  constructor(
    private readonly config: DcgmConfig,
    opts: HttpFeedOptions = {},
  ) {
    super(config, opts, 'scraping');
  }

  /** Scrape once against a throwaway sink: Settings → Sources → Test. Never throws. */
  static test(config: DcgmConfig, opts: HttpFeedOptions = {}): Promise<SourceTestResult> {
    const feed = new DcgmFeed(config, opts);
    return feed.testOnce(() => (feed.lastSchemas.length ? `, schema ${feed.lastSchemas.join('+')}` : ''));
  }

  detail(): string {
    const gpus = this.lastGpus === null ? 'not scraped yet' : `${this.lastGpus} GPU${this.lastGpus === 1 ? '' : 's'}`;
    const schema = this.lastSchemas.length ? ` · schema ${this.lastSchemas.join('+')}` : '';
    return `GET ${redactUrl(this.config.url)} every ${formatInterval(this.config.intervalS)} · ${gpus}${schema}`;
  }

  /** One scrape: fetch, parse, group by host. All-or-nothing: any failure yields only its error. */
  protected async collect(signal: AbortSignal): Promise<PollRound> {
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
    const byHost = new Map([...grouped.byHost].map(([host, readings]) => [host, { tMs: res.atMs, readings }]));
    return { ok: true, byHost, problems: grouped.problems };
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
