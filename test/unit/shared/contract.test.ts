import { describe, expect, it } from 'vitest';
import { isRequestChannel, parseRequest, requestSchemas } from '../../../shared/contract.js';
import { REQUEST_CHANNELS } from '../../../shared/channels.js';
import { decodeClockEvents } from '../../../shared/domain/fleet.js';

describe('contract validation', () => {
  it('the plain channel list used by the preload matches the schemas', () => {
    expect([...REQUEST_CHANNELS].sort()).toEqual(Object.keys(requestSchemas).sort());
  });

  it('accepts valid payloads and fills defaults', () => {
    expect(parseRequest('alerts:list', {})).toEqual({ ok: true, value: { includeResolved: false } });
    expect(parseRequest('sim:control', { action: 'speed', speed: 60 })).toEqual({ ok: true, value: { action: 'speed', speed: 60 } });
    expect(parseRequest('fleet:topology', undefined)).toEqual({ ok: true, value: {} });
  });

  it('rejects invalid payloads with a message naming the field', () => {
    const bad = [
      ['sim:control', { action: 'speed', speed: -1 }, /speed/],
      ['sim:control', { action: 'uncap-everything' }, /action/],
      ['telemetry:range', { scope: 'row', fromMs: 10, toMs: 5, resS: 10 }, /toMs must be after fromMs/],
      ['telemetry:range', { scope: 'gpu', fromMs: 0, toMs: 5, resS: 10 }, /scope/],
      ['telemetry:events', { fromMs: 0, toMs: 5, kinds: ['x'.repeat(33)] }, /kinds/],
      ['telemetry:gpu', { gpu: -1, fromMs: 0, toMs: 5 }, /gpu/],
      ['telemetry:gpu', { gpu: 1.5, fromMs: 0, toMs: 5 }, /gpu/],
      ['fleet:topology', { extra: true }, /extra|Unrecognized/i],
      ['alerts:list', 'not an object', /payload|object/i],
    ] as const;
    for (const [channel, payload, message] of bad) {
      const r = parseRequest(channel, payload);
      expect(r.ok).toBe(false);
      if (!r.ok) expect(r.error).toMatch(message);
    }
  });

  it('a sweep may name its policies (each of the four at most once) and its demand, nothing else', () => {
    const base = { fromServers: 40, toServers: 44, step: 2, durationS: 600 };
    expect(parseRequest('planner:sweep', { ...base, policies: ['headroom', 'polca', 'polca-no-priority', 'none'], demand: 'bursty' })).toEqual({
      ok: true,
      value: { ...base, policies: ['headroom', 'polca', 'polca-no-priority', 'none'], demand: 'bursty' },
    });
    expect(parseRequest('planner:sweep', { ...base, policies: ['headroom'], demand: 'production' }).ok).toBe(true);
    // Omitted: left to the engine (no policies or demand in the payload it gets).
    const plain = parseRequest('planner:sweep', base);
    expect(plain).toEqual({ ok: true, value: base });
    const refused = (payload: unknown) => {
      const r = parseRequest('planner:sweep', payload);
      expect(r.ok, JSON.stringify(payload)).toBe(false);
      return r.ok ? '' : r.error;
    };
    expect(refused({ ...base, policies: ['headroom', 'greedy'] })).toMatch(/^planner:sweep: policies\.1: /);
    expect(refused({ ...base, policies: [] })).toMatch(/policies/);
    expect(refused({ ...base, policies: ['polca', 'polca'] })).toMatch(/policies: each policy at most once/);
    expect(refused({ ...base, policies: ['headroom', 'polca', 'polca-no-priority', 'none', 'none'] })).toMatch(/policies/);
    expect(refused({ ...base, policies: 'headroom' })).toMatch(/policies/);
    expect(refused({ ...base, demand: 'calm' })).toMatch(/^planner:sweep: demand: /);
    // Seeds stay the CLI's: the console runs one seed.
    expect(refused({ ...base, seeds: [1, 2] })).toMatch(/seeds/);
  });

  it('recognises only contract channels', () => {
    expect(isRequestChannel('fleet:topology')).toBe(true);
    expect(isRequestChannel('__proto__')).toBe(false);
    expect(isRequestChannel('constructor')).toBe(false);
    expect(isRequestChannel(42)).toBe(false);
  });

  it('decodes clock-event reasons for operators', () => {
    expect(decodeClockEvents(0x4 | 0x40)).toEqual(['swPowerCap', 'hwThermal']);
  });
});
