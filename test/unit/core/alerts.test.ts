import { describe, expect, it } from 'vitest';
import { createAlertBook, evaluateAlerts, activeAlerts, type Observation } from '../../../main/core/alerts.js';
import type { AlertRule } from '../../../shared/domain/alerts.js';

const rule: AlertRule = { id: 'rowPower90', kind: 'rowPower', thresholdPct: 90, severity: 'warning', forS: 2, keepFiringForS: 3 };
const obs = (value: number): Observation => ({ rule, subject: { kind: 'row', id: 'D' }, row: 'D', value, unit: '%', summary: `Row D at ${value} %` });

describe('alert lifecycle (Prometheus semantics)', () => {
  it('goes pending → firing after `for`, then resolved after `keep_firing_for` without the condition', () => {
    const book = createAlertBook();
    let r = evaluateAlerts(book, [rule], [obs(95)], 0);
    expect(r.changed).toBe(true);
    expect(activeAlerts(book)[0]).toMatchObject({ id: 'rowPower90:D', state: 'pending', activeSinceMs: 0 });
    r = evaluateAlerts(book, [rule], [obs(96)], 1000);
    expect(activeAlerts(book)[0]!.state).toBe('pending');
    r = evaluateAlerts(book, [rule], [obs(97)], 2000);
    expect(r.fired.map((a) => a.id)).toEqual(['rowPower90:D']);
    expect(activeAlerts(book)[0]).toMatchObject({ state: 'firing', firingSinceMs: 2000, value: 97 });
    // Condition clears: keeps firing for 3 s, then resolves into history.
    evaluateAlerts(book, [rule], [], 3000);
    evaluateAlerts(book, [rule], [], 4000);
    expect(activeAlerts(book)[0]!.state).toBe('firing');
    r = evaluateAlerts(book, [rule], [], 5000);
    expect(r.changed).toBe(true);
    expect(activeAlerts(book)).toEqual([]);
    expect(book.resolved[0]).toMatchObject({ id: 'rowPower90:D', state: 'resolved', resolvedAtMs: 5000 });
  });

  it('drops a pending alert whose condition clears before `for` (no flapping into firing)', () => {
    const book = createAlertBook();
    evaluateAlerts(book, [rule], [obs(95)], 0);
    const r = evaluateAlerts(book, [rule], [], 1000);
    expect(r.changed).toBe(true);
    expect(activeAlerts(book)).toEqual([]);
    expect(book.resolved).toEqual([]);
  });

  it('a brief dip inside keep_firing_for does not resolve and re-fire', () => {
    const book = createAlertBook();
    for (let t = 0; t <= 2000; t += 1000) evaluateAlerts(book, [rule], [obs(95)], t);
    evaluateAlerts(book, [rule], [], 3000);
    const r = evaluateAlerts(book, [rule], [obs(94)], 4000);
    expect(r.fired).toEqual([]);
    expect(activeAlerts(book)[0]).toMatchObject({ state: 'firing', firingSinceMs: 2000 });
  });

  it('sorts critical before warning before info', () => {
    const crit: AlertRule = { ...rule, id: 'rowPower100', severity: 'critical', forS: 0 };
    const info: AlertRule = { ...rule, id: 'rowPower80', severity: 'info', forS: 0 };
    const book = createAlertBook();
    evaluateAlerts(book, [rule, crit, info], [{ ...obs(101), rule: info }, { ...obs(101), rule }, { ...obs(101), rule: crit }], 0);
    expect(activeAlerts(book).map((a) => a.severity)).toEqual(['critical', 'warning', 'info']);
  });
});
