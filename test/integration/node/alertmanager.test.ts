import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import { AlertmanagerSender } from '../../../main/node/alertmanager.js';
import type { Alert } from '../../../shared/domain/fleet.js';
import { defaultTopology, tempDir } from '../../helpers.js';
import { freePort, ServerProcess } from '../processHarness.js';

/**
 * Headroom's alerts in the real Prometheus Alertmanager (Debian's `prometheus-alertmanager`, API v2): the simulator's
 * alerts must appear there with Headroom's labels, annotations and start time, and an alert that resolves in
 * Headroom must be reported resolved by Alertmanager at the time it resolved (its webhook receiver, send_resolved) —
 * not later, when it would merely have expired. Alertmanager's GET /api/v2/alerts lists active alerts only, so
 * "resolved" is read from the notification Alertmanager itself sends.
 *
 * Alertmanager is a required test dependency (`.ci/run` installs it): when it is missing this suite FAILS, it does
 * not skip, so a green run always means the real server was exercised.
 */

const ALERTMANAGER = '/usr/bin/prometheus-alertmanager';
const tmp = tempDir('headroom-alertmanager-');
const am = new ServerProcess('alertmanager');
let amUrl = '';
/** Every notification Alertmanager sent to the webhook receiver. */
const notifications: Array<{ status: string; alerts: Array<{ status: string; labels: Record<string, string>; startsAt: string; endsAt: string }> }> = [];
let hook: Server;

interface AmAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
  status: { state: string };
}

/** Alertmanager's active alerts matching the label filters (silenced, inhibited and unprocessed ones included). */
async function amAlerts(filters: Record<string, string>): Promise<AmAlert[]> {
  const q = new URLSearchParams([['active', 'true'], ['silenced', 'true'], ['inhibited', 'true'], ['unprocessed', 'true']]);
  for (const [k, v] of Object.entries(filters)) q.append('filter', `${k}="${v}"`);
  const res = await fetch(`${amUrl}/api/v2/alerts?${q}`, { signal: AbortSignal.timeout(2000) });
  if (!res.ok) throw new Error(`GET /api/v2/alerts: HTTP ${res.status}: ${await res.text()}`);
  return (await res.json()) as AmAlert[];
}

/** The notification entries for alerts with these labels, in arrival order. */
const notified = (labels: Record<string, string>) => notifications.flatMap((n) => n.alerts).filter((a) => Object.entries(labels).every(([k, v]) => a.labels[k] === v));

beforeAll(async () => {
  if (!existsSync(ALERTMANAGER)) {
    throw new Error(`${ALERTMANAGER} is missing: this test needs the real Alertmanager. Install it with: apt-get install prometheus-alertmanager (.ci/run does this on CI)`);
  }
  hook = createServer((req, res) => {
    let body = '';
    req.on('data', (d: Buffer) => (body += d.toString()));
    req.on('end', () => {
      notifications.push(JSON.parse(body) as (typeof notifications)[number]);
      res.end();
    });
  });
  await new Promise<void>((r) => hook.listen(0, '127.0.0.1', r));
  const hookUrl = `http://127.0.0.1:${(hook.address() as AddressInfo).port}/hook`;
  const config = tmp.file('alertmanager.yml');
  // One receiver, notified at once (group_wait 0) and on every change a second later (resolved ones too).
  writeFileSync(
    config,
    [
      'route:',
      '  receiver: hook',
      "  group_by: ['alertname', 'row']",
      '  group_wait: 0s',
      '  group_interval: 1s',
      '  repeat_interval: 1h',
      'receivers:',
      '  - name: hook',
      '    webhook_configs:',
      `      - url: ${hookUrl}`,
      '        send_resolved: true',
      '',
    ].join('\n'),
  );
  const port = await freePort();
  amUrl = `http://127.0.0.1:${port}`;
  await am.spawnReady(ALERTMANAGER, [`--config.file=${config}`, `--storage.path=${tmp.file('data')}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='], `${amUrl}/-/ready`);
}, 40_000);

afterAll(async () => {
  await am.stop();
  await new Promise((r) => (hook ? hook.close(r) : r(undefined)));
  tmp.cleanup();
}, 15_000);

describe('the simulator’s alerts in the real Alertmanager', () => {
  let rt: Runtime;
  const logs: string[] = [];
  afterAll(() => rt?.close());

  /** One engine tick, publishing alert changes on the bus as the Runner does (Runner.afterTick); wall time around it. */
  const tick = () => {
    const before = Date.now();
    const r = rt.engine.tick();
    if (r.alertsChanged) rt.bus.emit('alerts:changed', rt.engine.activeAlerts());
    return { before, after: Date.now() };
  };
  const tickUntil = (what: string, f: () => Alert | undefined | null | false, maxTicks: number) => {
    for (let i = 0; i < maxTicks; i++) {
      const t = tick();
      const a = f();
      if (a) return { alert: a, ...t };
    }
    throw new Error(`no ${what} within ${maxTicks} ticks; active: ${rt.engine.activeAlerts().map((a) => `${a.id} ${a.state}`).join(', ')}`);
  };

  it('a power-budget-loss drill fires a critical row alert: in Alertmanager with its labels, annotations and start; acked; resolved when it resolves', async () => {
    rt = await createRuntime({
      scenario: 'default',
      db: null,
      alertmanager: { url: amUrl, resendS: 1, generatorBase: 'http://127.0.0.1:8080/?token=SECRET' },
      log: (l) => void logs.push(l),
    });
    for (let i = 0; i < 60; i++) tick();
    rt.sim!.inject({ kind: 'powerBudgetLoss', row: 'D', fraction: 0.3, durationS: 60 });
    const fired = tickUntil('critical alert firing on row D', () => rt.engine.activeAlerts().find((a) => a.subject.kind === 'row' && a.subject.id === 'D' && a.severity === 'critical' && a.state === 'firing'), 60);
    const a = fired.alert;

    const got = await am.until('Headroom’s alert in Alertmanager', async () => (await amAlerts({ alertname: a.rule, row: 'D' }))[0], 10_000);
    expect(got.labels).toEqual({ alertname: a.rule, rule: a.rule, site: 'default', severity: 'critical', subject_kind: 'row', subject: 'D', row: 'D' });
    const now = rt.engine.activeAlerts().find((x) => x.id === a.id)!;
    expect(got.annotations).toEqual({ summary: now.summary, value: `${now.value} ${now.unit}` });
    expect(got.status.state).toBe('active');
    // startsAt: the engine's firing time on the wall clock of that tick (the simulator's own calendar is 2026-01-01).
    expect(Date.parse(got.startsAt)).toBeGreaterThanOrEqual(fired.before);
    expect(Date.parse(got.startsAt)).toBeLessThanOrEqual(fired.after);
    // endsAt: an expiry ahead (4 × the 1 s re-send), refreshed by the re-sends.
    expect(Date.parse(got.endsAt)).toBeGreaterThan(Date.now());
    expect(Date.parse(got.endsAt)).toBeLessThanOrEqual(Date.now() + 4000 + 1000);
    expect(got.generatorURL).toBe(`http://127.0.0.1:8080/#/alerts?id=${encodeURIComponent(a.id)}`);

    // Alertmanager holds exactly Headroom's firing alerts (pending ones are not sent).
    const firingIds = () => rt.engine.activeAlerts().filter((x) => x.state === 'firing').map((x) => `${x.rule}:${x.subject.id}`).sort();
    await am.until('Alertmanager to hold exactly the firing alerts', async () => {
      const held = (await amAlerts({ site: 'default' })).map((x) => `${x.labels.alertname}:${x.labels.subject}`).sort();
      return JSON.stringify(held) === JSON.stringify(firingIds());
    }, 10_000);
    // Alertmanager routed it: its receiver was told it fires.
    await am.until('a firing notification', () => notified({ alertname: a.rule, row: 'D' }).some((n) => n.status === 'firing'), 10_000);

    // An operator acknowledges it: Alertmanager's copy says who.
    const ack = await dispatch(rt.handlers, 'alerts:ack', { id: a.id, comment: 'feed B drill' }, { user: 'ann', role: 'operator' });
    expect(ack).toMatchObject({ ok: true });
    await am.until('the ack in Alertmanager', async () => (await amAlerts({ alertname: a.rule, row: 'D' }))[0]?.annotations.acknowledged_by === 'ann', 10_000);

    // The budget comes back after 60 s; the alert resolves (keep-firing 30 s) and is sent resolved at that tick.
    const gone = tickUntil(`${a.id} to resolve`, () => !rt.engine.activeAlerts().some((x) => x.id === a.id) && a, 200);
    const resolved = await am.until('a resolved notification', () => notified({ alertname: a.rule, row: 'D' }).find((n) => n.status === 'resolved'), 10_000);
    // Resolved at the time it resolved in Headroom: an expiry would end ≥ 3 s after the last re-send.
    expect(Date.parse(resolved.endsAt)).toBeGreaterThanOrEqual(gone.before);
    expect(Date.parse(resolved.endsAt)).toBeLessThanOrEqual(gone.after);
    // Alertmanager keeps the earliest start it was sent (the simulator ran ahead of the wall clock meanwhile).
    expect(Date.parse(resolved.startsAt)).toBeLessThanOrEqual(Date.parse(got.startsAt));
    expect(await amAlerts({ alertname: a.rule, row: 'D' })).toEqual([]);
    expect(logs.filter((l) => l.startsWith('alertmanager:'))).toEqual([`alertmanager: sending alerts to ${amUrl}/api/v2/alerts (firing ones again every 1 s; they expire there 4 s after the last)`]);
  }, 60_000);
});

describe('when delivery breaks, the test sees it', () => {
  const topology = defaultTopology();
  const synthetic = (subject: string): Alert => ({
    id: `plantOut:${subject}`,
    rule: 'plantOut',
    severity: 'critical',
    state: 'firing',
    subject: { kind: 'plant', id: subject },
    summary: `${subject} out`,
    value: 1,
    unit: 'devices',
    activeSinceMs: Date.now() - 1000,
    firingSinceMs: Date.now() - 1000,
    resolvedAtMs: null,
    row: null,
    ack: null,
    silencedBy: null,
    inhibitedBy: null,
  });

  it('a sender posting to a wrong path records the error in status(), and Alertmanager holds nothing of it', async () => {
    const s = new AlertmanagerSender({ url: `${amUrl}/wrong`, resendS: 1 }, { topology });
    try {
      s.update([synthetic('UPS-WRONG')], Date.now());
      await am.until('a failure in status()', () => s.status().failures > 0, 10_000);
      expect(s.status()).toMatchObject({ posts: 0, sent: 0, firing: 1, lastError: expect.stringMatching(/^HTTP 404/) });
      expect(await amAlerts({ subject: 'UPS-WRONG' })).toEqual([]);
    } finally {
      s.close();
    }
  });

  it('when Headroom stops sending, Alertmanager expires its firing alert by itself, 4 re-sends after the last', async () => {
    const s = new AlertmanagerSender({ url: amUrl, resendS: 1 }, { topology });
    s.update([synthetic('UPS-GONE')], Date.now());
    await am.until('the alert in Alertmanager', async () => (await amAlerts({ subject: 'UPS-GONE' })).length === 1, 10_000);
    s.close(); // Headroom "dies": no resolution is ever sent
    const closedAt = Date.now();
    const expired = await am.until('the expiry notification', () => notified({ subject: 'UPS-GONE' }).find((n) => n.status === 'resolved'), 15_000);
    // It ended at the last send's expiry (that send, at most 1 s before the stop, + 4 × 1 s), not when the sender stopped.
    expect(Date.parse(expired.endsAt)).toBeGreaterThan(closedAt + 2000);
    expect(Date.parse(expired.endsAt)).toBeLessThanOrEqual(closedAt + 4000);
    expect(await amAlerts({ subject: 'UPS-GONE' })).toEqual([]);
  }, 30_000);
});
