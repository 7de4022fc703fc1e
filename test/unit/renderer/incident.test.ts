import { describe, expect, it } from 'vitest';
import { AROUND_ALERT_MS, defaultTitle, incidentWindow } from '../../../renderer/model/incident.js';
import type { Alert } from '../../../shared/domain/fleet.js';

const alert = (o: Partial<Alert>): Alert => ({
  id: 'rowPower100:C',
  rule: 'rowPower100',
  severity: 'critical',
  state: 'firing',
  subject: { kind: 'row', id: 'C' },
  summary: 'Row C above its budget',
  value: 104,
  unit: '%',
  activeSinceMs: 1_000_000,
  firingSinceMs: 1_030_000,
  resolvedAtMs: null,
  row: 'C',
  ack: null,
  silencedBy: null,
  inhibitedBy: null,
  ...o,
});

describe('Save incident… windows', () => {
  const now = 5_000_000;
  it('the last N minutes end now', () => {
    expect(incidentWindow({ kind: 'last', minutes: 15 }, now, [], null)).toEqual({ fromMs: now - 900_000, toMs: now });
  });
  it('around an alert: ten minutes before it fired, up to now while it is active, ten minutes after it resolved', () => {
    expect(incidentWindow({ kind: 'alert', alertId: 'rowPower100:C' }, now, [alert({})], null)).toEqual({ fromMs: 1_030_000 - AROUND_ALERT_MS, toMs: now });
    const resolved = alert({ resolvedAtMs: 1_200_000 });
    expect(incidentWindow({ kind: 'alert', alertId: resolved.id }, now, [resolved], null)).toEqual({ fromMs: 1_030_000 - AROUND_ALERT_MS, toMs: 1_200_000 + AROUND_ALERT_MS });
    // A pending alert never fired: from when it became active.
    const pending = alert({ firingSinceMs: null, state: 'pending' });
    expect(incidentWindow({ kind: 'alert', alertId: pending.id }, now, [pending], null)).toMatchObject({ fromMs: 1_000_000 - AROUND_ALERT_MS });
  });
  it('the Power view’s window, cut at now; errors where there is no window', () => {
    expect(incidentWindow({ kind: 'power' }, now, [], { fromMs: 1, toMs: now + 60_000 })).toEqual({ fromMs: 1, toMs: now });
    expect(incidentWindow({ kind: 'power' }, now, [], null)).toEqual({ error: expect.stringContaining('Power view') });
    expect(incidentWindow({ kind: 'alert', alertId: 'gone' }, now, [alert({})], null)).toEqual({ error: 'pick an alert' });
    expect(incidentWindow({ kind: 'last', minutes: 15 }, -Infinity, [], null)).toEqual({ error: expect.stringContaining('waiting') });
  });
  it('a default title from the alert, else from the window', () => {
    expect(defaultTitle({ kind: 'alert', alertId: 'rowPower100:C' }, [alert({})])).toBe('Row C above its budget');
    expect(defaultTitle({ kind: 'last', minutes: 60 }, [])).toBe('Last 60 minutes');
  });
});
