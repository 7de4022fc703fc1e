import { describe, expect, it } from 'vitest';
import { customWindowError, fromUtcInput, resolutionFor, resolveWindow, toUtcInput } from '../../../renderer/model/timeRange.js';

const NOW = Date.parse('2026-01-03T12:00:00Z');

describe('time windows', () => {
  it('presets end now and follow the live data; 10 s rollups up to 6 h, 60 s beyond', () => {
    expect(resolveWindow({ kind: 'preset', preset: '15m' }, NOW)).toEqual({ fromMs: NOW - 900_000, toMs: NOW, resS: 10, live: true });
    expect(resolveWindow({ kind: 'preset', preset: '6h' }, NOW).resS).toBe(10);
    expect(resolveWindow({ kind: 'preset', preset: '24h' }, NOW).resS).toBe(60);
    expect(resolveWindow({ kind: 'preset', preset: '7d' }, NOW)).toMatchObject({ fromMs: NOW - 7 * 86_400_000, resS: 60 });
    expect(resolutionFor(6 * 3600_000)).toBe(10);
    expect(resolutionFor(6 * 3600_000 + 1)).toBe(60);
  });

  it('a custom window is fixed', () => {
    expect(resolveWindow({ kind: 'custom', fromMs: 0, toMs: 3600_000 }, NOW)).toEqual({ fromMs: 0, toMs: 3600_000, resS: 10, live: false });
  });

  it('reads and writes the custom fields as UTC', () => {
    expect(toUtcInput(NOW)).toBe('2026-01-03 12:00');
    expect(fromUtcInput('2026-01-03 12:00')).toBe(NOW);
    expect(fromUtcInput(' 2026-01-03T12:00 ')).toBe(NOW);
    expect(fromUtcInput('2026-01-03T12:00:30')).toBe(NOW + 30_000);
    expect(fromUtcInput('2026-02-30T12:00')).toBeNull();
    expect(fromUtcInput('yesterday')).toBeNull();
    expect(toUtcInput(NaN)).toBe('');
  });

  it('says what is wrong with a custom window', () => {
    expect(customWindowError('2026-01-01T00:00', '2026-01-01T01:00')).toBeNull();
    expect(customWindowError('', '2026-01-01T01:00')).toMatch(/From/);
    expect(customWindowError('2026-01-01T01:00', '2026-01-01T01:00')).toMatch(/after From/);
    expect(customWindowError('2026-01-01T00:00', '2026-01-09T00:00')).toMatch(/7 days/);
  });
});
