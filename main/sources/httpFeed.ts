import type { AgentReading } from '../../shared/agentProtocol.js';
import type { SourceTestResult } from '../../shared/domain/sources.js';
import type { Feed, FeedSink, MeterReadings } from '../core/source.js';

/**
 * What the feeds that poll an HTTP endpoint share — dcgm-exporter's /metrics (dcgmFeed.ts) and a Prometheus server
 * (promFeed.ts): a bounded GET, a polling timer, URL redaction, error wording and test summaries.
 *
 * Every failure becomes one operator-readable line through `sink.error` and never an exception out of a timer: a feed
 * runs unattended for months, and a throw there would take the console down or silently stop the feed. A round that
 * fails delivers nothing (all-or-nothing), so the engine never sees half a scrape as if it were the fleet.
 */

/** Injected I/O and limits (tests, and operators who need a longer timeout or a bigger page). */
export interface HttpFeedOptions {
  /** Default: the global fetch. */
  fetch?: typeof fetch;
  /** Whole request, headers and body; default min(10 s, the interval). */
  timeoutMs?: number;
  /** Largest response body accepted; default 10 MiB (Prometheus' own default scrape body limit is unlimited, but
   * a real 8-GPU exporter page is ~50 KiB, so 10 MiB only ever trips on something broken or hostile). */
  maxBodyBytes?: number;
}

export const DEFAULT_MAX_BODY_BYTES = 10 * 1024 * 1024;
const MAX_TIMEOUT_MS = 10_000;
/** How much of a non-200 body is read for its error text. */
const ERROR_BODY_BYTES = 64 * 1024;

/** The outcome of one GET: the body as text, or why there is none (`cancelled`: stop() aborted it; not an error). */
export type FetchTextResult =
  | { ok: true; status: number; statusText: string; text: string; atMs: number }
  | { ok: false; cancelled: boolean; error: string };

/** A URL safe to print: any password in it is replaced by "***". */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

/** "10 s", "0.5 s", "2 min": how operators read an interval. */
export function formatInterval(s: number): string {
  if (s >= 120 && s % 60 === 0) return `${s / 60} min`;
  return `${Number(s.toPrecision(6))} s`;
}

function formatBytes(n: number): string {
  if (n >= 1024 * 1024 && n % (1024 * 1024) === 0) return `${n / (1024 * 1024)} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} bytes`;
}

const NET_ERRORS: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the server',
  ENOTFOUND: 'host name not found (DNS)',
  EAI_AGAIN: 'host name lookup failed (DNS, temporary)',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connection timed out',
  UND_ERR_SOCKET: 'connection closed by the server',
  UND_ERR_HEADERS_OVERFLOW: 'response headers too large',
  ERR_TLS_CERT_ALTNAME_INVALID: 'TLS certificate does not match the host name',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed TLS certificate',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'TLS certificate not trusted',
  CERT_HAS_EXPIRED: 'TLS certificate expired',
};

/** fetch() rejects with "fetch failed" and hides the reason in `cause`: dig it out for the operator. */
export function describeFetchError(e: unknown): string {
  let cur: unknown = e;
  for (let depth = 0; depth < 4 && cur instanceof Error; depth++) {
    const code = (cur as NodeJS.ErrnoException).code;
    if (code && NET_ERRORS[code]) return `${NET_ERRORS[code]} (${code})`;
    if (code) return `${cur.message.replace(/\s+/g, ' ').slice(0, 200)} (${code})`;
    if (!(cur as { cause?: unknown }).cause) break;
    cur = (cur as { cause?: unknown }).cause;
  }
  const msg = cur instanceof Error ? cur.message : String(cur);
  if (msg === 'bad port') return 'port refused by fetch (on the Fetch standard\'s list of blocked ports): use another port';
  return msg.replace(/\s+/g, ' ').slice(0, 200);
}

class BodyTooLarge extends Error {}

/**
 * fetch() refuses URLs with user:password in them, yet that is how operators write a scraper behind basic auth:
 * move them into an Authorization header.
 */
function withoutCredentials(url: string): { url: string; headers: Record<string, string> } {
  const u = new URL(url);
  if (!u.username && !u.password) return { url, headers: {} };
  const user = decodeURIComponent(u.username);
  const pass = decodeURIComponent(u.password);
  u.username = '';
  u.password = '';
  return { url: u.toString(), headers: { authorization: `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}` } };
}

/** Read a body as UTF-8 without holding more than `cap` bytes: past it, cancel the stream (or keep what fits). */
async function readBody(res: Response, cap: number, truncate: boolean): Promise<string> {
  if (!res.body) return '';
  const reader = res.body.getReader();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  const parts: string[] = [];
  let bytes = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const room = cap - bytes;
      if (value.byteLength > room) {
        if (!truncate) throw new BodyTooLarge();
        parts.push(decoder.decode(value.subarray(0, room), { stream: true }));
        break;
      }
      bytes += value.byteLength;
      parts.push(decoder.decode(value, { stream: true }));
    }
    if (!truncate) parts.push(decoder.decode());
    return parts.join('');
  } finally {
    reader.cancel().catch(() => {});
  }
}

export interface FetchTextOptions {
  fetch: typeof fetch;
  timeoutMs: number;
  maxBodyBytes: number;
  /** Aborted by stop(): the request is dropped quietly. */
  signal: AbortSignal;
  /** What errors start with; default "GET <url>" (password redacted). */
  label?: string;
}

/**
 * GET `url` and read the body as UTF-8, bounded in time (headers and body together) and size (checked against
 * Content-Length first, then counted while streaming, so an endless or huge body is never buffered whole).
 * Never rejects: every outcome is a FetchTextResult whose error names the URL and the cause.
 */
export async function fetchText(url: string, o: FetchTextOptions): Promise<FetchTextResult> {
  const shown = o.label ?? `GET ${redactUrl(url)}`;
  const ctl = new AbortController();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    ctl.abort();
  }, o.timeoutMs);
  const onStop = () => ctl.abort();
  if (o.signal.aborted) ctl.abort();
  else o.signal.addEventListener('abort', onStop, { once: true });
  const fail = (error: string): FetchTextResult => ({ ok: false, cancelled: o.signal.aborted && !timedOut, error: `${shown}: ${error}` });
  try {
    const target = withoutCredentials(url);
    const headers: Record<string, string> = { accept: 'text/plain, application/json;q=0.9, */*;q=0.1', ...target.headers };
    const res = await o.fetch(target.url, { signal: ctl.signal, redirect: 'follow', headers });
    const atMs = Date.now();
    if (res.status !== 200) {
      const text = await readBody(res, ERROR_BODY_BYTES, true).catch(() => '');
      return { ok: true, status: res.status, statusText: res.statusText, text, atMs };
    }
    const declared = Number(res.headers.get('content-length') ?? NaN);
    if (declared > o.maxBodyBytes) {
      res.body?.cancel().catch(() => {});
      return fail(`response body of ${declared} bytes exceeds the ${formatBytes(o.maxBodyBytes)} limit`);
    }
    const text = await readBody(res, o.maxBodyBytes, false);
    return { ok: true, status: res.status, statusText: res.statusText, text, atMs };
  } catch (e) {
    if (timedOut) return fail(`no complete response within ${formatInterval(o.timeoutMs / 1000)} (timeout)`);
    if (o.signal.aborted) return fail('cancelled');
    if (e instanceof BodyTooLarge) return fail(`response body exceeds the ${formatBytes(o.maxBodyBytes)} limit`);
    if (e instanceof TypeError && /encoded data was not valid|invalid.*utf-?8|The encoded data/i.test(e.message)) return fail('response body is not valid UTF-8');
    return fail(describeFetchError(e));
  } finally {
    clearTimeout(timer);
    o.signal.removeEventListener('abort', onStop);
  }
}

/** "HTTP 500 Internal Server Error: <first line of the body>". */
export function describeHttpStatus(r: { status: number; statusText: string; text: string }): string {
  const first = r.text.trim().split('\n')[0]?.trim().slice(0, 200) ?? '';
  return `HTTP ${r.status}${r.statusText ? ` ${r.statusText}` : ''}${first ? `: ${first}` : ''}`;
}

/**
 * Runs `round` now and then every `intervalMs` (measured start to start, so a slow round does not make the feed
 * drift; rounds never overlap). A round that throws is reported through `onCrash`, never out of the timer. stop()
 * cancels the pending timer, aborts the round in flight (through the signal) and waits for it to settle, so nothing is
 * delivered after stop() resolves.
 */
export class Poller {
  private timer: NodeJS.Timeout | null = null;
  private inFlight: Promise<void> | null = null;
  private readonly ctl = new AbortController();
  private started = false;

  constructor(
    private readonly intervalMs: number,
    private readonly round: (signal: AbortSignal) => Promise<void>,
    private readonly onCrash: (e: unknown) => void,
  ) {}

  start(): void {
    if (this.started || this.ctl.signal.aborted) return;
    this.started = true;
    this.run();
  }

  async stop(): Promise<void> {
    this.ctl.abort();
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    await this.inFlight;
  }

  private run(): void {
    if (this.ctl.signal.aborted) return;
    const began = Date.now();
    this.inFlight = this.guarded().finally(() => {
      this.inFlight = null;
      if (this.ctl.signal.aborted) return;
      this.timer = setTimeout(() => this.run(), Math.max(0, began + this.intervalMs - Date.now()));
    });
  }

  private async guarded(): Promise<void> {
    try {
      await this.round(this.ctl.signal);
    } catch (e) {
      try {
        this.onCrash(e);
      } catch {
        // The sink itself failed: nothing left to tell.
      }
    }
  }
}

/** Default timeout: the interval, at most 10 s (a scrape slower than its interval is as good as lost). */
export function defaultTimeoutMs(intervalS: number): number {
  return Math.min(MAX_TIMEOUT_MS, intervalS * 1000);
}

/**
 * One polling round's outcome: readings per host with their sample time, meter readings where the feed has meters,
 * and counted problems — or one error (null: cancelled by stop).
 */
export type PollRound =
  | { ok: true; byHost: Map<string, { tMs: number; readings: AgentReading[] }>; meters?: MeterReadings; problems: string[] }
  | { ok: false; error: string | null };

/**
 * A feed that polls an HTTP endpoint every `intervalS`: the options, the timer, delivery of a round (all-or-nothing)
 * and the one-shot test are the same for every such feed; a subclass only says how a round is collected and described.
 */
export abstract class PollingFeed implements Feed {
  abstract readonly kind: 'dcgm' | 'prometheus';
  readonly id: string;
  protected readonly fetchFn: typeof fetch;
  protected readonly timeoutMs: number;
  protected readonly maxBodyBytes: number;
  private readonly poller: Poller;
  private sink: FeedSink | null = null;

  /** `doing`: how a crash is worded ("scraping", "querying"). */
  constructor(
    private readonly polled: { id: string; url: string; intervalS: number },
    opts: HttpFeedOptions,
    doing: string,
  ) {
    this.id = polled.id;
    this.fetchFn = opts.fetch ?? globalThis.fetch;
    this.timeoutMs = opts.timeoutMs ?? defaultTimeoutMs(polled.intervalS);
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.poller = new Poller(
      polled.intervalS * 1000,
      (signal) => this.round(signal),
      (e) => this.sink?.error(this.id, `internal error while ${doing} ${redactUrl(polled.url)}: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  abstract detail(): string;

  /** One round: fetch and parse, without delivering. */
  protected abstract collect(signal: AbortSignal): Promise<PollRound>;

  start(sink: FeedSink): void {
    this.sink = sink;
    this.poller.start();
  }

  stop(): Promise<void> {
    return this.poller.stop();
  }

  intervalMs(): number {
    return this.polled.intervalS * 1000;
  }

  /** One round against a throwaway sink: Settings → Sources → Test. Never throws. `extra` is read after the round. */
  protected async testOnce(extra: () => string): Promise<SourceTestResult> {
    const rec = recordingSink();
    const t0 = performance.now();
    try {
      this.deliver(await this.collect(new AbortController().signal), rec);
    } catch (e) {
      rec.errors.push(`internal error: ${e instanceof Error ? e.message : String(e)}`);
    }
    return testResult(rec, performance.now() - t0, extra());
  }

  private async round(signal: AbortSignal): Promise<void> {
    const r = await this.collect(signal);
    if (signal.aborted || !this.sink) return;
    this.deliver(r, this.sink);
  }

  private deliver(r: PollRound, sink: FeedSink): void {
    if (!r.ok) {
      if (r.error !== null) sink.error(this.id, r.error);
      return;
    }
    for (const p of r.problems) sink.error(this.id, p);
    for (const [host, h] of r.byHost) sink.readings(this.id, host, h.tMs, h.readings);
    if (r.meters) sink.meters?.(this.id, r.meters);
  }
}

/** A sink that only collects (test()). */
export interface RecordedRound {
  hosts: Map<string, AgentReading[]>;
  errors: string[];
}

export function recordingSink(): FeedSink & RecordedRound {
  const hosts = new Map<string, AgentReading[]>();
  const errors: string[] = [];
  return {
    hosts,
    errors,
    readings: (_feed, host, _t, readings) => void hosts.set(host, [...(hosts.get(host) ?? []), ...readings]),
    error: (_feed, message) => void errors.push(message),
  };
}

/** Summarise one test round for Settings → Sources → Test. */
export function testResult(rec: RecordedRound, latencyMs: number, extra: string): SourceTestResult {
  const gpus = [...rec.hosts.values()].reduce((n, r) => n + r.length, 0);
  const hosts = [...rec.hosts.keys()];
  const latency = Math.round(latencyMs);
  if (gpus === 0) return { ok: false, message: rec.errors[0] ?? 'the source answered but reported no GPUs', gpus, latencyMs: latency };
  const where = hosts.length === 1 ? `on ${hosts[0]}` : `on ${hosts.length} hosts`;
  const problems = rec.errors.length ? `; ${rec.errors.length} problem${rec.errors.length === 1 ? '' : 's'}, first: ${rec.errors[0]}` : '';
  return { ok: true, message: `${gpus} GPU${gpus === 1 ? '' : 's'} ${where}${extra}${problems}`, gpus, latencyMs: latency };
}

/** Which field each validation reason concerns (validate.ts starts every reason with the field name). */
type ValueField = Exclude<keyof AgentReading, 'uuid'>;
const REASON_FIELD: ReadonlyMap<string, ValueField> = new Map<string, ValueField>([
  ['powerW', 'powerW'],
  ['tempC', 'tempC'],
  ['smClockMHz', 'smClockMHz'],
  ['utilPct', 'utilPct'],
  ['limitW', 'limitW'],
  ['clockEventMask', 'clockEventMask'],
]);

/** Null every field a reason names, so the engine treats it as unknown (worst case) rather than trusting it. */
export function nullInvalidFields(r: AgentReading, reasons: readonly string[]): AgentReading {
  const out = { ...r };
  for (const reason of reasons) {
    const field = REASON_FIELD.get(reason.split(' ', 1)[0] ?? '');
    if (field) out[field] = null;
  }
  return out;
}
