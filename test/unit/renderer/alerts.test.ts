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
});
