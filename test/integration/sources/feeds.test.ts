import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { DcgmFeed } from '../../../main/sources/dcgmFeed.js';
import { FleetSource } from '../../../main/fleet/fleetSource.js';
import { type Feed, type FeedSink } from '../../../main/core/source.js';
import { InventorySchema, resolveInventory } from '../../../main/fleet/inventory.js';
import { invalidReasons } from '../../../main/core/readings.js';
import { PromFeed } from '../../../main/sources/promFeed.js';
import { AgentReadingSchema, type AgentReading } from '../../../shared/agentProtocol.js';
import { DcgmSourceSchema, PrometheusSourceSchema, PROMQL_DEFAULTS } from '../../../shared/domain/sources.js';

/**
 * DcgmFeed and PromFeed against a local HTTP server: real fixtures in, readings and counted errors out. Every bad
 * input must yield a clear error and deliver nothing invalid.
 */

const SAMPLE = readFileSync(new URL('../../fixtures/gpu/dcgm-exporter-sample.txt', import.meta.url), 'utf8');
const SAMPLE_UUIDS = [...new Set([...SAMPLE.matchAll(/UUID="(GPU-[^"]+)"/g)].map((m) => m[1]!))];

type Handler = (req: IncomingMessage, res: ServerResponse, url: URL) => void;
const routes = new Map<string, Handler>();
/** Responses the server saw closed (by the client) before it finished writing them. */
const abandoned = new Set<string>();
let server: Server;
let base: string;
let routeSeq = 0;

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    res.on('close', () => {
      if (!res.writableFinished) abandoned.add(url.pathname);
    });
    const h = routes.get(url.pathname);
    if (!h) res.writeHead(404).end('no such route\n');
    else h(req, res, url);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/** Register a handler under a fresh path; returns its URL. */
function route(h: Handler, name = 'r'): string {
  const path = `/${name}-${++routeSeq}`;
  routes.set(path, h);
  return `${base}${path}`;
}

const text =
  (body: string, status = 200, headers: Record<string, string> = {}): Handler =>
  (_req, res) =>
    res.writeHead(status, { 'content-type': 'text/plain; version=0.0.4', 'content-length': String(Buffer.byteLength(body)), ...headers }).end(body);

interface Delivery {
  host: string;
  tMs: number;
  readings: AgentReading[];
}

/** A FeedSink that records; `nothingInvalid` checks every delivered value is either null or plausible. */
function recorder() {
  const deliveries: Delivery[] = [];
  const errors: string[] = [];
  const sink: FeedSink = {
    readings: (_feed, host, tMs, readings) => void deliveries.push({ host, tMs, readings: [...readings] }),
    error: (_feed, message) => void errors.push(message),
  };
  const nothingInvalid = () => {
    for (const d of deliveries) {
      for (const r of d.readings) {
        AgentReadingSchema.parse(r); // no NaN / Inf can pass this
        const bad = invalidReasons({ powerW: r.powerW, tempC: r.tempC, smClockMHz: r.smClockMHz, utilPct: r.utilPct, limitW: r.limitW ?? undefined });
        expect(bad.filter((b) => !b.endsWith(' missing'))).toEqual([]);
      }
    }
  };
  return { deliveries, errors, sink, nothingInvalid };
}

/** A port nothing listens on (bound, then released). */
async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve) => s.listen(0, '127.0.0.1', resolve));
  const port = (s.address() as AddressInfo).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

async function until(cond: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const running: Feed[] = [];
afterEach(async () => {
  await Promise.all(running.splice(0).map((f) => f.stop()));
});
function startFeed<F extends Feed>(feed: F, sink: FeedSink): F {
  running.push(feed);
  feed.start(sink);
  return feed;
}

const dcgm = (url: string, over: Partial<{ intervalS: number; host: string }> = {}) => DcgmSourceSchema.parse({ kind: 'dcgm', id: 'dcgm-1', url, intervalS: 60, ...over });

/** Run one DcgmFeed round against `handler` and return what it delivered and reported. */
async function oneScrape(handler: Handler, over: Partial<{ host: string }> = {}, opts: ConstructorParameters<typeof DcgmFeed>[1] = {}) {
  const rec = recorder();
  startFeed(new DcgmFeed(dcgm(route(handler), over), opts), rec.sink);
  await until(() => rec.deliveries.length > 0 || rec.errors.length > 0, 'a delivery or an error');
  await new Promise((r) => setTimeout(r, 30)); // anything else from the same round
  return rec;
}

const L49 = (i: number, host = 'gpu-v49') => `gpu="${i}",UUID="GPU-0000000${i}-1111-2222-3333-444444444444",device="nvidia${i}",modelName="NVIDIA H200",hostname="${host}"`;
/** A dcgm-exporter 4.9-style page: renamed metrics, SI units (Hz, ratio, J), lowercase `hostname`. */
const V49_BODY = [
  '# HELP DCGM_FI_DEV_POWER_USAGE_WATTS Power draw (in W).',
  '# TYPE DCGM_FI_DEV_POWER_USAGE_WATTS gauge',
  ...[0, 1].map((i) => `DCGM_FI_DEV_POWER_USAGE_WATTS{${L49(i)}} ${500 + i}.25`),
  '# TYPE DCGM_FI_DEV_GPU_TEMP_CELSIUS gauge',
  ...[0, 1].map((i) => `DCGM_FI_DEV_GPU_TEMP_CELSIUS{${L49(i)}} ${55 + i}`),
  '# TYPE DCGM_FI_DEV_SM_CLOCK_HZ gauge',
  ...[0, 1].map((i) => `DCGM_FI_DEV_SM_CLOCK_HZ{${L49(i)}} ${1_755_000_000 - i * 100_000_000}`),
  '# TYPE DCGM_FI_DEV_GPU_UTIL_RATIO gauge',
  ...[0, 1].map((i) => `DCGM_FI_DEV_GPU_UTIL_RATIO{${L49(i)}} ${0.5 + i * 0.25}`),
  '# TYPE DCGM_FI_DEV_POWER_MGMT_LIMIT_WATTS gauge',
  ...[0, 1].map((i) => `DCGM_FI_DEV_POWER_MGMT_LIMIT_WATTS{${L49(i)}} 700`),
  '# TYPE DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION_JOULES counter',
  ...[0, 1].map((i) => `DCGM_FI_DEV_TOTAL_ENERGY_CONSUMPTION_JOULES{${L49(i)}} 123456.789`),
  '# TYPE DCGM_FI_DEV_CLOCKS_EVENT_REASONS gauge',
  ...[0, 1].map((i) => `DCGM_FI_DEV_CLOCKS_EVENT_REASONS{${L49(i)}} ${i === 0 ? 4 : 0}`),
  '',
].join('\n');

describe('DcgmFeed', () => {
  it('scrapes the real 8×H100 dcgm-exporter sample into one delivery for its host', async () => {
    const before = Date.now();
    const rec = await oneScrape(text(SAMPLE));
    expect(rec.errors).toEqual([]);
    expect(rec.deliveries).toHaveLength(1);
    const d = rec.deliveries[0]!;
    expect(d.host).toBe('gpu-node-1');
    expect(d.tMs).toBeGreaterThanOrEqual(before);
    expect(d.tMs).toBeLessThanOrEqual(Date.now());
    expect(d.readings.map((r) => r.uuid)).toEqual(SAMPLE_UUIDS);
    expect(d.readings[0]).toEqual({ uuid: 'GPU-c4529c8d-69c4-b61d-e0bc-7b2460096005', powerW: 113.611, limitW: null, tempC: 30, memTempC: null, smClockMHz: null, utilPct: 0, clockEventMask: null });
    rec.nothingInvalid();
    expect(running[0]!.detail()).toBe(`GET ${base}/r-${routeSeq} every 60 s · 8 GPUs · schema legacy`);
  });

  it('maps a 4.9-style page (renamed metrics, Hz, ratio, lowercase hostname) to the same units', async () => {
    const rec = await oneScrape(text(V49_BODY));
    expect(rec.errors).toEqual([]);
    expect(rec.deliveries).toHaveLength(1);
    expect(rec.deliveries[0]!.host).toBe('gpu-v49');
    const [a, b] = rec.deliveries[0]!.readings;
    expect(a).toMatchObject({ powerW: 500.25, tempC: 55, limitW: 700, utilPct: 50, clockEventMask: 4 });
    expect(a!.smClockMHz).toBeCloseTo(1755, 6);
    expect(b).toMatchObject({ powerW: 501.25, tempC: 56, limitW: 700, utilPct: 75, clockEventMask: 0 });
    expect(b!.smClockMHz).toBeCloseTo(1655, 6);
    expect(running[0]!.detail()).toMatch(/· 2 GPUs · schema v4\.9$/);
  });

  it('groups a multi-host page by Hostname: one delivery per host', async () => {
    const body = V49_BODY + V49_BODY.replaceAll('hostname="gpu-v49"', 'hostname="gpu-v50"').replaceAll('-1111-', '-5555-').replace(/^# .*\n/gm, '');
    const rec = await oneScrape(text(body));
    expect(rec.errors).toEqual([]);
    expect(rec.deliveries.map((d) => [d.host, d.readings.length])).toEqual([
      ['gpu-v49', 2],
      ['gpu-v50', 2],
    ]);
    expect(new Set(rec.deliveries.map((d) => d.tMs)).size).toBe(1);
  });

  it('counts duplicate series for one GPU (two hosts claiming one UUID) and keeps the first', async () => {
    const body = V49_BODY + V49_BODY.replaceAll('hostname="gpu-v49"', 'hostname="gpu-v50"').replace(/^# .*\n/gm, '');
    const rec = await oneScrape(text(body));
    expect(rec.deliveries.map((d) => [d.host, d.readings.length])).toEqual([['gpu-v49', 2]]);
    expect(rec.errors).toEqual([expect.stringMatching(/: 14 duplicate series for the same GPU and metric ignored \(kept the first\)$/)]);
  });

  it('files a page without Hostname labels under the configured host, and refuses it without one', async () => {
    const body = SAMPLE.replace(/,Hostname="gpu-node-1"/g, '');
    const withHost = await oneScrape(text(body), { host: 'gpu-configured' });
    expect(withHost.errors).toEqual([]);
    expect(withHost.deliveries.map((d) => [d.host, d.readings.length])).toEqual([['gpu-configured', 8]]);

    const without = await oneScrape(text(body));
    expect(without.deliveries).toEqual([]);
    expect(without.errors).toHaveLength(1);
    expect(without.errors[0]).toMatch(/no Hostname label and no host configured/);
  });

  it('feeds a FleetSource: the inventory maps host + UUID, health is up, nothing counted', async () => {
    const inv = resolveInventory(
      InventorySchema.parse({
        site: { id: 'lab', name: 'lab' },
        rows: [{ id: 'A', budgetKW: 40, coolingKW: 45, gpuModel: 'H100-SXM', racks: [{ id: 'A01', servers: [{ host: 'gpu-node-1', gpus: SAMPLE_UUIDS }] }] }],
      }),
    );
    const fleet = new FleetSource(inv);
    fleet.addFeed(new DcgmFeed(dcgm(route(text(SAMPLE)))));
    try {
      await until(() => fleet.health()[0]!.state === 'up', 'the feed to come up');
      const batch = fleet.poll()!;
      expect(batch.powerW[0]).toBe(113.611);
      expect(batch.tempC[7]).toBe(26);
      expect(fleet.health()[0]).toMatchObject({ id: 'dcgm-1', kind: 'dcgm', state: 'up', errors: 0, lastError: null });
      expect(fleet.health()[0]!.detail).toMatch(/8 GPUs · schema legacy$/);
    } finally {
      await fleet.close();
    }
  });

  it('delivers NaN, +Inf and negative values as null and counts each invalid reading', async () => {
    const body = SAMPLE.replace(/(DCGM_FI_DEV_POWER_USAGE\{gpu="1"[^}]*\}) \S+/, '$1 NaN')
      .replace(/(DCGM_FI_DEV_GPU_TEMP\{gpu="2"[^}]*\}) \S+/, '$1 +Inf')
      .replace(/(DCGM_FI_DEV_POWER_USAGE\{gpu="3"[^}]*\}) \S+/, '$1 -5')
      .replace(/(DCGM_FI_DEV_GPU_UTIL\{gpu="4"[^}]*\}) \S+/, '$1 -Inf');
    const rec = await oneScrape(text(body));
    expect(rec.deliveries).toHaveLength(1);
    const r = rec.deliveries[0]!.readings;
    expect(r).toHaveLength(8);
    expect(r[1]!.powerW).toBeNull();
    expect(r[1]!.tempC).toBe(29); // only the bad value is dropped
    expect(r[2]!.tempC).toBeNull();
    expect(r[3]!.powerW).toBeNull();
    expect(r[4]!.utilPct).toBeNull();
    expect(r[0]!.powerW).toBe(113.611);
    rec.nothingInvalid();
    expect(rec.errors).toHaveLength(4);
    expect(rec.errors[0]).toBe(`GPU ${SAMPLE_UUIDS[1]} on gpu-node-1: powerW is NaN`);
    expect(rec.errors[1]).toBe(`GPU ${SAMPLE_UUIDS[2]} on gpu-node-1: tempC is +Inf`);
    expect(rec.errors[2]).toBe(`GPU ${SAMPLE_UUIDS[3]} on gpu-node-1: powerW -5 is negative`);
    expect(rec.errors[3]).toBe(`GPU ${SAMPLE_UUIDS[4]} on gpu-node-1: utilPct is -Inf`);
  });

  it('rejects invalid Prometheus text with its line, delivering nothing', async () => {
    const lines = SAMPLE.split('\n');
    lines[11] = 'DCGM_FI_DEV_POWER_USAGE{gpu="3",UUID="GPU-x" 67.3';
    const rec = await oneScrape(text(lines.join('\n')));
    expect(rec.deliveries).toEqual([]);
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/r-\d+: invalid Prometheus text at line 12: /);
  });

  it('rejects a body that is not UTF-8', async () => {
    const rec = await oneScrape((_req, res) => res.writeHead(200).end(Buffer.from([0x44, 0x43, 0xff, 0xfe, 0x0a])));
    expect(rec.deliveries).toEqual([]);
    expect(rec.errors).toEqual([expect.stringMatching(/: response body is not valid UTF-8$/)]);
  });

  it('rejects an HTTP 500 with its status and body', async () => {
    const rec = await oneScrape(text('collector crashed\nstack…', 500));
    expect(rec.deliveries).toEqual([]);
    expect(rec.errors).toEqual([expect.stringMatching(/: HTTP 500 Internal Server Error: collector crashed$/)]);
  });

  it('rejects a body over the limit declared by Content-Length without reading it', async () => {
    const rec = await oneScrape(text(SAMPLE), {}, { maxBodyBytes: 1024 });
    expect(rec.deliveries).toEqual([]);
    expect(rec.errors).toEqual([expect.stringMatching(/: response body of \d+ bytes exceeds the 1 KiB limit$/)]);
  });

  it('stops reading an endless chunked body at the limit instead of buffering it', async () => {
    let written = 0;
    const url = route((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      const chunk = `${SAMPLE}\n`.repeat(4);
      const pump = () => {
        while (!res.destroyed && written < 200 * 1024 * 1024) {
          written += chunk.length;
          if (!res.write(chunk)) return void res.once('drain', pump);
        }
        res.end();
      };
      pump();
    }, 'endless');
    const rec = recorder();
    startFeed(new DcgmFeed(dcgm(url), { maxBodyBytes: 64 * 1024 }), rec.sink);
    await until(() => rec.errors.length > 0, 'an error');
    expect(rec.deliveries).toEqual([]);
    expect(rec.errors).toEqual([expect.stringMatching(/: response body exceeds the 64 KiB limit$/)]);
    await until(() => abandoned.has(new URL(url).pathname), 'the server to see the response abandoned');
    expect(written).toBeLessThan(20 * 1024 * 1024);
  });

  it('times out a server that does not answer', async () => {
    const rec = await oneScrape(() => {}, {}, { timeoutMs: 150 });
    expect(rec.deliveries).toEqual([]);
    expect(rec.errors).toEqual([expect.stringMatching(/: no complete response within 0\.15 s \(timeout\)$/)]);
  });

  it('times out a body that stalls half way', async () => {
    const rec = await oneScrape((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write(SAMPLE.slice(0, 500));
    }, {}, { timeoutMs: 150 });
    expect(rec.deliveries).toEqual([]);
    expect(rec.errors).toEqual([expect.stringMatching(/\(timeout\)$/)]);
  });

  it('reports a refused connection', async () => {
    const port = await closedPort();
    const rec = recorder();
    startFeed(new DcgmFeed(dcgm(`http://127.0.0.1:${port}/metrics`)), rec.sink);
    await until(() => rec.errors.length > 0, 'an error');
    expect(rec.errors).toEqual([`GET http://127.0.0.1:${port}/metrics: connection refused (ECONNREFUSED)`]);
    expect(rec.deliveries).toEqual([]);
  });

  it('scrapes every interval and stops cleanly, cancelling a request in flight', async () => {
    let hits = 0;
    let hang = false;
    const url = route((_req, res) => {
      hits++;
      if (!hang) res.writeHead(200).end(SAMPLE);
    });
    const rec = recorder();
    const feed = new DcgmFeed(dcgm(url, { intervalS: 0.1 }));
    feed.start(rec.sink);
    await until(() => rec.deliveries.length >= 3, 'three scrapes');
    hang = true;
    const seen = hits;
    await until(() => hits > seen, 'a scrape that hangs');
    const t0 = Date.now();
    await feed.stop();
    expect(Date.now() - t0).toBeLessThan(500);
    const after = { d: rec.deliveries.length, e: rec.errors.length, hits };
    await new Promise((r) => setTimeout(r, 300));
    expect({ d: rec.deliveries.length, e: rec.errors.length, hits }).toEqual(after);
    expect(rec.errors).toEqual([]); // a cancelled request is not an error
  });

  it('survives a sink that throws (never throws out of its timer)', async () => {
    let calls = 0;
    const sink: FeedSink = {
      readings: () => {
        calls++;
        throw new Error('sink exploded');
      },
      error: () => {
        calls++;
        throw new Error('sink exploded again');
      },
    };
    startFeed(new DcgmFeed(dcgm(route(text(SAMPLE)), { intervalS: 0.1 })), sink);
    await until(() => calls >= 4, 'several rounds');
  });

  it('test() scrapes once and summarises', async () => {
    const ok = await DcgmFeed.test(dcgm(route(text(SAMPLE))));
    expect(ok).toMatchObject({ ok: true, gpus: 8, message: '8 GPUs on gpu-node-1, schema legacy' });
    expect(ok.latencyMs).toBeGreaterThanOrEqual(0);
    const bad = await DcgmFeed.test(dcgm(route(text('oops', 503))));
    expect(bad).toMatchObject({ ok: false, gpus: 0 });
    expect(bad.message).toMatch(/HTTP 503 Service Unavailable: oops$/);
  });

  it('sends URL credentials as basic auth and keeps the password out of details and errors', async () => {
    const url = route((req, res) => {
      if (req.headers.authorization !== `Basic ${Buffer.from('scraper:s3cret').toString('base64')}`) res.writeHead(401).end('who are you?');
      else text(SAMPLE)(req, res, new URL('http://x'));
    });
    const withAuth = url.replace('http://', 'http://scraper:s3cret@');
    const feed = new DcgmFeed(dcgm(withAuth));
    expect(feed.detail()).toBe(`GET ${url.replace('http://', 'http://scraper:***@')} every 60 s · not scraped yet`);
    expect(await DcgmFeed.test(dcgm(withAuth))).toMatchObject({ ok: true, gpus: 8 });
    const denied = await DcgmFeed.test(dcgm(url.replace('http://', 'http://scraper:wrong@')));
    expect(denied.message).toMatch(/^GET http:\/\/scraper:\*\*\*@127\.0\.0\.1:\d+\/r-\d+: HTTP 401 Unauthorized: who are you\?$/);
    const refused = await DcgmFeed.test(dcgm(`http://scraper:s3cret@127.0.0.1:${await closedPort()}/metrics`));
    expect(refused.ok).toBe(false);
    expect(refused.message).not.toContain('s3cret');
  });
});

// ---------------------------------------------------------------------------------------------------------------
// PromFeed against a fake Prometheus HTTP API

interface FakeSeries {
  metric: Record<string, string>;
  value: [number, string];
}
const U = (h: number, g: number) => `GPU-${String(h).padStart(8, '0')}-aaaa-bbbb-cccc-${String(g).padStart(12, '0')}`;
const T0 = 1_717_000_000.5;

/** Two hosts × two GPUs: host 1 labels `Hostname`, host 2 only `hostname`; a third series set only has `instance`. */
function fleetSeries(): Record<string, FakeSeries[]> {
  const labels = (h: number, g: number): Record<string, string> => {
    const common = { __name__: 'x', gpu: String(g), UUID: U(h, g), job: 'dcgm', instance: `10.0.0.${h}:9400` };
    if (h === 1) return { ...common, Hostname: 'gpu-p1' };
    if (h === 2) return { ...common, hostname: 'gpu-p2' };
    return common;
  };
  const per = (f: (h: number, g: number) => string, t = T0) =>
    [1, 2, 3].flatMap((h) => [0, 1].map((g): FakeSeries => ({ metric: labels(h, g), value: [t, f(h, g)] })));
  return {
    [PROMQL_DEFAULTS.powerW]: per((h, g) => String(300 + 10 * h + g), T0 - 2),
    [PROMQL_DEFAULTS.tempC]: per((h, g) => String(40 + h + g)),
    [PROMQL_DEFAULTS.smClockMHz]: per(() => '1980'),
    [PROMQL_DEFAULTS.utilPct]: per((h) => String(20 * h)),
    [PROMQL_DEFAULTS.limitW]: per(() => '700'),
  };
}

/** A handler answering /api/v1/query like Prometheus, from a table of query → series (or a custom response). */
function fakeProm(table: Record<string, FakeSeries[] | Handler>, seen: string[] = []): Handler {
  return (req, res, url) => {
    const q = url.searchParams.get('query') ?? '';
    seen.push(q);
    const entry = table[q];
    if (typeof entry === 'function') return entry(req, res, url);
    if (!entry) {
      res.writeHead(400, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'error', errorType: 'bad_data', error: `unknown query ${q}` }));
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: entry } }));
  };
}

/** Serve a fake Prometheus at <base>/p-N/api/v1/query; returns the server's base URL. */
function promRoute(table: Record<string, FakeSeries[] | Handler>, seen?: string[]): string {
  const name = `p-${++routeSeq}`;
  routes.set(`/${name}/api/v1/query`, fakeProm(table, seen));
  return `${base}/${name}`;
}

const prom = (url: string, over: object = {}) => PrometheusSourceSchema.parse({ kind: 'prometheus', id: 'prom-1', url, intervalS: 60, ...over });

async function oneRound(table: Record<string, FakeSeries[] | Handler>, opts: ConstructorParameters<typeof PromFeed>[1] = {}, over: object = {}) {
  const rec = recorder();
  startFeed(new PromFeed(prom(promRoute(table), over), opts), rec.sink);
  await until(() => rec.deliveries.length > 0 || rec.errors.length > 0, 'a delivery or an error');
  await new Promise((r) => setTimeout(r, 30));
  return rec;
}

const json =
  (body: unknown, status = 200): Handler =>
  (_req, res) => {
    const b = typeof body === 'string' ? body : JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(b)) }).end(b);
  };

describe('PromFeed', () => {
  it('stamps readings with the real scrape time and skips a GPU whose newest sample is older than maxSampleAgeS', async () => {
    const now = Date.now() / 1000;
    const t = fleetSeries();
    // Hosts 1 and 2 were scraped 3 s ago; host 3's exporter stopped 10 minutes ago (Prometheus' lookback still returns it).
    t[`timestamp(${PROMQL_DEFAULTS.powerW})`] = t[PROMQL_DEFAULTS.powerW]!.map((x) => ({ metric: x.metric, value: [now, String(x.metric.instance?.startsWith('10.0.0.3') ? now - 600 : now - 3)] }));
    const rec = recorder();
    const feed = new PromFeed(prom(promRoute(t)));
    startFeed(feed, rec.sink);
    await until(() => rec.deliveries.length >= 2 && rec.errors.length >= 2, 'two fresh hosts and two stale GPUs');
    const hosts = rec.deliveries.map((d) => d.host).sort();
    expect(hosts).toEqual(['gpu-p1', 'gpu-p2']);
    for (const d of rec.deliveries) expect(Math.abs(d.tMs - (now - 3) * 1000)).toBeLessThan(5);
    expect(rec.errors[0]).toMatch(/newest power sample is 600 s old \(limit 150 s; .*\): skipped$/);
    expect(feed.detail()).not.toMatch(/sample times unavailable/);
  });

  it('says in its detail when sample times cannot be asked, and still delivers', async () => {
    const rec = recorder();
    const feed = new PromFeed(prom(promRoute(fleetSeries())));
    startFeed(feed, rec.sink);
    await until(() => rec.deliveries.length === 3, 'three hosts');
    expect(feed.detail()).toMatch(/sample times unavailable \(Prometheus refused it \(HTTP 400, bad_data\): unknown query timestamp\(DCGM_FI_DEV_POWER_USAGE\)\)$/);
  });

  it('runs the five queries, joins by host + UUID and delivers per host with the oldest sample time', async () => {
    const seen: string[] = [];
    const rec = recorder();
    startFeed(new PromFeed(prom(promRoute(fleetSeries(), seen))), rec.sink);
    await until(() => rec.deliveries.length === 3, 'three hosts');
    expect(rec.errors).toEqual([]);
    // The five readings, plus when each GPU's power was really scraped (this fake cannot answer that: query time is used).
    expect(seen.sort()).toEqual([...Object.values(PROMQL_DEFAULTS), `timestamp(${PROMQL_DEFAULTS.powerW})`].sort());
    const byHost = new Map(rec.deliveries.map((d) => [d.host, d]));
    expect([...byHost.keys()].sort()).toEqual(['10.0.0.3', 'gpu-p1', 'gpu-p2']);
    const p1 = byHost.get('gpu-p1')!;
    expect(p1.tMs).toBe(Math.round((T0 - 2) * 1000));
    expect(p1.readings).toEqual([
      { uuid: U(1, 0), powerW: 310, limitW: 700, tempC: 41, memTempC: null, smClockMHz: 1980, utilPct: 20, clockEventMask: null },
      { uuid: U(1, 1), powerW: 311, limitW: 700, tempC: 42, memTempC: null, smClockMHz: 1980, utilPct: 20, clockEventMask: null },
    ]);
    expect(byHost.get('gpu-p2')!.readings.map((r) => r.powerW)).toEqual([320, 321]);
    expect(byHost.get('10.0.0.3')!.readings.map((r) => r.utilPct)).toEqual([60, 60]);
    rec.nothingInvalid();
    expect(running[0]!.detail()).toMatch(/^GET http:\/\/127\.0\.0\.1:\d+\/p-\d+\/api\/v1\/query \(5 queries\) every 60 s · 6 GPUs on 3 hosts( · sample times unavailable \(.*\))?$/);
  });

  it('sends custom PromQL URL-encoded', async () => {
    const seen: string[] = [];
    const t = fleetSeries();
    const custom = 'avg by (Hostname, UUID) (DCGM_FI_DEV_POWER_USAGE{job="dcgm"}[30s]) + 0 * on() vector(1)';
    t[custom] = t[PROMQL_DEFAULTS.powerW]!;
    const rec = recorder();
    startFeed(new PromFeed(prom(promRoute(t, seen), { queries: { powerW: custom } })), rec.sink);
    await until(() => rec.deliveries.length === 3, 'three hosts');
    expect(seen).toContain(custom);
    expect(rec.errors).toEqual([]);
  });

  it('skips a GPU without power or temperature series, counting it; optional readings may be absent', async () => {
    const t = fleetSeries();
    t[PROMQL_DEFAULTS.tempC] = t[PROMQL_DEFAULTS.tempC]!.filter((s) => s.metric.UUID !== U(1, 1));
    t[PROMQL_DEFAULTS.smClockMHz] = [];
    const rec = await oneRound(t);
    expect(rec.errors).toEqual([`GPU ${U(1, 1)} on gpu-p1: no tempC series: skipped (power and temperature are required)`]);
    const all = rec.deliveries.flatMap((d) => d.readings);
    expect(all).toHaveLength(5);
    expect(all.every((r) => r.smClockMHz === null)).toBe(true);
    rec.nothingInvalid();
  });

  it('delivers NaN, +Inf, negative and impossible values as null, one counted error per GPU', async () => {
    const t = fleetSeries();
    const set = (q: string, uuid: string, v: string) => (t[q]!.find((s) => s.metric.UUID === uuid)!.value[1] = v);
    set(PROMQL_DEFAULTS.powerW, U(1, 0), 'NaN');
    set(PROMQL_DEFAULTS.tempC, U(1, 1), '+Inf');
    set(PROMQL_DEFAULTS.powerW, U(2, 0), '-12');
    set(PROMQL_DEFAULTS.utilPct, U(2, 1), '250');
    set(PROMQL_DEFAULTS.limitW, U(2, 1), '-Inf');
    const rec = await oneRound(t);
    rec.nothingInvalid();
    const get = (u: string) => rec.deliveries.flatMap((d) => d.readings).find((r) => r.uuid === u)!;
    expect(get(U(1, 0))).toMatchObject({ powerW: null, tempC: 41 });
    expect(get(U(1, 1))).toMatchObject({ powerW: 311, tempC: null });
    expect(get(U(2, 0))).toMatchObject({ powerW: null });
    expect(get(U(2, 1))).toMatchObject({ utilPct: null, limitW: null, powerW: 321 });
    expect(rec.errors.sort()).toEqual(
      [
        `GPU ${U(1, 0)} on gpu-p1: powerW is NaN`,
        `GPU ${U(1, 1)} on gpu-p1: tempC is +Inf`,
        `GPU ${U(2, 0)} on gpu-p2: powerW -12 is negative`,
        `GPU ${U(2, 1)} on gpu-p2: limitW is -Inf; utilPct 250 outside 0…100`,
      ].sort(),
    );
  });

  it('counts series it cannot place and duplicates', async () => {
    const t = fleetSeries();
    t[PROMQL_DEFAULTS.powerW]!.push({ metric: { job: 'x' }, value: [T0, '1'] }, { ...t[PROMQL_DEFAULTS.powerW]![0]!, value: [T0, '999'] });
    const rec = await oneRound(t);
    expect(rec.errors).toEqual([
      `powerW query "DCGM_FI_DEV_POWER_USAGE": 1 series without a host (Hostname/hostname/instance) or UUID label ignored`,
      `powerW query "DCGM_FI_DEV_POWER_USAGE": 1 duplicate series for the same GPU ignored (kept the first; scraped twice?)`,
    ]);
    expect(rec.deliveries.flatMap((d) => d.readings).find((r) => r.uuid === U(1, 0))!.powerW).toBe(310);
  });

  const failures: Array<[string, Handler, RegExp, ConstructorParameters<typeof PromFeed>[1]?]> = [
    [
      'a Prometheus status:error (HTTP 400) with its error text',
      json({ status: 'error', errorType: 'bad_data', error: '1:9: parse error: unexpected character' }, 400),
      /^tempC query "DCGM_FI_DEV_GPU_TEMP" at http:\/\/\S+\/api\/v1\/query: Prometheus refused it \(HTTP 400, bad_data\): 1:9: parse error: unexpected character$/,
    ],
    ['a status:error with HTTP 200', json({ status: 'error', errorType: 'timeout', error: 'query timed out in expression evaluation' }), /Prometheus refused it \(timeout\): query timed out in expression evaluation$/],
    ['an HTTP 500 without JSON', (_q, res) => res.writeHead(500).end('upstream down'), /: HTTP 500 Internal Server Error: upstream down$/],
    ['a body that is not JSON', json('<html>login</html>'), /: response is not JSON \(.+\); is this a Prometheus server's base URL\?$/],
    ['a matrix instead of a vector', json({ status: 'success', data: { resultType: 'matrix', result: [] } }), /: returned a matrix, not an instant vector \(one series per GPU\)$/],
    [
      'a series whose value is not [time, "string"]',
      json({ status: 'success', data: { resultType: 'vector', result: [{ metric: { UUID: U(1, 0), Hostname: 'gpu-p1' }, value: [T0, 41] }] } }),
      /: unexpected response: data\.result\.0\.value\.1: .+/,
    ],
    ['a timeout', () => {}, /: no complete response within 0\.2 s \(timeout\)$/, { timeoutMs: 200 }],
    ['a body over the limit', json({ status: 'success', data: { resultType: 'vector', result: [] }, pad: 'x'.repeat(5000) }), /: response body of \d+ bytes exceeds the 4 KiB limit$/, { maxBodyBytes: 4096 }],
  ];
  it.each(failures)('fails the whole round on %s, delivering nothing', async (_name, handler, pattern, opts) => {
    const t: Record<string, FakeSeries[] | Handler> = fleetSeries();
    t[PROMQL_DEFAULTS.tempC] = handler;
    const rec = await oneRound(t, opts);
    expect(rec.deliveries).toEqual([]);
    expect(rec.errors).toHaveLength(1);
    expect(rec.errors[0]).toMatch(pattern);
    expect(rec.errors[0]).toMatch(/^tempC query "DCGM_FI_DEV_GPU_TEMP" at /);
  });

  it('reports a refused connection', async () => {
    const rec = recorder();
    startFeed(new PromFeed(prom(`http://127.0.0.1:${await closedPort()}`)), rec.sink);
    await until(() => rec.errors.length > 0, 'an error');
    await new Promise((r) => setTimeout(r, 30));
    expect(rec.errors).toEqual([expect.stringMatching(/^\w+ query "DCGM_FI_DEV_\w+" at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query: connection refused \(ECONNREFUSED\)$/)]);
    expect(rec.deliveries).toEqual([]);
  });

  it('feeds a FleetSource through the inventory', async () => {
    const inv = resolveInventory(
      InventorySchema.parse({
        site: { id: 'lab', name: 'lab' },
        rows: [
          {
            id: 'A',
            budgetKW: 40,
            coolingKW: 45,
            gpuModel: 'H100-SXM',
            racks: [{ id: 'A01', servers: [1, 2].map((h) => ({ host: `gpu-p${h}`, gpus: [U(h, 0), U(h, 1)] })) }],
          },
        ],
      }),
    );
    const fleet = new FleetSource(inv);
    fleet.addFeed(new PromFeed(prom(promRoute(fleetSeries()))));
    try {
      await until(() => fleet.health()[0]!.errors > 0 && fleet.health()[0]!.state === 'up', 'the feed to come up');
      const batch = fleet.poll()!;
      expect(Array.from(batch.powerW)).toEqual([310, 311, 320, 321]);
      // The third host (instance 10.0.0.3) is not in the inventory: counted against the feed, not fatal.
      expect(fleet.health()[0]).toMatchObject({ state: 'up', errors: 1, lastError: 'host "10.0.0.3" is not in the inventory' });
    } finally {
      await fleet.close();
    }
  });

  it('test() runs one round and summarises', async () => {
    const ok = await PromFeed.test(prom(promRoute(fleetSeries())));
    expect(ok).toMatchObject({ ok: true, gpus: 6, message: '6 GPUs on 3 hosts via Prometheus' });
    const t: Record<string, FakeSeries[] | Handler> = fleetSeries();
    t[PROMQL_DEFAULTS.limitW] = json({ status: 'error', errorType: 'bad_data', error: 'nope' }, 422);
    const bad = await PromFeed.test(prom(promRoute(t)));
    expect(bad).toMatchObject({ ok: false, gpus: 0 });
    expect(bad.message).toMatch(/^limitW query .* Prometheus refused it \(HTTP 422, bad_data\): nope$/);
  });
});
