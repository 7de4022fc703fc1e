import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, PrometheusProcess } from './promHarness.js';
import { HostAgent } from '../../../main/agent/agent.js';
import { createCa, issueAgentCert, loadIdentity } from '../../../main/pki/certs.js';
import { SimBackend, simGpuUuid } from '../../../main/agent/simBackend.js';
import { DcgmFeed } from '../../../main/sources/dcgmFeed.js';
import { FleetSource } from '../../../main/fleet/fleetSource.js';
import { type FeedSink } from '../../../main/core/source.js';
import { InventorySchema, resolveInventory } from '../../../main/fleet/inventory.js';
import { parseDcgmExporter } from '../../../main/sources/parsers/dcgm.js';
import { PromFeed } from '../../../main/sources/promFeed.js';
import type { AgentReading } from '../../../shared/agentProtocol.js';
import { DcgmSourceSchema, PrometheusSourceSchema } from '../../../shared/domain/sources.js';
import { tempDir } from '../../helpers.js';

/**
 * The real Prometheus (Debian's `prometheus` package) scraping three Headroom host agents' /metrics pages, and
 * Headroom's PromFeed reading them back through the HTTP API: every GPU's values must equal what the agent itself
 * serves. The agents' readings are pinned (constant), so "at a matching time" is any time.
 *
 * Prometheus is a required test dependency (`.ci/run` installs it): when it is missing this suite FAILS, it does not
 * skip, so a green run always means the real server was exercised.
 */

const PROMETHEUS = '/usr/bin/prometheus';
const HOSTS = ['gpu-p1', 'gpu-p2', 'gpu-p3'];
const SAFE_PCT = 60; // → 420 W on a 700 W H100
const tmp = tempDir('headroom-prometheus-');
const agents = new Map<string, HostAgent>();
const prometheus = new PrometheusProcess();
let promUrl = '';

/** A simulated host whose readings never change, so Prometheus' copy and the agent's page must agree exactly. */
class PinnedSim extends SimBackend {
  constructor(
    host: string,
    private readonly hostIndex: number,
  ) {
    super({ host, gpus: 8 });
  }

  override async read(): Promise<{ tMs: number; readings: AgentReading[]; invalid: number }> {
    const r = await super.read();
    const h = this.hostIndex;
    return {
      ...r,
      readings: r.readings.map((x, i) => ({ ...x, powerW: 100 + 50 * h + 3.25 * i, tempC: 40 + h + i, memTempC: 50, smClockMHz: 1400 + 10 * i, utilPct: 10 * h + i, clockEventMask: 0 })),
    };
  }
}

async function getJson(url: string): Promise<unknown> {
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2000) });
    return res.ok ? await res.json() : undefined;
  } catch {
    return undefined;
  }
}

async function startAgents(): Promise<void> {
  const certs = tmp.file('certs');
  mkdirSync(certs);
  await createCa(certs);
  for (const [i, host] of HOSTS.entries()) {
    await issueAgentCert(certs, host);
    const agent = await HostAgent.start({
      host,
      backend: new PinnedSim(host, i),
      identity: loadIdentity(certs, `agent-${host}`),
      listen: { host: '127.0.0.1', port: 0 },
      metricsListen: { host: '127.0.0.1', port: 0 },
      intervalMs: 200,
      safeCap: { pct: SAFE_PCT },
    });
    agents.set(host, agent);
  }
}

async function startPrometheus(): Promise<void> {
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  const targets = [...agents.values()].map((a) => `'127.0.0.1:${a.metricsPort}'`).join(', ');
  const config = tmp.file('prometheus.yml');
  writeFileSync(config, ['global:', '  scrape_interval: 1s', '  evaluation_interval: 1s', 'scrape_configs:', '  - job_name: headroom-agents', `    static_configs: [{ targets: [${targets}] }]`, ''].join('\n'));
  await prometheus.start(PROMETHEUS, config, tmp.file('tsdb'), port);
  await prometheus.until(
    'all three agents to be scraped (targets up)',
    async () => {
      const t = (await getJson(`${promUrl}/api/v1/targets`)) as { data?: { activeTargets?: Array<{ health: string }> } } | undefined;
      const active = t?.data?.activeTargets ?? [];
      return active.length === HOSTS.length && active.every((x) => x.health === 'up');
    },
    15_000,
  );
}


beforeAll(async () => {
  if (!existsSync(PROMETHEUS)) {
    throw new Error(`${PROMETHEUS} is missing: this test needs the real Prometheus server. Install it with: apt-get install prometheus (.ci/run does this on CI)`);
  }
  await startAgents();
  await startPrometheus();
}, 50_000);

afterAll(async () => {
  await prometheus.stop();
  await Promise.all([...agents.values()].map((a) => a.stop()));
  tmp.cleanup();
}, 15_000);

/** What the agent's own /metrics page says, per GPU UUID (parsed with the same dcgm mapping as exporters). */
async function agentPage(host: string): Promise<Map<string, AgentReading>> {
  const res = await fetch(`http://127.0.0.1:${agents.get(host)!.metricsPort}/metrics`);
  const parsed = parseDcgmExporter(await res.text());
  if (!parsed.ok) throw new Error(`the agent's own page does not parse: ${parsed.error.message}`);
  return new Map(
    parsed.readings.map((r) => [r.uuid, { uuid: r.uuid, powerW: r.powerW, limitW: r.limitW ?? null, tempC: r.tempC, memTempC: null, smClockMHz: r.smClockMHz, utilPct: r.utilPct, clockEventMask: null }]),
  );
}

/** Latest delivery per host, and every error. */
function recorder() {
  const latest = new Map<string, { tMs: number; readings: AgentReading[] }>();
  const errors: string[] = [];
  const sink: FeedSink = {
    readings: (_f, host, tMs, readings) => void latest.set(host, { tMs, readings: [...readings] }),
    error: (_f, m) => void errors.push(m),
  };
  return { latest, errors, sink };
}

const allHostsComplete = (latest: Map<string, { readings: AgentReading[] }>) => HOSTS.every((h) => latest.get(h)?.readings.length === 8);

describe('PromFeed against the real Prometheus scraping Headroom agents', () => {
  it('delivers, for every GPU of every agent, exactly the values the agent serves', async () => {
    const rec = recorder();
    const t0 = Date.now();
    const feed = new PromFeed(PrometheusSourceSchema.parse({ kind: 'prometheus', id: 'prom', url: promUrl, intervalS: 0.5 }));
    feed.start(rec.sink);
    try {
      await prometheus.until('PromFeed to deliver 8 GPUs for each of the 3 hosts', () => allHostsComplete(rec.latest), 10_000);
    } finally {
      await feed.stop();
    }
    expect(rec.errors).toEqual([]);
    expect([...rec.latest.keys()].sort()).toEqual(HOSTS);
    for (const [h, host] of HOSTS.entries()) {
      const got = rec.latest.get(host)!;
      const page = await agentPage(host);
      expect(new Set(got.readings.map((r) => r.uuid))).toEqual(new Set(Array.from({ length: 8 }, (_, g) => simGpuUuid(host, g))));
      expect(new Set(page.keys())).toEqual(new Set(got.readings.map((r) => r.uuid)));
      for (const r of got.readings) {
        expect(r).toEqual(page.get(r.uuid));
        expect(r.limitW).toBe((SAFE_PCT / 100) * 700);
      }
      expect(got.readings.map((r) => r.powerW).sort((a, b) => a! - b!)).toEqual(Array.from({ length: 8 }, (_, i) => 100 + 50 * h + 3.25 * i));
      // Stamped with the real scrape time (`timestamp(...)`, 1 s scrapes): recent, never in the future.
      expect(got.tMs).toBeGreaterThan(t0 - 5000);
      expect(got.tMs).toBeLessThanOrEqual(Date.now());
    }
    // Ends with the GPU count: the real server answered the sample-time query (no "sample times unavailable").
    expect(feed.detail()).toMatch(/· 24 GPUs on 3 hosts$/);
  });

  it('feeds a FleetSource end to end: inventory placement and values', async () => {
    const inventory = resolveInventory(
      InventorySchema.parse({
        site: { id: 'lab', name: 'Prometheus lab' },
        rows: [{ id: 'A', budgetKW: 30, coolingKW: 35, gpuModel: 'H100-SXM', racks: [{ id: 'A01', servers: HOSTS.map((host) => ({ host, gpus: Array.from({ length: 8 }, (_, g) => simGpuUuid(host, g)) })) }] }],
      }),
    );
    const fleet = new FleetSource(inventory);
    fleet.addFeed(new PromFeed(PrometheusSourceSchema.parse({ kind: 'prometheus', id: 'prom', url: promUrl, intervalS: 0.5 })));
    try {
      const expected = Array.from({ length: 24 }, (_, g) => 100 + 50 * Math.floor(g / 8) + 3.25 * (g % 8));
      await prometheus.until(
        'the fleet to hold all 24 GPUs',
        () => {
          const batch = fleet.poll();
          return batch !== null && Array.from(batch.powerW).every((w, g) => w === expected[g]) && Array.from(batch.limitW).every((l) => l === 420);
        },
        10_000,
      );
      expect(fleet.health()[0]).toMatchObject({ kind: 'prometheus', state: 'up', errors: 0 });
    } finally {
      await fleet.close();
    }
  });

  it('DcgmFeed scraping the agents directly agrees with PromFeed through Prometheus', async () => {
    const direct = recorder();
    const feeds = HOSTS.map((host) => new DcgmFeed(DcgmSourceSchema.parse({ kind: 'dcgm', id: `d-${host}`, url: `http://127.0.0.1:${agents.get(host)!.metricsPort}/metrics` })));
    const viaProm = recorder();
    const pf = new PromFeed(PrometheusSourceSchema.parse({ kind: 'prometheus', id: 'prom', url: promUrl, intervalS: 0.5 }));
    for (const f of feeds) f.start(direct.sink);
    pf.start(viaProm.sink);
    try {
      await prometheus.until('both paths to deliver every GPU', () => allHostsComplete(direct.latest) && allHostsComplete(viaProm.latest), 10_000);
    } finally {
      await Promise.all([...feeds, pf].map((f) => f.stop()));
    }
    expect(direct.errors).toEqual([]);
    expect(viaProm.errors).toEqual([]);
    const byUuid = (m: Map<string, { readings: AgentReading[] }>) => new Map([...m.values()].flatMap((d) => d.readings).map((r) => [r.uuid, r]));
    const a = byUuid(direct.latest);
    const b = byUuid(viaProm.latest);
    expect(a.size).toBe(24);
    // The agents' page also exports clock-event reasons, which the five PromQL queries do not ask for.
    for (const [uuid, r] of a) expect({ ...r, clockEventMask: null }).toEqual(b.get(uuid));
    const summary = await DcgmFeed.test(DcgmSourceSchema.parse({ kind: 'dcgm', id: 'd', url: `http://127.0.0.1:${agents.get('gpu-p2')!.metricsPort}/metrics` }));
    expect(summary).toMatchObject({ ok: true, gpus: 8 });
    expect(summary.message).toMatch(/^8 GPUs on gpu-p2, schema /);
  });

  it('headroom import prometheus --url: a range from the real server becomes a recording with the agents\' values', async () => {
    const inv = tmp.file('import-inventory.json');
    writeFileSync(
      inv,
      JSON.stringify({
        site: { id: 'lab', name: 'Prometheus lab' },
        rows: [{ id: 'A', budgetKW: 30, coolingKW: 35, gpuModel: 'H100-SXM', racks: [{ id: 'A01', servers: HOSTS.map((host) => ({ host, gpus: Array.from({ length: 8 }, (_, g) => simGpuUuid(host, g)) })) }] }],
      }),
    );
    const out = tmp.file('prom.headroom');
    const { spawnSync } = await import('node:child_process');
    const { openRecording, RECORDED_RUN } = await import('../../../main/store/recording.js');
    const { gpuSeries } = await import('../../../main/store/telemetry.js');
    let now = 0;
    // Prometheus may have scraped for only a second or two when this runs alone: import until it holds a few samples.
    await prometheus.until(
      'Prometheus to hold a few seconds of samples',
      () => {
        now = Date.now();
        const r = spawnSync(process.execPath, ['bin/headroom.js', 'import', 'prometheus', '--url', promUrl, '--from', String(now - 10_000), '--to', String(now), '--inventory', inv, '--out', out], { encoding: 'utf8', timeout: 60_000 });
        // Before its first scrapes Prometheus has nothing in the window: try again; any other failure is one.
        if (r.status !== 0 && /nothing to import/.test(r.stderr)) return false;
        expect(r.status, r.stderr).toBe(0);
        const d = openRecording(out);
        try {
          // Every host checked below has a few scraped samples (a loaded machine misses scrapes of one target or another).
          return [0, 9, 23].every((g) => {
            const s = gpuSeries(d, RECORDED_RUN, g, 0, now + 60_000);
            return s.tMs.length > 3 && s.powerW.filter((x) => !Number.isNaN(x)).length >= 3;
          });
        } finally {
          d.close();
        }
      },
      20_000,
    );
    const db = openRecording(out);
    try {
      for (const g of [0, 9, 23]) {
        const s = gpuSeries(db, RECORDED_RUN, g, 0, now + 60_000);
        expect(s.tMs.length).toBeGreaterThan(3);
        // Pinned agents: every stored second carries what the agent serves (power at the store's 0.1 W), or nothing
        // where Prometheus had no sample of that target (a missed scrape is a gap, stored missing, never a number).
        const held = (xs: number[]) => new Set(xs.filter((x) => !Number.isNaN(x)));
        expect(s.powerW.filter((x) => !Number.isNaN(x)).length).toBeGreaterThanOrEqual(3);
        expect(held(s.powerW)).toEqual(new Set([Math.round((100 + 50 * Math.floor(g / 8) + 3.25 * (g % 8)) * 10) / 10]));
        expect(held(s.limitW)).toEqual(new Set([420]));
        expect(held(s.clockMHz)).toEqual(new Set([1400 + 10 * (g % 8)]));
      }
    } finally {
      db.close();
    }
  });

  it("reports the real server's refusals clearly: bad PromQL, a scalar instead of a vector", async () => {
    const bad = await PromFeed.test(PrometheusSourceSchema.parse({ kind: 'prometheus', id: 'p', url: promUrl, queries: { tempC: 'DCGM_FI_DEV_GPU_TEMP{' } }));
    expect(bad).toMatchObject({ ok: false, gpus: 0 });
    expect(bad.message).toMatch(/^tempC query "DCGM_FI_DEV_GPU_TEMP\{" at http:\/\/127\.0\.0\.1:\d+\/api\/v1\/query: Prometheus refused it \(HTTP 400, bad_data\): .*parse error/);
    const scalar = await PromFeed.test(PrometheusSourceSchema.parse({ kind: 'prometheus', id: 'p', url: promUrl, queries: { utilPct: 'scalar(vector(1))' } }));
    expect(scalar).toMatchObject({ ok: false, gpus: 0 });
    expect(scalar.message).toMatch(/utilPct query .*: returned a scalar, not an instant vector \(one series per GPU\)$/);
  });
});
