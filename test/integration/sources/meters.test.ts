import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, PrometheusProcess } from './promHarness.js';
import { DEFAULT_ALERT_RULES, type AlertRule } from '../../../shared/domain/alerts.js';
import { PrometheusSourceSchema } from '../../../shared/domain/sources.js';
import { simGpuUuid } from '../../../main/agent/simBackend.js';
import { FleetSource } from '../../../main/fleet/fleetSource.js';
import { InventorySchema, resolveInventory } from '../../../main/fleet/inventory.js';
import { PromFeed } from '../../../main/sources/promFeed.js';
import { Engine } from '../../../main/engine/engine.js';
import { tempDir } from '../../helpers.js';

/**
 * Rack-PDU meters through the real Prometheus (Debian's `prometheus`), set up the way a site points it at
 * snmp_exporter: each PDU is a scrape target of a `pdu` job (module apcups; rack and side as target labels; the
 * exporter's address swapped in by relabelling), beside the GPUs' dcgm-exporter page. A fake exporter answers both:
 * 8 GPUs per host at 500 W and 50 % (6.5 kW per rack with the inventory's server overhead), PDUs reading
 * rPDU2DeviceStatusPower in hundredths of a kW: rack A01 325 + 325 (agrees), A02 400 + 400 (8 kW: +18.75 %).
 * PromFeed → FleetSource → Engine: the metered kW must reach the engine, control must see them, and the drift
 * must raise meterDrift for A02 alone. Like prometheus.test.ts this FAILS (never skips) without the binary.
 */

const PROMETHEUS = '/usr/bin/prometheus';
const HOSTS = ['gpu-m1', 'gpu-m2'];
const PDUS: Record<string, { rack: string; side: string; hundredthsKW: number }> = {
  'pdu-a01-a': { rack: 'A01', side: 'A', hundredthsKW: 325 },
  'pdu-a01-b': { rack: 'A01', side: 'B', hundredthsKW: 325 },
  'pdu-a02-a': { rack: 'A02', side: 'A', hundredthsKW: 400 },
  'pdu-a02-b': { rack: 'A02', side: 'B', hundredthsKW: 400 },
};
const tmp = tempDir('headroom-meters-');
let exporter: Server | null = null;
const prometheus = new PrometheusProcess();
let promUrl = '';

function gpuPage(): string {
  const fields: Array<[string, number]> = [['DCGM_FI_DEV_POWER_USAGE', 500], ['DCGM_FI_DEV_GPU_TEMP', 50], ['DCGM_FI_DEV_SM_CLOCK', 1500], ['DCGM_FI_DEV_GPU_UTIL', 50], ['DCGM_FI_DEV_POWER_MGMT_LIMIT', 700]];
  const lines: string[] = [];
  for (const [name, v] of fields) {
    lines.push(`# TYPE ${name} gauge`);
    for (const host of HOSTS) for (let g = 0; g < 8; g++) lines.push(`${name}{gpu="${g}",UUID="${simGpuUuid(host, g)}",Hostname="${host}"} ${v}`);
  }
  return `${lines.join('\n')}\n`;
}

/** GPUs at /metrics; at /snmp?module=apcups&target=<pdu>, what snmp_exporter's apcups module says of that PDU. */
function startExporter(): Promise<number> {
  exporter = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const pdu = PDUS[url.searchParams.get('target') ?? ''];
    const body =
      url.pathname === '/metrics' ? gpuPage() : url.pathname === '/snmp' && pdu && url.searchParams.get('module') === 'apcups' ? `# TYPE rPDU2DeviceStatusPower gauge\nrPDU2DeviceStatusPower{rPDU2DeviceStatusIndex="1"} ${pdu.hundredthsKW}\n` : null;
    if (body === null) res.writeHead(404).end();
    else res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body);
  });
  return new Promise((resolve) => exporter!.listen(0, '127.0.0.1', () => resolve((exporter!.address() as AddressInfo).port)));
}

async function startPrometheus(exporterPort: number): Promise<void> {
  const port = await freePort();
  promUrl = `http://127.0.0.1:${port}`;
  const pdus = Object.entries(PDUS).map(([target, p]) => `      - { targets: [${target}], labels: { rack: ${p.rack}, side: ${p.side} } }`);
  const config = tmp.file('prometheus.yml');
  writeFileSync(
    config,
    [
      'global: { scrape_interval: 1s, evaluation_interval: 1s }',
      'scrape_configs:',
      '  - job_name: dcgm',
      `    static_configs: [{ targets: ['127.0.0.1:${exporterPort}'] }]`,
      '  - job_name: pdu',
      '    metrics_path: /snmp',
      '    params: { module: [apcups] }',
      '    static_configs:',
      ...pdus,
      '    relabel_configs:',
      '      - { source_labels: [__address__], target_label: __param_target }',
      '      - { source_labels: [__param_target], target_label: instance }',
      `      - { target_label: __address__, replacement: '127.0.0.1:${exporterPort}' }`,
      '',
    ].join('\n'),
  );
  await prometheus.start(PROMETHEUS, config, tmp.file('tsdb'), port);
  await prometheus.until(
    'the GPU page and the four PDUs to be scraped (targets up)',
    async () => {
      const res = await fetch(`${promUrl}/api/v1/targets`, { signal: AbortSignal.timeout(2000) }).catch(() => null);
      const t = (res?.ok ? await res.json() : undefined) as { data?: { activeTargets?: Array<{ health: string }> } } | undefined;
      const active = t?.data?.activeTargets ?? [];
      return active.length === 5 && active.every((x) => x.health === 'up');
    },
    20_000,
  );
}


beforeAll(async () => {
  if (!existsSync(PROMETHEUS)) throw new Error(`${PROMETHEUS} is missing: this test needs the real Prometheus server. Install it with: apt-get install prometheus (.ci/run does this on CI)`);
  await startPrometheus(await startExporter());
}, 60_000);

afterAll(async () => {
  await prometheus.stop();
  await new Promise((r) => (exporter ? exporter.close(r) : r(undefined)));
  tmp.cleanup();
}, 15_000);

describe('rack-PDU meters through the real Prometheus', () => {
  it('reach the engine per rack, decide the power control sees, and a drifting rack raises meterDrift', async () => {
    const inventory = resolveInventory(
      InventorySchema.parse({
        site: { id: 'lab', name: 'Meter lab' },
        rows: [{ id: 'A', budgetKW: 40, coolingKW: 45, gpuModel: 'H100-SXM', racks: HOSTS.map((host, i) => ({ id: `A0${i + 1}`, servers: [{ host, gpus: Array.from({ length: 8 }, (_, g) => simGpuUuid(host, g)) }] })) }],
      }),
    );
    const fleet = new FleetSource(inventory);
    const feed = new PromFeed(PrometheusSourceSchema.parse({ kind: 'prometheus', id: 'prom', url: promUrl, intervalS: 0.5, meters: { racks: { sideLabel: 'side', pdusPerRack: 2 } } }));
    fleet.addFeed(feed);
    // Short hold and window so the test takes seconds; the rule is otherwise the default one.
    const rules: AlertRule[] = DEFAULT_ALERT_RULES.map((r) => (r.kind === 'meterDrift' ? { ...r, windowS: 3, forS: 2 } : r));
    const engine = new Engine({ topology: inventory.topology, source: fleet, stepMs: 500, startMs: Date.now(), alertRules: rules });
    try {
      const alert = await prometheus.until(
        'meterDrift to fire on rack A02',
        async () => {
          engine.tick();
          await new Promise((r) => setTimeout(r, 500));
          return engine.activeAlerts().find((a) => a.rule === 'meterDrift' && a.state === 'firing');
        },
        30_000,
      );
      expect(Array.from(engine.meters.rackMeteredKW, (x) => Math.round(x * 1000) / 1000)).toEqual([6.5, 8]);
      expect(Array.from(engine.agg.rackW)).toEqual([6500, 6500]);
      expect(Array.from(engine.controlRackW, Math.round)).toEqual([6500, 8000]);
      expect(Array.from(engine.controlRowW, Math.round)).toEqual([14_500]);
      expect(alert).toMatchObject({ id: 'meterDrift:A02', subject: { kind: 'rack', id: 'A02' }, row: 'A', value: 18.8, severity: 'warning' });
      expect(alert.summary).toBe('Rack A02: its PDUs read 8.0 kW, the model 6.5 kW (GPU readings + server overhead): drift +18.8 % over 3 s (threshold 10 %)');
      expect(engine.activeAlerts().filter((a) => a.rule === 'meterDrift').map((a) => a.id)).toEqual(['meterDrift:A02']);
      const health = fleet.health()[0]!;
      expect(health).toMatchObject({ state: 'up', errors: 0 });
      // The plain selector's sample times came back from the real server (no "sample times unavailable").
      expect(health.detail).toMatch(/\(5 \+ 2 meter queries\) every 0\.5 s · 16 GPUs on 2 hosts · meters: 2 racks$/);
    } finally {
      await fleet.close();
    }
  }, 60_000);
});
