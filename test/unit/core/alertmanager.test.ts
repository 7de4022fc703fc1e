import { describe, expect, it } from 'vitest';
import { alertURL, EXPIRY_RESENDS, toPostableAlerts, topologyPlaces, type PostContext } from '../../../main/core/alertmanager.js';
import type { Alert } from '../../../shared/domain/fleet.js';
import { defaultTopology } from '../../helpers.js';

const topology = defaultTopology();
const placeOf = topologyPlaces(topology);
const T0 = Date.parse('2026-01-01T00:10:00Z');

function alert(over: Partial<Alert> & Pick<Alert, 'subject'>): Alert {
  return {
    id: `rule:${over.subject.id}`,
    rule: 'rule',
    severity: 'warning',
    state: 'firing',
    summary: 'something',
    value: 1,
    unit: '',
    activeSinceMs: T0 - 5000,
    firingSinceMs: T0 - 2000,
    resolvedAtMs: null,
    row: null,
    ack: null,
    silencedBy: null,
    inhibitedBy: null,
    ...over,
  };
}

/** Engine at T0; Alertmanager's clock 1 h later (a simulator on its own calendar); firing ones expire 2 min on. */
const ctx: PostContext = { site: 'default', nowMs: T0, offsetMs: 3_600_000, expiresAtMs: T0 + 3_600_000 + 120_000, placeOf };
const iso = (ms: number) => new Date(ms).toISOString();

describe('Alertmanager payload: labels per subject kind', () => {
  it('a row alert: rule as alertname and rule, site, severity, subject, row', () => {
    const [p] = toPostableAlerts([alert({ id: 'rowPower90:D', rule: 'rowPower90', subject: { kind: 'row', id: 'D' }, row: 'D' })], ctx);
    expect(p!.labels).toEqual({ alertname: 'rowPower90', rule: 'rowPower90', site: 'default', severity: 'warning', subject_kind: 'row', subject: 'D', row: 'D' });
  });

  it('a rack, a server and a GPU are placed from the topology (GPU "<server>-G<n>")', () => {
    const [rack, server, gpu] = toPostableAlerts(
      [alert({ subject: { kind: 'rack', id: 'B03' } }), alert({ subject: { kind: 'server', id: 'C02-S4' } }), alert({ subject: { kind: 'gpu', id: 'D10-S2-G7' } })],
      ctx,
    );
    expect(rack!.labels).toMatchObject({ subject_kind: 'rack', subject: 'B03', row: 'B', rack: 'B03' });
    expect(rack!.labels).not.toHaveProperty('server');
    expect(server!.labels).toMatchObject({ subject_kind: 'server', row: 'C', rack: 'C02', server: 'C02-S4' });
    expect(server!.labels).not.toHaveProperty('gpu');
    expect(gpu!.labels).toMatchObject({ subject_kind: 'gpu', subject: 'D10-S2-G7', row: 'D', rack: 'D10', server: 'D10-S2', gpu: 'D10-S2-G7' });
  });

  it("the alert's own row wins; sources, the store and the plant carry no place; unknown ids give only their own", () => {
    const [withRow, source, plant, unknownGpu, unknownRow] = toPostableAlerts(
      [
        alert({ subject: { kind: 'gpu', id: 'A01-S1-G1' }, row: 'X' }),
        alert({ subject: { kind: 'source', id: 'prom' } }),
        alert({ subject: { kind: 'plant', id: 'UPS-A' }, row: null }),
        alert({ subject: { kind: 'gpu', id: 'nowhere-G3' } }),
        alert({ subject: { kind: 'row', id: 'Z' } }),
      ],
      ctx,
    );
    expect(withRow!.labels.row).toBe('X');
    expect(Object.keys(source!.labels).sort()).toEqual(['alertname', 'rule', 'severity', 'site', 'subject', 'subject_kind']);
    expect(Object.keys(plant!.labels).sort()).toEqual(['alertname', 'rule', 'severity', 'site', 'subject', 'subject_kind']);
    expect(unknownGpu!.labels).toMatchObject({ gpu: 'nowhere-G3' });
    expect(unknownGpu!.labels).not.toHaveProperty('row');
    expect(unknownRow!.labels).not.toHaveProperty('row');
  });

  it('label names are valid Prometheus names and no value is empty (Alertmanager refuses or drops them)', () => {
    const all = toPostableAlerts(
      (['row', 'rack', 'server', 'gpu', 'source', 'store', 'plant'] as const).map((kind) => alert({ subject: { kind, id: 'A01-S1-G1' }, summary: '' })),
      ctx,
    );
    for (const p of all) {
      for (const [k, v] of Object.entries(p.labels)) {
        expect(k).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
        expect(v).not.toBe('');
      }
      for (const k of Object.keys(p.annotations)) expect(k).toMatch(/^[a-zA-Z_][a-zA-Z0-9_]*$/);
    }
  });
});

describe('Alertmanager payload: what is sent, and when it ends', () => {
  it('pending alerts are not sent; firing and resolved ones are, in the order given', () => {
    const out = toPostableAlerts(
      [
        alert({ id: 'a', subject: { kind: 'row', id: 'A' }, state: 'resolved', resolvedAtMs: T0 - 1000 }),
        alert({ id: 'b', subject: { kind: 'row', id: 'B' }, state: 'pending', firingSinceMs: null }),
        alert({ id: 'c', subject: { kind: 'row', id: 'C' } }),
      ],
      ctx,
    );
    expect(out.map((p) => p.labels.subject)).toEqual(['A', 'C']);
  });

  it('a firing alert starts at firingSinceMs and ends at the expiry, both on Alertmanager’s clock', () => {
    const [p] = toPostableAlerts([alert({ subject: { kind: 'row', id: 'A' } })], ctx);
    expect(p!.startsAt).toBe(iso(T0 - 2000 + 3_600_000));
    expect(p!.endsAt).toBe(iso(ctx.expiresAtMs));
    expect(Date.parse(p!.endsAt)).toBeGreaterThan(Date.parse(p!.startsAt));
    expect(EXPIRY_RESENDS).toBeGreaterThanOrEqual(2);
  });

  it('a resolved alert ends at resolvedAtMs (or, without one, the list’s now), never before it started', () => {
    const [a, b, c] = toPostableAlerts(
      [
        alert({ subject: { kind: 'row', id: 'A' }, state: 'resolved', resolvedAtMs: T0 - 500 }),
        alert({ subject: { kind: 'row', id: 'B' }, state: 'resolved', resolvedAtMs: null }),
        // A clock gone back (a restarted simulation): clamped to its start.
        alert({ subject: { kind: 'row', id: 'C' }, state: 'resolved', resolvedAtMs: T0 - 60_000 }),
      ],
      ctx,
    );
    expect(a!.endsAt).toBe(iso(T0 - 500 + 3_600_000));
    expect(b!.endsAt).toBe(iso(T0 + 3_600_000));
    expect(c!.endsAt).toBe(c!.startsAt);
  });

  it('with no shift (a real fleet) times are the engine’s own', () => {
    const [p] = toPostableAlerts([alert({ subject: { kind: 'row', id: 'A' } })], { ...ctx, offsetMs: 0, expiresAtMs: T0 + 120_000 });
    expect(p!.startsAt).toBe(iso(T0 - 2000));
    expect(p!.endsAt).toBe(iso(T0 + 120_000));
  });
});

describe('Alertmanager payload: annotations', () => {
  it('summary and value with its unit', () => {
    const [p, q] = toPostableAlerts(
      [alert({ subject: { kind: 'row', id: 'A' }, summary: 'Row A at 91.2 %', value: 91.2, unit: '%' }), alert({ subject: { kind: 'row', id: 'B' }, value: 3, unit: '' })],
      ctx,
    );
    expect(p!.annotations).toEqual({ summary: 'Row A at 91.2 %', value: '91.2 %' });
    expect(q!.annotations.value).toBe('3');
  });

  it('an ack names who (and the comment); a Headroom silence or inhibition is sent, and says so', () => {
    const [acked, silent, inhibited] = toPostableAlerts(
      [
        alert({ subject: { kind: 'row', id: 'A' }, ack: { by: 'ann', comment: 'feed B drill', atMs: T0 } }),
        alert({ subject: { kind: 'row', id: 'B' }, silencedBy: 's-1', ack: { by: 'bob', comment: '', atMs: T0 } }),
        alert({ subject: { kind: 'gpu', id: 'C01-S1-G1' }, inhibitedBy: 'rowBrake:C' }),
      ],
      ctx,
    );
    expect(acked!.annotations).toMatchObject({ acknowledged_by: 'ann', ack_comment: 'feed B drill' });
    expect(silent!.annotations).toMatchObject({ silenced_by: 's-1', acknowledged_by: 'bob' });
    expect(silent!.annotations).not.toHaveProperty('ack_comment');
    expect(inhibited!.annotations).toMatchObject({ inhibited_by: 'rowBrake:C' });
  });
});

describe('Alertmanager payload: generatorURL', () => {
  it('the console address + #/alerts?id=…, its token (query), fragment and credentials dropped', () => {
    const [p] = toPostableAlerts([alert({ id: 'rowPower90:D', subject: { kind: 'row', id: 'D' } })], { ...ctx, generatorBase: 'https://u:pw@console.example:8443/headroom/?token=SECRET#/floor' });
    expect(p!.generatorURL).toBe('https://console.example:8443/headroom/#/alerts?id=rowPower90%3AD');
    expect(new URL(p!.generatorURL!).protocol).toBe('https:');
    expect(p!.generatorURL).not.toContain('SECRET');
  });

  it('left out without a base, or with one that is not an absolute http(s) URL', () => {
    const a = alert({ subject: { kind: 'row', id: 'D' } });
    expect(toPostableAlerts([a], ctx)[0]).not.toHaveProperty('generatorURL');
    expect(toPostableAlerts([a], { ...ctx, generatorBase: '/relative' })[0]).not.toHaveProperty('generatorURL');
    expect(alertURL('ftp://x/', 'a')).toBeNull();
    expect(alertURL('http://127.0.0.1:8080', 'gpuNearSlowdown:A01-S1-G1')).toBe('http://127.0.0.1:8080/#/alerts?id=gpuNearSlowdown%3AA01-S1-G1');
  });
});

describe('topologyPlaces', () => {
  it('places every rack, server and GPU of the default site in its row', () => {
    for (const rack of topology.racks) expect(placeOf({ kind: 'rack', id: rack.id }).row).toBe(topology.rows[rack.row]!.id);
    const s = topology.servers[topology.servers.length - 1]!;
    expect(placeOf({ kind: 'gpu', id: `${s.id}-G8` })).toEqual({ row: 'D', rack: topology.racks[s.rack]!.id, server: s.id, gpu: `${s.id}-G8` });
  });
});
