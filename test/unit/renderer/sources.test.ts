import { describe, expect, it } from 'vitest';
import type { SourceHealth } from '../../../shared/domain/fleet.js';
import { PROMQL_DEFAULTS } from '../../../shared/domain/sources.js';
import {
  certExpiry,
  fmtLatency,
  freshest,
  healthLine,
  sampleAge,
  sourcesTooltip,
  summarizeSources,
  testLine,
  whereOf,
  worstFirst,
} from '../../../renderer/model/sources.js';
import { checkSourceForm, emptyForm, formOf } from '../../../renderer/model/sourceForm.js';

const h = (id: string, state: SourceHealth['state'], over: Partial<SourceHealth> = {}): SourceHealth => ({ id, kind: 'agent', state, lastSampleAgeMs: 400, errors: 0, ...over });

describe('source health as the status bar and Settings → Sources show it', () => {
  it('summarises "n/m up" in the worst state’s colour', () => {
    expect(summarizeSources([])).toMatchObject({ total: 0, worst: null, tone: 'muted', text: 'no sources' });
    expect(summarizeSources([h('a', 'up'), h('b', 'up')])).toMatchObject({ up: 2, worst: 'up', tone: 'ok', text: 'sources 2/2 up' });
    expect(summarizeSources([h('a', 'up'), h('b', 'stale'), h('c', 'up'), h('d', 'up')])).toMatchObject({ worst: 'stale', tone: 'warn', text: 'sources 3/4 up' });
    expect(summarizeSources([h('a', 'stale'), h('b', 'down')])).toMatchObject({ stale: 1, down: 1, worst: 'down', tone: 'crit', text: 'sources 0/2 up' });
  });

  it('orders worst first: down, stale, up; then most errors; then by id', () => {
    const list = [h('u', 'up'), h('s', 'stale'), h('d2', 'down'), h('d1', 'down', { errors: 5 }), h('a', 'up')];
    expect(worstFirst(list).map((s) => s.id)).toEqual(['d1', 'd2', 's', 'a', 'u']);
    expect(list[0]!.id).toBe('u'); // not sorted in place
  });

  it('writes ages with units, and "no samples" for a source never heard', () => {
    expect(sampleAge(h('a', 'up', { lastSampleAgeMs: 420 }))).toBe('0.4 s');
    expect(sampleAge(h('a', 'stale', { lastSampleAgeMs: 200_000 }))).toBe('3 m 20 s');
    expect(sampleAge(h('a', 'down', { lastSampleAgeMs: 0 }))).toBe('no samples');
    // Down before a minute without samples: it never sampled (the age counts from when it was added).
    expect(sampleAge(h('a', 'down', { lastSampleAgeMs: 4_100 }))).toBe('no samples');
    expect(sampleAge(h('a', 'down', { lastSampleAgeMs: 61_000 }))).toBe('1 m 01 s');
    expect(healthLine(h('a', 'down', { lastSampleAgeMs: 4_100 }))).toBe('a (agent) down · no samples · 0 errors');
  });

  it('lists every source in the tooltip, worst first, with its last error', () => {
    const line = healthLine(h('e2', 'down', { lastSampleAgeMs: 65_000, errors: 3, lastError: 'connection refused by gpu-e2' }));
    expect(line).toBe('e2 (agent) down · last sample 1 m 05 s ago · 3 errors · last error: connection refused by gpu-e2');
    expect(healthLine(h('s', 'up', { kind: 'sim', errors: 1 }))).toBe('s (simulator) up · last sample 0.4 s ago · 1 error');
    const tip = sourcesTooltip([h('e1', 'up'), h('e2', 'stale', { lastError: 'lost' })]).split('\n');
    expect(tip[0]).toBe('sources 1/2 up, 1 stale');
    expect(tip[1]).toMatch(/^e2 \(agent\) stale .* last error: lost$/);
    expect(tip[2]).toMatch(/^e1 \(agent\) up/);
    expect(sourcesTooltip([])).toBe('No telemetry sources');
  });

  it('says where a source reads from: its own detail, else its configuration', () => {
    expect(whereOf(null, { kind: 'agent', detail: '10.0.0.1:9443 · 8 GPUs' })).toBe('10.0.0.1:9443 · 8 GPUs');
    expect(whereOf({ kind: 'agent', id: 'a', host: 'gpu-1', port: 9443 }, { kind: 'agent' })).toBe('gpu-1:9443');
    expect(whereOf({ kind: 'dcgm', id: 'd', url: 'http://x:9400/metrics', intervalS: 10 }, { kind: 'dcgm' })).toBe('http://x:9400/metrics');
    expect(whereOf(null, { kind: 'sim' })).toBe('built-in simulator');
  });

  it('writes a test result on one line with its latency', () => {
    expect(testLine({ ok: true, message: '8 GPUs on gpu-e2', gpus: 8, latencyMs: 12.4 })).toBe('✓ 8 GPUs on gpu-e2 · 12 ms');
    expect(testLine({ ok: false, message: 'connection refused', gpus: 0, latencyMs: 1240 })).toBe('✗ connection refused · 1.24 s');
    expect(fmtLatency(NaN)).toBe('—');
  });

  it('flags a console certificate near or past its expiry', () => {
    const now = Date.UTC(2026, 0, 1);
    expect(certExpiry('2027-01-01T00:00:00Z', now)).toEqual({ text: '2027-01-01 (in 365 days)', tone: 'ok' });
    expect(certExpiry('2026-01-11T00:00:00Z', now)).toEqual({ text: '2026-01-11 (in 10 days)', tone: 'warn' });
    expect(certExpiry('2025-12-01T00:00:00Z', now)).toEqual({ text: '2025-12-01 (expired)', tone: 'crit' });
    expect(certExpiry('soon', now)).toEqual({ text: 'soon', tone: 'muted' });
  });

  it('takes the fresher health from the status stream for the same source', () => {
    const rows = [{ config: null, health: h('e1', 'up') }, { config: null, health: h('e2', 'up') }];
    const out = freshest(rows, [h('e2', 'stale', { errors: 2 }), h('gone', 'down')]);
    expect(out.map((r) => [r.health.id, r.health.state])).toEqual([
      ['e1', 'up'],
      ['e2', 'stale'],
    ]);
    expect(freshest(rows, null)).toEqual(rows);
  });
});

describe('the add-source form checks what the engine will', () => {
  it('builds an agent source, blank port → the default', () => {
    const f = emptyForm('agent');
    Object.assign(f, { id: ' e2 ', host: 'gpu-e2', address: '127.0.0.1' });
    expect(checkSourceForm(f)).toEqual({ ok: true, config: { kind: 'agent', id: 'e2', host: 'gpu-e2', address: '127.0.0.1', port: 9443 } });
    f.port = '41000';
    expect(checkSourceForm(f)).toMatchObject({ ok: true, config: { port: 41000 } });
  });

  it('names each field in error, in plain words', () => {
    const blank = checkSourceForm(emptyForm('agent'));
    expect(blank).toEqual({ ok: false, errors: { id: 'required', host: 'required' } });
    const f = emptyForm('agent');
    Object.assign(f, { id: 'bad id', host: 'gpu_x', port: '70000' });
    const c = checkSourceForm(f);
    expect(c.ok).toBe(false);
    if (!c.ok) {
      expect(c.errors.id).toMatch(/letters, digits/);
      expect(c.errors.host).toMatch(/letters, digits/);
      expect(c.errors.port).toBe('at most 65535');
    }
    f.port = 'abc';
    expect(checkSourceForm(f)).toMatchObject({ ok: false, errors: { port: 'a number' } });
    f.port = '1.5';
    expect(checkSourceForm(f)).toMatchObject({ ok: false, errors: { port: 'a whole number' } });
  });

  it('checks dcgm and Prometheus URLs and intervals; blank PromQL means the default', () => {
    const d = emptyForm('dcgm');
    Object.assign(d, { id: 'd1', url: 'ftp://x', intervalS: '0' });
    expect(checkSourceForm(d)).toEqual({ ok: false, errors: { url: 'an http:// or https:// URL', intervalS: 'at least 0.1' } });
    d.url = 'not a url';
    expect(checkSourceForm(d)).toMatchObject({ ok: false, errors: { url: 'a URL such as http://gpu-a01-01:9400/metrics' } });
    Object.assign(d, { url: 'http://gpu-1:9400/metrics', intervalS: '', host: 'gpu-1' });
    expect(checkSourceForm(d)).toEqual({ ok: true, config: { kind: 'dcgm', id: 'd1', url: 'http://gpu-1:9400/metrics', intervalS: 10, host: 'gpu-1' } });

    const p = emptyForm('prometheus');
    Object.assign(p, { id: 'p1', url: 'prom' });
    expect(checkSourceForm(p)).toEqual({ ok: false, errors: { url: 'a URL such as http://prometheus:9090' } });
    p.url = 'http://prom:9090';
    p.queries.tempC = '  ';
    p.queries.powerW = 'sum by (Hostname, UUID) (DCGM_FI_DEV_POWER_USAGE)';
    const c = checkSourceForm(p);
    expect(c).toMatchObject({ ok: true, config: { kind: 'prometheus', intervalS: 5, queries: { tempC: PROMQL_DEFAULTS.tempC, powerW: 'sum by (Hostname, UUID) (DCGM_FI_DEV_POWER_USAGE)' } } });
  });

  it('round-trips a configuration through the form', () => {
    for (const config of [
      { kind: 'agent', id: 'a', host: 'gpu-1', address: '10.0.0.1', port: 9443 },
      { kind: 'dcgm', id: 'd', url: 'http://gpu-1:9400/metrics', intervalS: 2 },
      { kind: 'prometheus', id: 'p', url: 'http://prom:9090', intervalS: 5, maxSampleAgeS: 150, queries: { ...PROMQL_DEFAULTS, utilPct: 'gpu_util' } },
    ] as const) {
      expect(checkSourceForm(formOf(config))).toEqual({ ok: true, config });
    }
  });
});
