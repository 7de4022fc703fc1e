import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { AgentReading } from '../../../shared/agentProtocol.js';
import { DcgmSourceSchema, PrometheusSourceSchema } from '../../../shared/domain/sources.js';
import { DcgmFeed } from '../../../main/sources/dcgmFeed.js';
import type { Feed, FeedSink } from '../../../main/core/source.js';
import { PromFeed } from '../../../main/sources/promFeed.js';
import { invalidReasons } from '../../../main/core/readings.js';

/**
 * The two scraping feeds under generated and mutated responses (fast-check): no throw, every failure a counted error,
 * and nothing impossible delivered (a value is either plausible or null, which the engine treats as worst case).
 */
const UUID = 'GPU-c4529c8d-69c4-b61d-e0bc-7b2460096005';
const num = fc.oneof(fc.double(), fc.constantFrom(NaN, Infinity, -Infinity, -1, 0, 1e9, 700, 65.5), fc.integer({ min: -1000, max: 3000 }));
const numText = num.map((x) => (Number.isNaN(x) ? 'NaN' : x === Infinity ? '+Inf' : x === -Infinity ? '-Inf' : String(x)));

function fetchReturning(body: string, status = 200): typeof fetch {
  return (async () => new Response(body, { status, headers: { 'content-type': 'application/json' } }));
}

/** Run one round of a feed and collect what it delivered and reported. */
async function oneRound(feed: Feed): Promise<{ readings: AgentReading[]; errors: string[] }> {
  const readings: AgentReading[] = [];
  const errors: string[] = [];
  let done!: () => void;
  const settled = new Promise<void>((r) => (done = r));
  const sink: FeedSink = { readings: (_f, _h, _t, r) => (readings.push(...r), done()), error: (_f, m) => (errors.push(m), done()) };
  feed.start(sink);
  await Promise.race([settled, new Promise((r) => setTimeout(r, 200))]);
  await new Promise((r) => setTimeout(r, 0));
  await feed.stop();
  return { readings, errors };
}

function plausible(r: AgentReading): boolean {
  const bad = invalidReasons({ powerW: r.powerW, tempC: r.tempC, smClockMHz: r.smClockMHz, utilPct: r.utilPct, ...(r.limitW === null ? {} : { limitW: r.limitW }) }).filter((x) => !x.endsWith(' missing'));
  return bad.length === 0;
}

describe('feed fuzzing', () => {
  it('a Prometheus server answering anything: no throw, nothing impossible delivered', async () => {
    let tried = 0;
    const vector = (values: string[]) =>
      JSON.stringify({ status: 'success', data: { resultType: 'vector', result: values.map((v) => ({ metric: { Hostname: 'gpu-1', UUID }, value: [1_800_000_000, v] })) } });
    const body = fc.oneof(
      fc.jsonValue({ maxDepth: 5 }).map((j) => JSON.stringify(j)),
      fc.string({ maxLength: 300 }),
      fc.array(numText, { minLength: 0, maxLength: 3 }).map(vector),
    );
    await fc.assert(
      fc.asyncProperty(body, fc.constantFrom(200, 200, 200, 400, 500, 503), async (b, status) => {
        tried++;
        const feed = new PromFeed(PrometheusSourceSchema.parse({ kind: 'prometheus', id: 'p', url: 'http://prom.test:9090', intervalS: 3600 }), { fetch: fetchReturning(b, status) });
        const { readings, errors } = await oneRound(feed);
        for (const r of readings) expect(plausible(r), JSON.stringify(r)).toBe(true);
        for (const e of errors) expect(e.length).toBeGreaterThan(5);
      }),
      { numRuns: 400, seed: 21 },
    );
    expect(tried).toBe(400);
  }, 60_000);

  it('a dcgm-exporter answering anything: no throw, nothing impossible delivered', async () => {
    let tried = 0;
    const line = fc.tuple(fc.constantFrom('DCGM_FI_DEV_POWER_USAGE', 'DCGM_FI_DEV_GPU_TEMP', 'DCGM_FI_DEV_SM_CLOCK', 'DCGM_FI_DEV_GPU_UTIL', 'DCGM_FI_DEV_POWER_MGMT_LIMIT', 'X'), numText).map(([m, v]) => `${m}{gpu="0",UUID="${UUID}",Hostname="gpu-1"} ${v}`);
    const body = fc.oneof(fc.string({ maxLength: 300 }), fc.array(line, { maxLength: 8 }).map((ls) => ls.join('\n') + '\n'));
    await fc.assert(
      fc.asyncProperty(body, async (b) => {
        tried++;
        const feed = new DcgmFeed(DcgmSourceSchema.parse({ kind: 'dcgm', id: 'd', url: 'http://gpu-1:9400/metrics', intervalS: 3600 }), { fetch: fetchReturning(b) });
        const { readings, errors } = await oneRound(feed);
        for (const r of readings) expect(plausible(r), JSON.stringify(r)).toBe(true);
        for (const e of errors) expect(e.length).toBeGreaterThan(5);
      }),
      { numRuns: 400, seed: 22 },
    );
    expect(tried).toBe(400);
  }, 60_000);
});
