import { z } from 'zod';
import type { Alert } from '../../shared/domain/fleet.js';
import type { Topology } from '../../shared/domain/topology.js';
import { EXPIRY_RESENDS, toPostableAlerts, topologyPlaces, type PlaceOf } from '../core/alertmanager.js';

/**
 * Sends Headroom's alerts to a Prometheus Alertmanager (`POST <url>/api/v2/alerts`, JSON), the way Prometheus does:
 * the payload is main/core/alertmanager.ts's (labels, annotations, times and what is sent are its rules). Here:
 * - **update(alerts, nowMs)** takes the active list (engine clock) whenever it changes; it never throws and never
 *   waits: the POST happens in the background. An id that was firing and is no longer (gone from the list) is
 *   resolved at that `nowMs`: it is sent with that `endsAt` until one POST carrying it succeeds, then never again.
 * - **re-send**: every `resendS` (wall clock, default 30 s) all firing alerts are sent again with a fresh `endsAt`
 *   (wall clock + EXPIRY_RESENDS × resendS): if Headroom stops (dies, is stopped, loses the network), Alertmanager
 *   resolves them by itself within that time. Stopping does NOT resolve them: they are unknown then, not resolved.
 * - **one request in flight**: changes during a request coalesce; the next request carries the latest state.
 * - **failures** (no connection, `timeoutS` without an answer, an HTTP status other than 2xx) are kept in `status()`,
 *   logged once per outage (and once more when delivery works again), and retried after 1 s, 2 s, 4 s … capped at
 *   the re-send interval (a longer wait would let firing alerts expire in Alertmanager during a short outage).
 *   Resolved alerts not yet delivered are kept (the newest MAX_UNSENT_RESOLVED); firing ones are always the current.
 * - **engine time vs Alertmanager's clock**: each update records the offset between the wall clock and the engine's
 *   (a simulator runs on its own calendar, at any speed); times are shifted by it (see the core module). A resolved
 *   alert keeps the offset of the update that resolved it, so a late delivery still ends it when it resolved.
 * - The URL (http or https, no query or fragment; a path prefix is kept, user:password@ becomes Basic auth) is
 *   checked when the sender is made: `AlertmanagerConfigError`, one line. Credentials never appear in logs or status.
 */

/** Resolved alerts waiting for a successful POST; beyond this the oldest are dropped (Alertmanager expires them). */
export const MAX_UNSENT_RESOLVED = 1000;
const FIRST_RETRY_MS = 1000;

export class AlertmanagerConfigError extends Error {
  override readonly name = 'AlertmanagerConfigError';
}

/**
 * An absolute http(s) URL; `bare`: with no query or fragment either. Messages never show credentials (user:pw@ →
 * ***@) or a query (where a console URL carries its token).
 */
const HttpUrl = (what: string, bare: boolean) =>
  z.string().superRefine((s, ctx) => {
    const shown = s.replace(/(\/\/)[^/@\s]+@/, '$1***@').replace(/[?#].*$/, '…');
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      ctx.addIssue({ code: 'custom', message: `${what} must be an absolute http:// or https:// URL such as http://alertmanager:9093, got "${shown}"` });
      return;
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:') ctx.addIssue({ code: 'custom', message: `${what} must be an http:// or https:// URL such as http://alertmanager:9093, got "${shown}"` });
    else if (bare && (u.search || u.hash)) ctx.addIssue({ code: 'custom', message: `${what} takes no query or fragment ("?…", "#…"): ${redact(u)}…` });
  });

export const AlertmanagerOptionsSchema = z
  .object({
    /** Alertmanager's base URL, e.g. http://alertmanager:9093 (alerts go to <url>/api/v2/alerts). */
    url: HttpUrl('the Alertmanager URL', true),
    /** Re-send all firing alerts this often (wall clock, s); they expire after EXPIRY_RESENDS times this. */
    resendS: z.number().min(0.1).max(3600).default(30),
    /** A POST without an answer after this long (s) fails. */
    timeoutS: z.number().min(0.1).max(300).default(10),
    /** The console's address, for each alert's generatorURL (its query, where a token may sit, is never sent). */
    generatorBase: HttpUrl('the console URL (generatorBase)', false).optional(),
  })
  .strict();
export type AlertmanagerOptions = z.input<typeof AlertmanagerOptionsSchema>;
type Options = z.output<typeof AlertmanagerOptionsSchema>;

/** The options, checked; an `AlertmanagerConfigError` with one line naming the first problem otherwise. */
export function parseAlertmanagerOptions(o: unknown): Options {
  const r = AlertmanagerOptionsSchema.safeParse(o);
  if (r.success) return r.data;
  const i = r.error.issues[0];
  // The URL checks name their option; zod's own messages ("Too small: …") need the field's name.
  const where = i && i.code !== 'custom' && i.path.length ? `${i.path.join('.')}: ` : '';
  throw new AlertmanagerConfigError(`alertmanager: ${where}${i?.message ?? 'invalid options'}`);
}

/** What the console shows of the sender. Times are wall clock (epoch ms). */
export interface AlertmanagerStatus {
  /** The Alertmanager base URL, without credentials. */
  url: string;
  lastSuccessMs: number | null;
  lastError: string | null;
  lastErrorMs: number | null;
  /** Failed POSTs since the last success (0 while delivery works). */
  failures: number;
  /** Successful POSTs, and the alerts they carried (one per alert per POST). */
  posts: number;
  sent: number;
  /** Firing alerts re-sent every resendS, and resolved alerts not yet delivered. */
  firing: number;
  unsentResolved: number;
}

export interface AlertmanagerDeps {
  /** The site (its id is the `site` label) and where each subject sits (`row`, `rack`, `server`, `gpu` labels). */
  topology: Pick<Topology, 'site' | 'rows' | 'racks' | 'servers'>;
  log?: (line: string) => void;
  /** Wall clock (epoch ms); tests may pass their own. */
  clock?: () => number;
  /** HTTP client (global fetch); tests may pass their own. */
  fetch?: typeof fetch;
}

export class AlertmanagerSender {
  private readonly o: Options;
  private readonly endpoint: string;
  private readonly shown: string;
  private readonly headers: Record<string, string>;
  private readonly clock: () => number;
  private readonly fetch: typeof fetch;
  private readonly log: (line: string) => void;
  private readonly placeOf: PlaceOf;
  /** Firing alerts of the last update, by id. */
  private firing = new Map<string, Alert>();
  /**
   * Resolved alerts not yet delivered, by id and firing time (an id may fire and resolve again meanwhile), with the
   * engine clock and the offset of the update that resolved them (their times stay those of that moment).
   */
  private readonly resolved = new Map<string, { alert: Alert; nowMs: number; offsetMs: number }>();
  private nowMs = 0;
  private offsetMs = 0;
  private wanted = false;
  private inFlight = false;
  private closed = false;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private readonly resendTimer: ReturnType<typeof setInterval>;
  private readonly abort = new AbortController();
  private readonly st = { lastSuccessMs: null as number | null, lastError: null as string | null, lastErrorMs: null as number | null, failures: 0, posts: 0, sent: 0 };

  constructor(
    options: AlertmanagerOptions,
    private readonly deps: AlertmanagerDeps,
  ) {
    this.o = parseAlertmanagerOptions(options);
    const u = new URL(this.o.url);
    this.headers = { 'content-type': 'application/json' };
    if (u.username || u.password) {
      this.headers.authorization = `Basic ${Buffer.from(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`).toString('base64')}`;
    }
    this.shown = redact(u);
    this.endpoint = `${this.shown.replace(/\/+$/, '')}/api/v2/alerts`;
    this.clock = deps.clock ?? Date.now;
    this.fetch = deps.fetch ?? globalThis.fetch;
    this.log = deps.log ?? (() => {});
    this.placeOf = topologyPlaces(deps.topology);
    this.resendTimer = setInterval(() => this.resend(), this.o.resendS * 1000);
    this.resendTimer.unref?.();
    this.log(`alertmanager: sending alerts to ${this.endpoint} (firing ones again every ${this.o.resendS} s; they expire there ${EXPIRY_RESENDS * this.o.resendS} s after the last)`);
  }

  /** The active alert list changed (engine clock `nowMs`). Never throws, never waits. */
  update(alerts: readonly Alert[], nowMs: number): void {
    if (this.closed) return;
    try {
      const offsetMs = this.clock() - nowMs;
      const next = new Map<string, Alert>();
      for (const a of alerts) if (a.state === 'firing') next.set(a.id, a);
      for (const [id, was] of this.firing) {
        const now = next.get(id);
        if (now && now.firingSinceMs === was.firingSinceMs) continue;
        // Gone from the list, or firing again since later (it resolved in between, unseen here): resolved.
        const atMs = now?.firingSinceMs != null ? Math.min(nowMs, now.firingSinceMs) : nowMs;
        this.queueResolved({ alert: { ...was, state: 'resolved', resolvedAtMs: atMs }, nowMs, offsetMs });
      }
      this.firing = next;
      this.nowMs = nowMs;
      this.offsetMs = offsetMs;
      this.kick();
    } catch (e) {
      this.log(`alertmanager: update failed: ${(e as Error).message}`);
    }
  }

  status(): AlertmanagerStatus {
    return { url: this.shown, ...this.st, firing: this.firing.size, unsentResolved: this.resolved.size };
  }

  /** Stops the timers and any request in flight; nothing is sent after this (firing alerts expire in Alertmanager). */
  close(): void {
    this.closed = true;
    clearInterval(this.resendTimer);
    if (this.retryTimer) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    this.abort.abort();
  }

  private queueResolved(r: { alert: Alert; nowMs: number; offsetMs: number }): void {
    this.resolved.set(`${r.alert.id}@${r.alert.firingSinceMs}`, r);
    if (this.resolved.size > MAX_UNSENT_RESOLVED) this.resolved.delete(this.resolved.keys().next().value!);
  }

  private resend(): void {
    if (!this.closed && (this.firing.size > 0 || this.resolved.size > 0)) this.kick();
  }

  /** A POST is wanted: now, unless one is in flight (it is sent when that one ends) or a retry is scheduled. */
  private kick(): void {
    this.wanted = true;
    if (this.inFlight || this.retryTimer || this.closed) return;
    void this.flush();
  }

  private async flush(): Promise<void> {
    this.wanted = false;
    this.inFlight = true;
    try {
      const resolved = [...this.resolved.entries()];
      const ctx = {
        site: this.deps.topology.site.id,
        nowMs: this.nowMs,
        offsetMs: this.offsetMs,
        expiresAtMs: this.clock() + EXPIRY_RESENDS * this.o.resendS * 1000,
        generatorBase: this.o.generatorBase,
        placeOf: this.placeOf,
      };
      // Resolved ones first (an id resolved and firing again is then stored as the new firing), each at its own time.
      const body = [...resolved.flatMap(([, r]) => toPostableAlerts([r.alert], { ...ctx, nowMs: r.nowMs, offsetMs: r.offsetMs })), ...toPostableAlerts([...this.firing.values()], ctx)];
      if (body.length > 0) {
        await this.post(JSON.stringify(body));
        for (const [key, a] of resolved) if (this.resolved.get(key) === a) this.resolved.delete(key);
        if (this.st.failures > 0) this.log(`alertmanager: delivering to ${this.endpoint} again (after ${this.st.failures} failed attempt${this.st.failures === 1 ? '' : 's'})`);
        Object.assign(this.st, { lastSuccessMs: this.clock(), failures: 0, posts: this.st.posts + 1, sent: this.st.sent + body.length });
      }
    } catch (e) {
      if (!this.closed) this.failed(describe(e, this.o.timeoutS));
    } finally {
      this.inFlight = false;
    }
    if (this.wanted && !this.retryTimer && !this.closed) void this.flush();
  }

  private async post(body: string): Promise<void> {
    const signal = AbortSignal.any([this.abort.signal, AbortSignal.timeout(this.o.timeoutS * 1000)]);
    const res = await this.fetch(this.endpoint, { method: 'POST', headers: this.headers, body, signal });
    const text = await res.text();
    if (!res.ok) throw new Error(`HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ''}${text.trim() ? `: ${text.replace(/\s+/g, ' ').trim().slice(0, 200)}` : ''}`);
  }

  private failed(message: string): void {
    this.st.failures++;
    this.st.lastError = message;
    this.st.lastErrorMs = this.clock();
    const delayMs = Math.min(FIRST_RETRY_MS * 2 ** (this.st.failures - 1), Math.max(FIRST_RETRY_MS, this.o.resendS * 1000));
    if (this.st.failures === 1) this.log(`alertmanager: cannot post alerts to ${this.endpoint}: ${message} (retrying, at least every ${Math.max(1, this.o.resendS)} s)`);
    this.wanted = true;
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (this.wanted && !this.inFlight && !this.closed) void this.flush();
    }, delayMs);
    this.retryTimer.unref?.();
  }
}

/** The URL as shown and used: without user:password@ (sent as a header instead), query or fragment. */
function redact(u: URL): string {
  return `${u.protocol}//${u.host}${u.pathname}`;
}

/** One line for a failed POST: a timeout, a refused connection (with its code), or the HTTP status. */
function describe(e: unknown, timeoutS: number): string {
  if (e instanceof Error && (e.name === 'TimeoutError' || e.name === 'AbortError')) return `no answer within ${timeoutS} s`;
  const cause = e instanceof Error ? (e.cause as { code?: string; message?: string } | undefined) : undefined;
  const msg = e instanceof Error ? e.message : String(e);
  return cause ? `${msg} (${cause.code ?? cause.message ?? 'unknown cause'})` : msg;
}
