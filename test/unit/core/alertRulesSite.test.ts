/**
 * Issue 13 item 1–2, the rules for heat, the plant and the controller (core/observeSite.ts) and the lifecycle's flap
 * control and grouped notifications (core/alerts.ts): each test fails if its rule is dropped or its threshold, its
 * hysteresis or its suppression is broken.
 */
import { describe, expect, it } from 'vitest';
import { observe } from '../../../main/core/observe.js';
import { createAlertBook, evaluateAlerts } from '../../../main/core/alerts.js';
import { InletHistory } from '../../../main/core/inletHistory.js';
import { DEFAULT_ALERT_RULES, type AlertRule } from '../../../shared/domain/alerts.js';
import { ClockEvent, SampleFlag } from '../../../shared/domain/fleet.js';
import type { RowControl } from '../../../shared/domain/control.js';
import { defaultTopology } from '../../helpers.js';

const t = defaultTopology();
const base = (o: Partial<Parameters<typeof observe>[2]> = {}) => ({
  rowW: Float64Array.from(t.rows, (r) => r.budgetKW * 500),
  rowBudgetKW: Float64Array.from(t.rows, (r) => r.budgetKW),
  tempC: new Float64Array(t.gpuCount).fill(60),
  gpuModel: new Int32Array(t.gpuCount),
  sources: [],
  ...o,
});
const ids = (o: { rule: AlertRule; subject: { id: string } }[]) => o.map((x) => `${x.rule.id}:${x.subject.id}`);
const only = (kind: AlertRule['kind']) => DEFAULT_ALERT_RULES.filter((r) => r.kind === kind);

describe('rules for heat, the plant and the controller', () => {
  it('control failover: fires on the new leader for holdS after the take-over, naming who leads, then not', () => {
    const rules = only('controllerFailover');
    const f = { what: 'c1 lost its lease or resigned; c2 leads from epoch 8', atMs: 1_000_000, leader: 'c2' };
    const at = (nowMs: number) => observe(t, rules, base({ controllerFailover: f, nowMs }));
    expect(ids(at(1_000_000))).toEqual(['controllerFailover:c2']);
    expect(at(1_000_000)[0]!.summary).toBe('Control failover: c1 lost its lease or resigned; c2 leads from epoch 8');
    expect(ids(at(1_000_000 + 299_999))).toEqual(['controllerFailover:c2']);
    expect(ids(at(1_000_000 + 300_000))).toEqual([]);
    expect(ids(observe(t, rules, base({ controllerFailover: null, nowMs: 1_000_000 })))).toEqual([]);
  });

  it('rack inlet: warning above 27 °C, critical above 32 °C (the higher one only), with 1 °C of hysteresis', () => {
    const inlet = new Float64Array(t.racks.length).fill(24);
    inlet[0] = 27.5;
    inlet[1] = 33;
    inlet[2] = 26.5;
    const rules = only('rackInlet');
    expect(ids(observe(t, rules, base({ rackInletC: inlet })))).toEqual([`rackInlet27:${t.racks[0]!.id}`, `rackInlet32:${t.racks[1]!.id}`]);
    // 26.5 °C: below 27, but an alert already active holds until 26 °C.
    const active = new Set([`rackInlet27:${t.racks[2]!.id}`]);
    expect(ids(observe(t, rules, base({ rackInletC: inlet, isActive: (id) => active.has(id) })))).toContain(`rackInlet27:${t.racks[2]!.id}`);
    inlet[2] = 25.9;
    expect(ids(observe(t, rules, base({ rackInletC: inlet, isActive: (id) => active.has(id) })))).not.toContain(`rackInlet27:${t.racks[2]!.id}`);
  });

  it('row power: an active 80 % alert holds down to 77 %; an inactive one needs 80 %', () => {
    const rowW = Float64Array.from(t.rows, (r, i) => r.budgetKW * (i === 1 ? 785 : 500));
    const rules = only('rowPower');
    expect(ids(observe(t, rules, base({ rowW })))).toEqual([]);
    expect(ids(observe(t, rules, base({ rowW, isActive: (id) => id === 'rowPower80:B' })))).toEqual(['rowPower80:B']);
  });

  it('liquid racks: judged on their loop supply against the CDU\'s design (5 °C warning, 10 °C critical), never on the air thresholds', () => {
    const inlet = new Float64Array(t.racks.length).fill(24);
    const design = new Float64Array(t.racks.length).fill(NaN);
    design[0] = 30;
    design[1] = 30;
    design[2] = 30;
    inlet[0] = 30.5; // nominal: a 30 °C loop is far above the air envelope, and fine
    inlet[1] = 36;
    inlet[2] = 41;
    const rules = [...only('rackInlet'), ...only('liquidLoop')];
    expect(ids(observe(t, rules, base({ rackInletC: inlet, rackLoopSupplyC: design })))).toEqual([`liquidLoop5:${t.racks[1]!.id}`, `liquidLoop10:${t.racks[2]!.id}`]);
    // Without the loop's design (an air rack at 36 °C): the air thresholds.
    expect(ids(observe(t, rules, base({ rackInletC: inlet })))).toEqual(expect.arrayContaining([`rackInlet27:${t.racks[0]!.id}`, `rackInlet32:${t.racks[1]!.id}`]));
  });

  it('cooling shortfall: an air-cooled row whose heat is above the cooling in force; a row with liquid racks is not judged', () => {
    const rowW = Float64Array.from(t.rows, (_, i) => (i === 1 ? 300_000 : 100_000));
    const rowCoolingKW = Float64Array.from(t.rows, () => 250);
    expect(ids(observe(t, only('coolingShortfall'), base({ rowW, rowCoolingKW })))).toEqual(['coolingShortfall:B']);
    const liquid = new Uint8Array(t.rows.length);
    liquid[1] = 1;
    expect(observe(t, only('coolingShortfall'), base({ rowW, rowCoolingKW, rowHasLiquid: liquid }))).toEqual([]);
  });

  it('inlet rise: a rack climbing 2 °C/min over 2 minutes, not one climbing 1 °C/min', () => {
    const h = new InletHistory(t.racks.length, 125);
    const inlet = new Float64Array(t.racks.length).fill(24);
    for (let s = 0; s <= 120; s++) {
      inlet[0] = 24 + (2 * s) / 60;
      inlet[1] = 24 + s / 60;
      h.push(inlet, s * 1000);
    }
    const rise = h.risePerMin(120, 120_000);
    expect(rise[0]).toBeCloseTo(2, 6);
    expect(rise[1]).toBeCloseTo(1, 6);
    expect(ids(observe(t, only('inletRise'), base({ inletRise: (w) => h.risePerMin(w, 120_000) })))).toEqual([`inletRise:${t.racks[0]!.id}`]);
    // Until the history covers the window, nothing is known.
    const young = new InletHistory(t.racks.length, 125);
    young.push(inlet, 0);
    young.push(inlet, 1000);
    expect(Number.isNaN(young.risePerMin(120, 1000)[0])).toBe(true);
  });

  it('GPU thermal slowdown from decoded clock events: HW thermal yes; the power brake or SW thermal no; stale readings no', () => {
    const flags = new Uint32Array(t.gpuCount);
    flags[3] = ClockEvent.hwThermal | ClockEvent.hwSlowdown;
    flags[4] = ClockEvent.hwPowerBrake | ClockEvent.hwSlowdown;
    flags[5] = ClockEvent.swThermal;
    flags[6] = ClockEvent.hwThermal | SampleFlag.stale;
    const obs = observe(t, only('gpuThermalSlowdown'), base({ flags }));
    expect(obs).toHaveLength(1);
    expect(obs[0]!.summary).toMatch(/HW thermal slowdown/);
    expect(obs[0]!.row).toBe('A');
  });

  it('brake engaged and controller stage, from the controller state the console shows', () => {
    const rc = (row: string, o: Partial<RowControl> = {}): RowControl => ({ row, automation: true, stage: 'normal', playbook: null, cappedGpus: 0, brakedGpus: 0, manualBrake: null, deepLock: false, shedServers: 0, ...o });
    const rowControl = [rc('A'), rc('B', { stage: 't2', cappedGpus: 96 }), rc('C', { manualBrake: { by: 'ana', reason: 'drill', sinceMs: 0 }, brakedGpus: 320 }), rc('D', { playbook: 'load-spike' })];
    const rules = [...only('rowBrake'), ...only('controllerStage')];
    expect(ids(observe(t, rules, base({ rowControl })))).toEqual(['rowBrake:C', 'controllerStage:B', 'controllerStage:D']);
    expect(observe(t, only('rowBrake'), base({ rowControl }))[0]!.summary).toBe('Row C: power brake by ana: drill — 320 GPUs at the brake clock');
  });

  it('a failed plant device: one alert naming the rows whose budget it lowered', () => {
    const obs = observe(t, only('plantOut'), base({ plantOut: [{ device: 'UPS1', rows: ['A', 'B'] }] }));
    expect(obs.map((o) => [o.subject.id, o.row, o.summary])).toEqual([['UPS1', null, 'UPS1 out of service (failure); budgets lowered on rows A, B']]);
  });
});

describe('flap control and grouped notifications', () => {
  const rule: AlertRule = { id: 'rowPower80', kind: 'rowPower', thresholdPct: 80, severity: 'info', forS: 0, keepFiringForS: 0, refireAfterS: 1800 };
  const obs = (row: string) => ({ rule, subject: { kind: 'row' as const, id: row }, row, value: 81, unit: '%', summary: '' });

  it('a row riding waves around its threshold notifies once per 30 minutes; after that it notifies again', () => {
    const book = createAlertBook();
    let fired = 0;
    let notified = 0;
    // On for 10 s, off for 10 s, for 30 minutes: 90 returns.
    for (let s = 0; s < 1800; s++) {
      const r = evaluateAlerts(book, [rule], s % 20 < 10 ? [obs('B')] : [], s * 1000);
      fired += r.fired.length;
      notified += r.notified.length;
    }
    expect(fired).toBe(1);
    expect(notified).toBe(1);
    expect(book.alerts.get('rowPower80:B')?.flaps ?? [...book.resolved].pop()!.flaps).toBeGreaterThan(80);
    // Quiet for more than 30 minutes: the next return is a new firing and a new notification.
    const r = evaluateAlerts(book, [rule], [obs('B')], (1800 + 1900) * 1000);
    expect([r.fired.length, r.notified]).toEqual([1, ['rowPower80/B']]);
  });

  it('flapping without a pause for 65 minutes notifies at the start, after 30 and after 60 minutes — not never again', () => {
    const book = createAlertBook();
    const at: number[] = [];
    for (let s = 0; s < 3900; s++) if (evaluateAlerts(book, [rule], s % 20 < 10 ? [obs('B')] : [], s * 1000).fired.length) at.push(s);
    expect(at).toEqual([0, 1800, 3600]);
  });

  it('without refireAfterS every return fires again', () => {
    const book = createAlertBook();
    const plain = { ...rule, refireAfterS: 0 };
    let fired = 0;
    for (let s = 0; s < 100; s++) fired += evaluateAlerts(book, [plain], s % 20 < 10 ? [{ ...obs('B'), rule: plain }] : [], s * 1000).fired.length;
    expect(fired).toBe(5);
  });

  it('one notification per rule × row group: 100 GPUs of a row firing together notify once; another row notifies too', () => {
    const gpu: AlertRule = { id: 'gpuNearSlowdown', kind: 'gpuNearSlowdown', marginC: 5, severity: 'warning', forS: 0, keepFiringForS: 30 };
    const book = createAlertBook();
    const many = Array.from({ length: 100 }, (_, i) => ({ rule: gpu, subject: { kind: 'gpu' as const, id: `C01-S${i}-G1` }, row: 'C', value: 86, unit: '°C', summary: '' }));
    const r = evaluateAlerts(book, [gpu], [...many, { ...many[0]!, subject: { kind: 'gpu', id: 'A01-S1-G1' }, row: 'A' }], 0);
    expect(r.fired).toHaveLength(101);
    expect(r.notified.sort()).toEqual(['gpuNearSlowdown/A', 'gpuNearSlowdown/C']);
    // A new member 60 s later rides on the notification already sent; after the group interval it notifies again.
    const more = (id: string, ms: number) => evaluateAlerts(book, [gpu], [...many, { ...many[0]!, subject: { kind: 'gpu', id } }], ms).notified;
    expect(more('C09-S1-G1', 60_000)).toEqual([]);
    expect(more('C09-S2-G1', 301_000)).toEqual(['gpuNearSlowdown/C']);
  });
});

describe('lifecycle boundaries', () => {
  const slow: AlertRule = { id: 'rowPower90', kind: 'rowPower', thresholdPct: 90, severity: 'warning', forS: 5, keepFiringForS: 10, refireAfterS: 0 };
  const o = (row: string) => ({ rule: slow, subject: { kind: 'row' as const, id: row }, row, value: 95, unit: '%', summary: '' });
  const T0 = 1_767_225_600_000;

  it('pending for forS of engine time (epoch clock), then firing once; keep-firing holds 10 s after it clears', () => {
    const book = createAlertBook();
    const fired: number[] = [];
    for (let s = 0; s <= 6; s++) if (evaluateAlerts(book, [slow], [o('D')], T0 + s * 1000).fired.length) fired.push(s);
    expect(fired).toEqual([5]);
    expect(book.alerts.get('rowPower90:D')?.firingValue).toBe(95);
    // Cleared at 7 s: still firing until 10 s after the last true reading (6 s) → resolved at 16 s, not before.
    for (let s = 7; s < 16; s++) evaluateAlerts(book, [slow], [], T0 + s * 1000);
    expect(book.alerts.get('rowPower90:D')?.state).toBe('firing');
    expect(evaluateAlerts(book, [slow], [], T0 + 16_000).changed).toBe(true);
    expect(book.alerts.has('rowPower90:D')).toBe(false);
    expect(book.resolved.at(-1)).toMatchObject({ id: 'rowPower90:D', state: 'resolved', resolvedAtMs: T0 + 16_000 });
  });

  it('a group notifies again for a new member exactly GROUP_INTERVAL_S (300 s) after its last notification, not before', () => {
    const book = createAlertBook();
    const now = (rows: string[], s: number) => evaluateAlerts(book, [{ ...slow, forS: 0 }], rows.map((r) => ({ ...o(r), rule: { ...slow, forS: 0 }, subject: { kind: 'rack' as const, id: `${r}-x${s}` }, row: 'D' })), T0 + s * 1000).notified;
    expect(now(['a'], 0)).toEqual(['rowPower90/D']);
    expect(now(['a', 'b'], 299)).toEqual([]);
    expect(now(['a', 'b', 'c'], 300)).toEqual(['rowPower90/D']);
  });

  it('the history of resolved alerts is bounded', () => {
    const book = createAlertBook();
    const quick: AlertRule = { ...slow, forS: 0, keepFiringForS: 0 };
    for (let i = 0; i < 520; i++) {
      evaluateAlerts(book, [quick], [{ ...o('D'), rule: quick, subject: { kind: 'row', id: `R${i}` } }], T0 + i * 2000);
      evaluateAlerts(book, [quick], [], T0 + i * 2000 + 1000);
    }
    expect(book.resolved.length).toBe(500);
    expect(book.resolved[0]!.subject.id).toBe('R20');
  });
});
