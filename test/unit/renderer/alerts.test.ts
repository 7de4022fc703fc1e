import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/domain/fleet.js';
import { sortAlerts } from '../../../renderer/stores/alerts.js';

const a = (id: string, state: Alert['state'], severity: Alert['severity'], since: number): Alert => ({
  id,
  rule: 'r',
  severity,
  state,
  subject: { kind: 'row', id: 'A' },
  summary: id,
  value: 1,
  unit: '%',
  activeSinceMs: since,
  firingSinceMs: state === 'pending' ? null : since,
  resolvedAtMs: state === 'resolved' ? since + 1 : null,
  row: 'A',
  ack: null,
  silencedBy: null,
  inhibitedBy: null,
});

describe('alert list order', () => {
  it('puts firing before pending before resolved, then the most severe, then the newest', () => {
    const sorted = sortAlerts([
      a('resolved-crit', 'resolved', 'critical', 5),
      a('pending-crit', 'pending', 'critical', 4),
      a('firing-info', 'firing', 'info', 9),
      a('firing-crit-old', 'firing', 'critical', 1),
      a('firing-crit-new', 'firing', 'critical', 2),
    ]);
    expect(sorted.map((x) => x.id)).toEqual(['firing-crit-new', 'firing-crit-old', 'firing-info', 'pending-crit', 'resolved-crit']);
  });

  it('puts silenced and inhibited alerts after the others of their state', () => {
    const sorted = sortAlerts([
      { ...a('silenced-crit', 'firing', 'critical', 9), silencedBy: 's1' },
      { ...a('inhibited-crit', 'firing', 'critical', 8), inhibitedBy: 'rowPower100:A' },
      a('firing-info', 'firing', 'info', 1),
      a('pending-warn', 'pending', 'warning', 1),
    ]);
    expect(sorted.map((x) => x.id)).toEqual(['firing-info', 'silenced-crit', 'inhibited-crit', 'pending-warn']);
  });
});
