/** shared/domain/alertGroups.ts: one group per rule × row, members worst first, groups most severe and most urgent first. */
import { describe, expect, it } from 'vitest';
import { alertGroupKey, groupAlerts } from '../../../shared/domain/alertGroups.js';
import type { Alert } from '../../../shared/domain/fleet.js';

const alert = (o: Partial<Alert> & Pick<Alert, 'id' | 'rule'>): Alert => ({
  severity: 'warning',
  state: 'firing',
  subject: { kind: 'gpu', id: o.id },
  summary: '',
  value: 0,
  unit: '',
  activeSinceMs: 0,
  firingSinceMs: 0,
  resolvedAtMs: null,
  row: 'C',
  ack: null,
  silencedBy: null,
  inhibitedBy: null,
  ...o,
});

describe('alert groups', () => {
  it('groups by rule × row; members firing first, then the highest value, then the oldest; counts what needs a person', () => {
    const gs = groupAlerts([
      alert({ id: 'a', rule: 'gpuNearSlowdown', value: 86, activeSinceMs: 5 }),
      alert({ id: 'b', rule: 'gpuNearSlowdown', value: 88, activeSinceMs: 9 }),
      alert({ id: 'c', rule: 'gpuNearSlowdown', value: 90, state: 'pending', firingSinceMs: null, activeSinceMs: 1 }),
      alert({ id: 'd', rule: 'gpuNearSlowdown', value: 88, activeSinceMs: 3, ack: { by: 'ana', comment: '', atMs: 4 } }),
      alert({ id: 'e', rule: 'gpuNearSlowdown', row: 'D', value: 87, activeSinceMs: 20 }),
    ]);
    expect(gs.map((g) => g.key)).toEqual(['gpuNearSlowdown/C', 'gpuNearSlowdown/D']);
    const c = gs[0]!;
    expect(c.alerts.map((a) => a.id)).toEqual(['d', 'b', 'a', 'c']);
    expect([c.firing, c.unacked, c.muted, c.sinceMs, c.severity]).toEqual([3, 3, false, 1, 'warning']);
  });

  it('groups: unmuted before muted, critical before warning before info, unacknowledged before handled, then oldest', () => {
    const gs = groupAlerts([
      alert({ id: 'i', rule: 'r1', severity: 'info', row: 'A', activeSinceMs: 1 }),
      alert({ id: 'w-acked', rule: 'r2', row: 'A', activeSinceMs: 2, ack: { by: 'bo', comment: '', atMs: 3 } }),
      alert({ id: 'w-new', rule: 'r3', row: 'A', activeSinceMs: 9 }),
      alert({ id: 'w-old', rule: 'r4', row: 'A', activeSinceMs: 5 }),
      alert({ id: 'c-muted', rule: 'r5', severity: 'critical', row: 'A', silencedBy: 'sil-1' }),
      alert({ id: 'c', rule: 'r6', severity: 'critical', row: null, activeSinceMs: 7 }),
    ]);
    expect(gs.map((g) => g.alerts[0]!.id)).toEqual(['c', 'w-old', 'w-new', 'w-acked', 'i', 'c-muted']);
    expect(gs.map((g) => g.key)[0]).toBe('r6/-');
    expect(gs.at(-1)!.muted).toBe(true);
    // A group's severity is its worst member's.
    expect(groupAlerts([alert({ id: 'x', rule: 'r', severity: 'info' }), alert({ id: 'y', rule: 'r', severity: 'critical' })])[0]!.severity).toBe('critical');
    expect(alertGroupKey({ rule: 'rowPower80', row: 'B' })).toBe('rowPower80/B');
  });
});
