/**
 * Live N-1 analysis in the console: the default site's plant through `plant:contingency`, and a single-corded row whose
 * busway loss would drop racks — the contingencyUnsafe alert names the device.
 */
import { writeFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { createRuntime, type Runtime } from '../../../main/app/runtime.js';
import { dispatch } from '../../../main/engine/dispatch.js';
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
    expect(v.contingencies).toHaveLength(v.devices + 2);
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
    // BR, its UPS UA, UA's feed F1 (after the ride-through) each leave row R's racks without supply.
    expect(alerts.map((a) => a.subject.id).sort()).toEqual(['BR', 'F1', 'UA', 'R01/PDU-A', 'R02/PDU-A', 'R03/PDU-A'].sort());
    expect(alerts.find((a) => a.subject.id === 'BR')!.summary).toBe('If BR fails now: 3 racks would lose all supply; not survivable in time');
    const v = ((await call(rt, 'plant:contingency')) as { ok: true; result: PlantView }).result;
    if (!v.available) throw new Error(v.reason);
    expect(v.worstByRow.find((w) => w.row === 'R')).toMatchObject({ racksLost: 3, device: expect.stringMatching(/^(BR|UA|F1)$/) });
    expect(v.worstByRow.find((w) => w.row === 'S')).toMatchObject({ device: null, inTime: true });
  });
});
