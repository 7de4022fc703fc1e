/**
 * Live N-1 analysis in the console: the default site's plant through `plant:contingency`, and a single-corded row whose
 * busway loss would drop racks — the contingencyUnsafe alert names the device.
 */
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { dispatch } from '../../../main/engine/dispatch.js';
import { SOURCE } from '../../../main/core/control/arbiter.js';
import type { Actor } from '../../../shared/domain/control.js';
import type { PlantView } from '../../../shared/domain/plant.js';
import { tempDir } from '../../helpers.js';

const viewer: Actor = { user: 'vic', role: 'viewer' };
const tmp = tempDir();
const runtimes: Runtime[] = [];
afterAll(async () => {
  for (const r of runtimes) await r.close();
  tmp.cleanup();
});
const call = (rt: Runtime, channel: string) => dispatch(rt.handlers, channel, {}, viewer, { onRefused: rt.auditRefusal });

describe('the plant in the console', () => {
  it('the default site: every single failure analysed every 5 s; each row’s worst is survivable', async () => {
    const rt = await createRuntime({ scenario: 'default', db: null });
    runtimes.push(rt);
    for (let i = 0; i < 30; i++) rt.engine.tick();
    const r = (await call(rt, 'plant:contingency')) as { ok: true; result: PlantView };
    expect(r.ok).toBe(true);
    const v = r.result;
    if (!v.available) throw new Error(v.reason);
    // Every device, one module of each UPS, one CRAH unit.
    expect(v.contingencies).toHaveLength(v.devices + 2 + 1);
    expect(v.worstByRow.map((w) => w.row)).toEqual(['A', 'B', 'C', 'D']);
    expect(v.worstByRow.every((w) => w.inTime && w.racksLost === 0)).toBe(true);
    expect(v.budgets.find((b) => b.row === 'D')).toEqual({ row: 'D', budgetKW: 313.8, limitedBy: 'BW-D-A' });
    expect(rt.engine.activeAlerts().some((a) => a.rule === 'contingencyUnsafe')).toBe(false);
    // Planning a window with UPS2 out: the picture changes (side A alone), the live one does not.
    const plan = (await dispatch(rt.handlers, 'plant:contingency', { maintenance: ['UPS2'] }, viewer, {})) as { ok: true; result: PlantView };
    if (!plan.result.available) throw new Error('no plant');
    expect(plan.result.contingencies.find((c) => c.device === 'UPS1')!.racksLost).toHaveLength(40);
    expect(plan.result.worstByRow.every((w) => w.racksLost > 0)).toBe(true);
    expect(plan.result.contingencies.some((c) => c.device === 'UPS2')).toBe(false);
    rt.engine.tick();
    expect(rt.engine.activeAlerts().some((a) => a.rule === 'contingencyUnsafe')).toBe(false);
    expect(await dispatch(rt.handlers, 'plant:contingency', { maintenance: ['UPS9'] }, viewer, {})).toMatchObject({ ok: false, error: expect.stringContaining('no device "UPS9"') });
  });

  it('a single-corded row: losing its busway drops its racks — the alert fires for that device, and the row shows it', async () => {
    const file = tmp.file('single.yaml');
    writeFileSync(
      file,
      `name: single-corded
topology:
  site: { id: lab, name: Lab }
  rows:
    - { id: R, coolingKW: 200, racks: 3, serversPerRack: 4, gpusPerServer: 8, gpuModel: H100-SXM }
    - { id: S, coolingKW: 200, racks: 3, serversPerRack: 4, gpusPerServer: 8, gpuModel: H100-SXM }
  plant:
    feeds: [{ id: F1, ratedKW: 800 }, { id: F2, ratedKW: 800 }]
    ups:
      - { id: UA, feed: F1, modules: 3, moduleKW: 200 }
      - { id: UB, feed: F2, modules: 3, moduleKW: 200 }
    devices:
      - { id: BR, kind: busway, from: UA, ratedKW: 200 }
      - { id: BSA, kind: busway, from: UA, ratedKW: 200 }
      - { id: BSB, kind: busway, from: UB, ratedKW: 200 }
    racks:
      - { row: R, a: BR, pdu: { ratedKW: 51 } }
      - { row: S, a: BSA, b: BSB, pdu: { ratedKW: 51 } }
services:
  - { id: chat, priority: high, trace: conv, placement: { rows: [R, S] }, ratePerServer: 3.2 }
`,
    );
    const rt = await createRuntime({ scenario: file, db: null });
    runtimes.push(rt);
    for (let i = 0; i < 10; i++) rt.engine.tick();
    const alerts = rt.engine.activeAlerts().filter((a) => a.rule === 'contingencyUnsafe');
    // BR, its UPS UA, UA's feed F1 (after the ride-through) each leave row R's racks without supply; its 3 single
    // rack PDUs are one alert, not three.
    expect(alerts.map((a) => a.subject.id).sort()).toEqual(['BR', 'F1', 'UA', 'rack PDUs'].sort());
    expect(alerts.find((a) => a.subject.id === 'rack PDUs')!.summary).toBe('3 racks run on one live PDU (R01, R02, R03): losing it drops the rack');
    expect(alerts.find((a) => a.subject.id === 'BR')!.summary).toBe('If BR fails now: 3 racks would lose all supply; not survivable in time');
    const v = ((await call(rt, 'plant:contingency')) as { ok: true; result: PlantView }).result;
    if (!v.available) throw new Error(v.reason);
    expect(v.worstByRow.find((w) => w.row === 'R')).toMatchObject({ racksLost: 3, device: expect.stringMatching(/^(BR|UA|F1)$/) });
    expect(v.worstByRow.find((w) => w.row === 'S')).toMatchObject({ device: null, inTime: true });
  });

  it('a maintenance window (UPS2 out), then two UPS1 modules fail: the budgets drop at once, the playbook brings the rows under them, nothing trips; a lost busway darkens its row', async () => {
    const rt = await createRuntime({ scenario: 'default', db: null });
    runtimes.push(rt);
    const op: Actor = { user: 'oli', role: 'operator' };
    const inject = (event: unknown, reason: string) => dispatch(rt.handlers, 'sim:inject', { event, reason }, op, { onRefused: rt.auditRefusal });
    for (let i = 0; i < 120; i++) rt.engine.tick();
    expect(await inject({ kind: 'deviceFailure', devices: ['UPS2'], durationS: 3600, maintenance: true }, 'UPS2 battery swap')).toMatchObject({ ok: true });
    for (let i = 0; i < 6; i++) rt.engine.tick();
    // 2N: one UPS carries the site, budgets unchanged — but no single failure of side A is survivable any more.
    expect(Array.from(rt.engine.rowBudgetKW)).toEqual([408, 408, 408, 313.8]);
    expect(rt.engine.activeAlerts().filter((a) => a.rule === 'contingencyUnsafe').map((a) => a.subject.id)).toEqual(expect.arrayContaining(['UPS1', 'U1', 'SB1']));
    expect(rt.audit.list({ kind: 'maintenance' })[0]).toMatchObject({ actor: 'oli', target: 'maintenance UPS2', reason: 'UPS2 battery swap' });
    // Two modules of UPS1 fail: it keeps 2 × 550 kW; each row may draw its share, 275 kW, from now on.
    expect(await inject({ kind: 'deviceFailure', devices: ['UPS1/module', 'UPS1/module'] }, 'module faults')).toMatchObject({ ok: true });
    rt.engine.tick();
    rt.engine.tick();
    expect(Array.from(rt.engine.rowBudgetKW)).toEqual([275, 275, 275, 275]);
    const over = Array.from(rt.engine.agg.rowW, (w) => w / 1000).map((kw) => kw > 275);
    expect(over.some(Boolean)).toBe(true);
    // The lost-budget playbook takes the rows above their new budget at once (brake, then locks) …
    rt.engine.tick();
    const rows = rt.control.summary().rows;
    over.forEach((o, r) => {
      if (o) expect(rows[r]!.playbook).toBe('power-budget-loss');
    });
    for (let i = 0; i < 120; i++) rt.engine.tick();
    // … and two minutes later every row is under it.
    expect(Array.from(rt.engine.agg.rowW, (w) => w / 1000).every((kw) => kw <= 275)).toBe(true);
    const sim = rt.sim!;
    expect(sim.trippedDevices()).toEqual([]);
    const siteKW = rt.engine.agg.rowW.reduce((a, w) => a + w, 0) / 1000;
    expect(siteKW).toBeLessThanOrEqual(1100);
    // A busway of row C fails during the window: row C has no supply left; its GPUs and servers draw nothing.
    expect(await inject({ kind: 'deviceFailure', devices: ['BW-C-A'] }, 'busway fault')).toMatchObject({ ok: true });
    rt.engine.tick();
    rt.engine.tick();
    expect(rt.engine.agg.rowW[2]).toBe(0);
    const cFirst = rt.engine.topology.racks[20]!;
    const gpu0 = rt.engine.topology.servers[cFirst.serverStart]!.gpuStart;
    expect(rt.engine.live.flags[gpu0]! & 0x80000).toBe(0x80000);
    // An unknown device is refused with its name.
    expect(await inject({ kind: 'deviceFailure', devices: ['UPS7'] }, 'typo')).toMatchObject({ ok: false, error: expect.stringContaining('no device "UPS7"') });
  });

  it('responses are armed in advance: when the second UPS1 module fails during the window, its plan caps the GPUs that very tick — before the budgets, POLCA or a playbook react — and the caps land before the UPS would go to bypass', async () => {
    // The default site, every row busy training (POLCA holds each near 80 % of its budget: ~1,160 kW in all).
    const rt = await createRuntime({ scenario: fileURLToPath(new URL('../../fixtures/scenarios/busy-training.yaml', import.meta.url)), db: null });
    runtimes.push(rt);
    const op: Actor = { user: 'oli', role: 'operator' };
    const inject = (event: unknown, reason: string) => dispatch(rt.handlers, 'sim:inject', { event, reason }, op, { onRefused: rt.auditRefusal });
    const view = async () => {
      const v = ((await call(rt, 'plant:contingency')) as { ok: true; result: PlantView }).result;
      if (!v.available) throw new Error(v.reason);
      return v;
    };
    for (let i = 0; i < 120; i++) rt.engine.tick();
    await inject({ kind: 'deviceFailure', devices: ['UPS2'], durationS: 3600, maintenance: true }, 'UPS2 battery swap');
    await inject({ kind: 'deviceFailure', devices: ['UPS1/module'] }, 'first module fault');
    for (let i = 0; i < 3; i++) rt.engine.tick();
    // UPS1 alone, three modules left (1,650 kW): fine — but losing one more leaves 1,100 kW under ~1,300 kW of load.
    const before = await view();
    expect(before.engaged).toEqual([]);
    expect(before.armed).toContain('UPS1/module');
    const plan = before.contingencies.find((c) => c.device === 'UPS1/module')!;
    expect(plan.overloads.map((o) => o.device)).toEqual(['UPS1']);
    const tripS = plan.overloads[0]!.secondsToTrip!;
    expect(plan.response.capsKW).toBeGreaterThan(30);
    // Low priority first: rows A and B give, the high-priority training on C and D does not.
    expect(plan.response.byRow.map((r) => r.row)).toEqual(['A', 'B']);
    expect(plan.inTime).toBe(true);
    const budgets = Array.from(rt.engine.rowBudgetKW);
    await inject({ kind: 'deviceFailure', devices: ['UPS1/module'] }, 'second module fault');
    rt.engine.tick();
    // The failure tick: the plan fired; the budgets the control plane follows are still the old ones.
    const v = await view();
    expect(v.engaged).toHaveLength(1);
    const fired = v.engaged[0]!;
    expect(fired).toMatchObject({ device: 'UPS1/module', atMs: rt.engine.nowMs, landsInS: plan.response.landsInS });
    expect(fired.capsKW).toBeGreaterThan(plan.response.capsKW * 0.8);
    expect(fired.firstTripS).toBe(tripS);
    const arbiter = rt.control.arbiter;
    const armedLayer = arbiter.layers.find((l) => l.name === 'armed response')!;
    const armedWhy = arbiter.why('armed response: UPS1/module out of service');
    const capped = [...armedLayer.limitW.keys()].filter((g) => armedLayer.limitW[g]! > 0);
    expect(capped.length).toBe(fired.gpus);
    // Only the low-priority rows' GPUs, and the armed limit is what each is asked for (the lowest contribution).
    expect(new Set(capped.map((g) => rt.engine.index.gpuRow[g]))).toEqual(new Set([0, 1]));
    expect(capped.every((g) => arbiter.out.limitWhy[g] === armedWhy && arbiter.out.limitSrc[g] === SOURCE.emergency)).toBe(true);
    const [c] = rt.control.gpus([capped[0]!]);
    expect(c!.reasons).toContainEqual(expect.objectContaining({ source: 'emergency', why: 'armed response: UPS1/module out of service' }));
    expect(budgets).toEqual([408, 408, 408, 313.8]);
    // As the analysis said: once the caps land the site is back under what UPS1 has left, long before it would have
    // gone to bypass; nothing tripped.
    const siteKW = () => rt.engine.agg.rowW.reduce((a, w) => a + w, 0) / 1000;
    expect(siteKW()).toBeGreaterThan(1100);
    let underAtS = -1;
    for (let s = 1; s < tripS && underAtS < 0; s++) {
      rt.engine.tick();
      if (siteKW() <= 1100) underAtS = s;
    }
    expect(underAtS).toBeGreaterThan(0);
    expect(underAtS).toBeLessThanOrEqual(plan.response.landsInS + 2);
    expect(rt.sim!.trippedDevices()).toEqual([]);
    // The failure had no end: the caps stay while the module is out.
    for (let i = 0; i < 30; i++) rt.engine.tick();
    expect((await view()).engaged).toHaveLength(1);
    expect(armedLayer.limitW.filter((w) => w > 0).length).toBe(fired.gpus);
    // An operator takes over: lifting is refused to a viewer, audited for the operator; the caps go, the module stays
    // out and nothing fires again for it.
    const lift = (actor: Actor) => dispatch(rt.handlers, 'plant:lift', { device: 'UPS1/module', reason: 'budgets and POLCA carry it now' }, actor, { onRefused: rt.auditRefusal });
    expect(await lift(viewer)).toMatchObject({ ok: false });
    expect(armedLayer.limitW.filter((w) => w > 0).length).toBe(fired.gpus);
    expect(await lift(op)).toMatchObject({ ok: true, result: { device: 'UPS1/module', gpus: fired.gpus } });
    expect(armedLayer.limitW.filter((w) => w > 0).length).toBe(0);
    expect(rt.audit.list({ kind: 'armed' })[0]).toMatchObject({ actor: 'oli', target: 'armed response UPS1/module', newValue: 'lifted', reason: 'budgets and POLCA carry it now' });
    for (let i = 0; i < 10; i++) rt.engine.tick();
    const after = await view();
    expect(after.engaged).toEqual([]);
    expect(after.out).toContain('UPS1/module');
    expect(await lift(op)).toMatchObject({ ok: false, error: expect.stringContaining('no armed response is in force for UPS1/module') });
  });
});
