import { describe, expect, it } from 'vitest';
import type { Alert } from '../../../shared/domain/fleet.js';
import { describeMatchers, groupByRow, isMuted, matchesAlert, needsAttention, silenceMatchers, silenceScopes } from '../../../renderer/model/alertHandling.js';

const alert = (id: string, row: string | null, over: Partial<Alert> = {}): Alert => ({
  id,
  rule: id.split(':')[0]!,
  severity: 'warning',
  state: 'firing',
  subject: { kind: row ? 'rack' : 'source', id: id.split(':')[1] ?? 'x' },
  summary: id,
  value: 91,
  unit: '%',
  activeSinceMs: 0,
  firingSinceMs: 0,
  resolvedAtMs: null,
  row,
  ack: null,
  silencedBy: null,
  inhibitedBy: null,
  ...over,
});

describe('alert handling', () => {
  it('groups by row in the site’s row order, alerts without a row last, keeping each group’s order', () => {
    const list = [alert('a:D01', 'D'), alert('s:sim', null), alert('b:A01', 'A'), alert('c:D02', 'D', { silencedBy: 's1' })];
    const g = groupByRow(list, ['A', 'B', 'C', 'D']);
    expect(g.map((x) => x.title)).toEqual(['Row A', 'Row D', 'Site and sources']);
    expect(g[1]!.alerts.map((a) => a.id)).toEqual(['a:D01', 'c:D02']);
    expect(g[1]!.open).toBe(1);
  });

  it('counts acknowledged, silenced, inhibited and resolved alerts as handled', () => {
    expect(needsAttention(alert('a:1', 'A'))).toBe(true);
    expect(needsAttention(alert('a:1', 'A', { ack: { by: 'bob', comment: '', atMs: 1 } }))).toBe(false);
    expect(needsAttention(alert('a:1', 'A', { state: 'resolved' }))).toBe(false);
    expect(isMuted(alert('a:1', 'A', { inhibitedBy: 'rowPower100:A' }))).toBe(true);
    expect(isMuted(alert('a:1', 'A'))).toBe(false);
  });

  it('pre-fills silence matchers from the alert: rule + subject, rule + row, or the rule everywhere', () => {
    const a = alert('gpuNearSlowdown:D03', 'D');
    expect(silenceMatchers(a, 'subject')).toEqual([{ field: 'rule', value: 'gpuNearSlowdown' }, { field: 'subject', value: 'D03' }]);
    expect(silenceMatchers(a, 'row')).toEqual([{ field: 'rule', value: 'gpuNearSlowdown' }, { field: 'row', value: 'D' }]);
    expect(silenceMatchers(a, 'rule')).toEqual([{ field: 'rule', value: 'gpuNearSlowdown' }]);
    expect(silenceScopes(a).map((s) => s.scope)).toEqual(['subject', 'row', 'rule']);
    // A row alert's subject is the row already: no separate row scope.
    const rowAlert = { ...alert('rowPower90:D', 'D'), subject: { kind: 'row' as const, id: 'D' } };
    expect(silenceScopes(rowAlert).map((s) => s.scope)).toEqual(['subject', 'rule']);
    expect(describeMatchers(silenceMatchers(a, 'row'))).toBe('rule = gpuNearSlowdown, row = D');
  });

  it('matches alerts exactly or by a trailing-* prefix', () => {
    const a = alert('rowPower90:D', 'D');
    expect(matchesAlert([{ field: 'rule', value: 'rowPower90' }, { field: 'row', value: 'D' }], a)).toBe(true);
    expect(matchesAlert([{ field: 'rule', value: 'rowPower*' }], a)).toBe(true);
    expect(matchesAlert([{ field: 'row', value: 'C' }], a)).toBe(false);
    expect(matchesAlert([{ field: 'row', value: 'D' }], alert('s:x', null))).toBe(false);
  });
});
