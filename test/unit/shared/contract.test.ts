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
